"""Benchmark: cold time series (a month by day, a year by week) against the cold metrics of the same window.

Usage: .venv/bin/python bench/series.py [--runs 5]   (DATABASE_URL default: the 10M database bench/rollup.py loads)
Target (issue 12): each series ≤ 2× the cold metrics computation for the same window. Appends to bench/out/series.md.
"""
import argparse
import os
import statistics
import sys
from datetime import timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ops_bench_rollup10")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")

from bench.results import results_path, write_results  # noqa: E402
from bench.run import ms, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    from django.test.utils import override_settings
    from django.utils import timezone

    from bookings.models import Booking
    from ops_metrics.constants import ALL_GROUPS, ALL_SERIES
    from ops_metrics.models import OpsConfig
    from ops_metrics.reports.dashboard import dashboard_metrics
    from ops_metrics.reports.timeseries import timeseries
    from ops_metrics.web.params import parse_series_query

    config = OpsConfig.load()
    now = timezone.now()
    today = now.astimezone(config.tzinfo).date()
    year_start = (today - timedelta(days=364)).isoformat()
    end = (today + timedelta(days=1)).isoformat()
    cases = [
        ("a month by day", {"period": ["month"], "interval": ["day"]}),
        ("a year by week", {"start": [year_start], "end": [end], "interval": ["week"]}),
    ]
    lines = ["", f"### Time series against the metrics of the same window (bench/series.py, "
             f"{Booking.objects.count():,} bookings, {args.runs} cold runs each, medians)", "",
             "| engine | series | series ms | metrics ms (all groups) | ratio | metrics ms (no realtime) | ratio |",
             "|---|---|---|---|---|---|---|"]
    for engine in ("rollup", "scan"):
        with override_settings(OPS_METRICS_ENGINE=engine):
            for name, params in cases:
                query = parse_series_query(
                    metrics=[], period=params.get("period", []), start=params.get("start", []),
                    end=params.get("end", []), interval=params["interval"], compare=[],
                )
                series = partial(timeseries, query=query, metrics=list(ALL_SERIES), config=config, now=now)
                metrics = partial(dashboard_metrics, period=query.period, custom=query.custom, config=config, now=now)
                runs = args.runs if engine == "rollup" else max(1, args.runs // 2)
                series_ms = statistics.median(timed(series, runs)[0])
                all_ms = statistics.median(timed(partial(metrics, groups=ALL_GROUPS), runs)[0])
                no_realtime = [group for group in ALL_GROUPS if group != "realtime"]
                bare_ms = statistics.median(timed(partial(metrics, groups=no_realtime), runs)[0])
                lines.append(f"| {engine} | {name} | {ms(series_ms)} | {ms(all_ms)} | {series_ms / all_ms:.2f}× | "
                             f"{ms(bare_ms)} | {series_ms / bare_ms:.2f}× |")
                print(lines[-1], flush=True)
    lines.append("")
    write_results(results_path("series"), "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
