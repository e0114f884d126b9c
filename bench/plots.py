"""Draw the plots of docs/performance.md from the figures in bench/figures.json (SVG, reproducible).

Usage: .venv/bin/python bench/plots.py   (writes docs/perf-cold-by-history.svg and docs/perf-write-load.svg)
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "bench" / "figures.json"
DOCS = ROOT / "docs"
PERIOD_COLOURS = {"today": "#1b9e77", "week": "#d95f02", "month": "#7570b3", "all": "#e7298a"}
ENGINE_STYLES = {"rollup": "-", "scan": "--"}
# One colour and label offset per series of the write-load plot (engines, and settings such as max_staleness).
SERIES_COLOURS = ("#1b9e77", "#d95f02", "#7570b3")
SERIES_OFFSETS = ((5, 3), (5, -11), (-28, 5))

# No date, fixed ids and text kept as text: the same figures give the same bytes.
plt.rcParams.update({"svg.hashsalt": "ops-metrics", "svg.fonttype": "none", "font.size": 10})


def _save(figure, name: str) -> Path:
    path = DOCS / name
    figure.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(figure)
    return path


def cold_by_history(*, figures: dict) -> Path:
    """Cold time against history size, both engines, one line per engine and period (log-log)."""
    data = figures["cold_by_history"]
    sizes = [count / 1_000_000 for count in data["bookings"]]
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    for engine, style in ENGINE_STYLES.items():
        for period, colour in PERIOD_COLOURS.items():
            values = data["ms"][engine][period]
            axes.plot(sizes, values, style, marker="o", color=colour, label=f"{engine}, {period}")
        for size, value in zip(sizes, data["ms"][engine]["all"], strict=True):  # the period the targets name
            axes.annotate(f"{value:,.1f}", (size, value), xytext=(6, 0), textcoords="offset points", va="center",
                          fontsize=8, color=PERIOD_COLOURS["all"])
    axes.axhline(50, color="grey", linewidth=0.8, linestyle=":")
    axes.annotate("target: all at 10M ≤ 50 ms", (sizes[-1], 50), xytext=(0, 3), textcoords="offset points",
                  ha="right", fontsize=8, color="grey")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(sizes, [f"{round(size):g}M" for size in sizes])
    axes.minorticks_off()
    axes.set_xlabel("bookings in the database (3 years of history; complaints = bookings / 5)")
    axes.set_ylabel("cold computation, all groups, median ms")
    axes.set_title("Cold time against history size: rollup (solid) and scan (dashed)")
    axes.legend(ncol=2, fontsize=8, loc="upper left", bbox_to_anchor=(1.08, 1))
    axes.grid(True, which="major", linewidth=0.3)
    return _save(figure, "perf-cold-by-history.svg")


def write_load(*, figures: dict) -> Path:
    """Throughput and the p95 of period=all against the write rate, per engine, with the targets relative to no writes."""
    data = figures["write_load"]
    rates = data["writes_per_second"]
    positions = range(len(rates))
    figure, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.8))
    series = list(data["engines"].items())
    engines = zip(series, SERIES_COLOURS[:len(series)], SERIES_OFFSETS[:len(series)], strict=True)
    for (engine, values), colour, offset in engines:
        for axes, key in ((left, "requests_per_second"), (right, "all_p95_ms")):
            axes.plot(positions, values[key], marker="o", color=colour, label=engine)
            for x, y in zip(positions, values[key], strict=True):
                axes.annotate(f"{y:,.0f}", (x, y), xytext=offset, textcoords="offset points", fontsize=8, color=colour)
    auto = next(iter(data["engines"].values()))
    left.axhline(auto["requests_per_second"][0] * data["targets"]["throughput_vs_no_writes"], color="grey",
                 linewidth=0.8, linestyle=":", label="target for auto: ≥ 70 % of no writes")
    right.axhline(auto["all_p95_ms"][0] * data["targets"]["all_p95_vs_no_writes"], color="grey", linewidth=0.8,
                  linestyle=":", label="target for auto: ≤ 2× no writes")
    right.set_yscale("log")
    highest = max(max(values["all_p95_ms"]) for values in data["engines"].values())
    right.set_ylim(top=highest * 6)  # room for the legend above the lines
    for axes, label, corner in ((left, "requests/s (8 pollers)", "lower left"), (right, "p95 ms of period=all", "upper left")):
        axes.set_xticks(list(positions), [f"{rate:g}/s" for rate in rates])
        axes.set_xlabel("writes per second (one booking + one complaint each)")
        axes.set_ylabel(label)
        axes.grid(True, linewidth=0.3)
        axes.legend(fontsize=8, loc=corner)
    left.set_title("Throughput against write rate")
    right.set_title("Latency of period=all against write rate")
    return _save(figure, "perf-write-load.svg")


def main() -> None:
    figures = json.loads(FIGURES.read_text())
    for path in (cold_by_history(figures=figures), write_load(figures=figures)):
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
