"""Where the benchmark scripts write their figures: bench/out/<script>.md (gitignored).

The figures that count are copied, with the command that produced them, into docs/performance.md; bench/figures.json
holds the ones bench/plots.py draws.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def results_path(script: str) -> Path:
    """The results file of one benchmark script (`run`, `rollup`, `warm`, `series`, `write_load`)."""
    return OUT / f"{script}.md"


def write_results(path: str | Path, text: str, *, append: bool = True) -> Path:
    """Append `text` to `path` (or replace its contents), creating bench/out/ first; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w") as results:
        results.write(text)
    return path
