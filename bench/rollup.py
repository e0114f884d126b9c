"""Benchmark step for the rollup engine: cold time per period against scan, and what the triggers cost writers.

Usage: .venv/bin/python bench/rollup.py [--bookings 1000000 --complaints 200000] [--runs 5] [--skip-load]
    [--per-group]
Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ops_bench_rollup); appends a section to bench/out/rollup.md.
"""
import argparse
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ops_bench_rollup")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")

from bench.results import results_path, write_results  # noqa: E402
from bench.run import Report, ensure_database, ms, spread, timed  # noqa: E402

PERIODS = ("today", "week", "month", "all")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=None, help="Default: bookings / 5.")
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-load", action="store_true", help="Keep the loaded data (no load-time comparison).")
    parser.add_argument("--load-once", action="store_true", help="Load once, triggers on (no comparison).")
    parser.add_argument("--write-seconds", type=float, default=10.0)
    parser.add_argument("--skip-writes", action="store_true", help="No write-overhead step.")
    parser.add_argument("--per-group", action="store_true",
                        help="Also each group alone (include=<group>) per period, rollup against scan.")
    parser.add_argument("--results", default=str(results_path("rollup")))
    args = parser.parse_args()
    args.complaints = args.complaints if args.complaints is not None else args.bookings // 5
    return args


def set_triggers(*, enabled: bool) -> None:
    from django.db import connection

    from ops_metrics.rollups.triggers import SOURCE_MODELS

    with connection.cursor() as cursor:
        for model in SOURCE_MODELS:
            for trigger in model._meta.triggers:
                cursor.execute(f"ALTER TABLE {model._meta.db_table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER "
                               f"{trigger.get_pgid(model)}")


def load(args, *, triggers: bool) -> dict[str, float]:
    """seed_demo --flush with or without the triggers; without, the rebuild that makes the summaries exact again."""
    from django.core.management import call_command

    from ops_metrics.rollups.maintenance import compact, mark_stale, rebuild, vacuum

    set_triggers(enabled=triggers)
    started = time.perf_counter()
    call_command("seed_demo", bookings=args.bookings, complaints=args.complaints, staff=args.staff, days=args.days,
                 seed=7, flush=True, verbosity=0)
    timings = {"seed": time.perf_counter() - started}
    set_triggers(enabled=True)
    started = time.perf_counter()
    if triggers:
        compact(using="default")
        vacuum(using="default")
        timings["compact"] = time.perf_counter() - started
    else:
        mark_stale(using="default")
        rebuild(using="default")
        vacuum(using="default")
        timings["rebuild"] = time.perf_counter() - started
    return timings


def summary_rows() -> dict[str, int]:
    from django.db import connection

    from ops_metrics.rollups.sql import FACTS

    with connection.cursor() as cursor:
        counts = {}
        for fact in FACTS:
            cursor.execute(f"SELECT count(*) FROM {fact.table}")
            counts[fact.table] = cursor.fetchone()[0]
    return counts


def step_cold(report: Report, args, label: str) -> dict[str, float]:
    from django.test import override_settings

    from ops_metrics.constants import ALL_GROUPS
    from ops_metrics.models import OpsConfig
    from ops_metrics.reports.dashboard import dashboard_metrics

    config = OpsConfig.load()
    now = datetime.now(UTC)
    rows, medians = [], {}
    for period in PERIODS:
        results = {}
        for engine in ("scan", "rollup"):
            with override_settings(OPS_METRICS_ENGINE=engine):
                times, payload = timed(
                    lambda: dashboard_metrics(period=period, groups=ALL_GROUPS, config=config, now=now),  # noqa: B023
                    args.runs,
                )
            results[engine] = (times, payload)
        assert results["scan"][1] == results["rollup"][1], f"rollup and scan disagree for {period}"
        scan_ms, rollup_ms = (statistics.median(results[e][0]) for e in ("scan", "rollup"))
        medians[period] = rollup_ms
        rows.append([period, ms(scan_ms), ms(rollup_ms), spread(results["rollup"][0]), f"{scan_ms / rollup_ms:.1f}×"])
    report.table(
        f"Rollup vs scan, cold computation, all five groups ({label})",
        ["period", "scan ms (median)", "rollup ms (median)", "rollup min–max", "scan ÷ rollup"], rows,
        "Payloads asserted equal field for field before timing is reported. Both include the open-backlog and "
        "workload queries (raw rows, the same in both engines).",
    )
    return medians


def step_groups(report: Report, args, label: str) -> None:
    """Cold time of each group alone (as `include=<group>` asks) and of all groups, per period, both engines."""
    from django.test import override_settings

    from ops_metrics.constants import ALL_GROUPS
    from ops_metrics.models import OpsConfig
    from ops_metrics.reports.dashboard import dashboard_metrics

    config = OpsConfig.load()
    now = datetime.now(UTC)
    choices = [(group, (group,)) for group in ALL_GROUPS] + [("all groups", ALL_GROUPS)]
    rows = []
    for name, groups in choices:
        row = [name]
        for period in PERIODS:
            results = {}
            for engine, runs in (("scan", 1), ("rollup", args.runs)):
                with override_settings(OPS_METRICS_ENGINE=engine):
                    results[engine] = timed(
                        lambda: dashboard_metrics(period=period, groups=groups, config=config, now=now),  # noqa: B023
                        runs,
                    )
            assert results["scan"][1] == results["rollup"][1], f"rollup and scan disagree for {name}, {period}"
            row.append(f"{ms(statistics.median(results['rollup'][0]))} ({ms(results['scan'][0][0])})")
        rows.append(row)
    report.table(
        f"Cold computation per group, rollup median of {args.runs} (scan, 1 run) ms ({label})",
        ["include", *PERIODS], rows,
        "Each cell: the payload of `include=<group>` (last row: every group) computed with no cache, after one "
        "warm-up run per engine; payloads asserted equal between the engines.",
    )


def _single_row_p50(kind: str, samples: int = 300) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM bookings_booking")
        top = cursor.fetchone()[0]
        times = []
        for index in range(samples):
            started = time.perf_counter()
            if kind == "insert":
                cursor.execute(
                    "INSERT INTO bookings_booking (reference, customer_name, status, payment_status, total_amount, "
                    "created_at, updated_at) VALUES (%s, 'bench', 'pending', 'unpaid', 12.50, now(), now())",
                    [f"W-{time.time_ns()}-{index}"],
                )
            else:
                cursor.execute(
                    "UPDATE bookings_booking SET status = CASE status WHEN 'pending' THEN 'confirmed' ELSE 'pending' "
                    "END WHERE id = %s", [top - index],
                )
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _writers_throughput(seconds: float, writers: int = 8) -> float:
    """Committed single-booking insert+update transactions per second from `writers` connections."""
    from django.db import connections, transaction

    done = [0] * writers
    stop = threading.Event()

    def write(number: int) -> None:
        try:
            with connections["default"].cursor() as cursor:
                while not stop.is_set():
                    with transaction.atomic():
                        cursor.execute(
                            "INSERT INTO bookings_booking (reference, customer_name, status, payment_status, "
                            "total_amount, created_at, updated_at) VALUES (%s, 'bench', 'pending', 'unpaid', %s, "
                            "now(), now()) RETURNING id", [f"T-{number}-{time.time_ns()}", Decimal("9.99")],
                        )
                        row_id = cursor.fetchone()[0]
                        cursor.execute("UPDATE bookings_booking SET status = 'confirmed' WHERE id = %s", [row_id])
                    done[number] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def step_writes(report: Report, args) -> None:
    from ops_metrics.rollups.maintenance import mark_stale, rebuild, vacuum

    figures = {}
    for triggers in (False, True):
        set_triggers(enabled=triggers)
        figures[triggers] = (
            _single_row_p50("insert"), _single_row_p50("update"), _writers_throughput(args.write_seconds)
        )
    set_triggers(enabled=True)
    mark_stale(using="default")
    rebuild(using="default")
    vacuum(using="default")
    off, on = figures[False], figures[True]
    report.table(
        "Write overhead of the rollup triggers (bookings, autocommit)",
        ["measure", "without triggers", "with triggers", "ratio"],
        [
            ["single-row INSERT p50 ms", ms(off[0]), ms(on[0]), f"{on[0] / off[0]:.2f}×"],
            ["single-row UPDATE p50 ms", ms(off[1]), ms(on[1]), f"{on[1] / off[1]:.2f}×"],
            ["8 writers, insert+update transactions/s", f"{off[2]:.0f}", f"{on[2]:.0f}",
             f"{off[2] / on[2]:.2f}× slower"],
        ],
        "Target: each ≤ 1.5×. The writers all date their rows now: the same summary keys (the hottest case).",
    )


def main() -> None:
    args = parse_args()
    start_load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from ops_metrics.models import OpsConfig
    from ops_metrics.rollups.state import summary_differences

    call_command("migrate", verbosity=0)
    OpsConfig.objects.get_or_create(pk=OpsConfig.SINGLETON_PK)
    report = Report()
    size = f"{args.bookings:,} bookings, {args.complaints:,} complaints"
    if args.load_once:
        once = load(args, triggers=True)
        report.table(
            f"seed_demo load time with the rollup triggers ({size})", ["seed_demo s", "compact s"],
            [[f"{once['seed']:.1f}", f"{once['compact']:.1f}"]], f"Summary rows after compaction: {summary_rows()}.",
        )
    elif not args.skip_load:
        without = load(args, triggers=False)
        with_triggers = load(args, triggers=True)
        report.table(
            f"seed_demo load time with and without the rollup triggers ({size})",
            ["load", "seed_demo s", "then", "s", "total s"],
            [["triggers off", f"{without['seed']:.1f}", "rebuild", f"{without['rebuild']:.1f}",
              f"{without['seed'] + without['rebuild']:.1f}"],
             ["triggers on", f"{with_triggers['seed']:.1f}", "compact", f"{with_triggers['compact']:.1f}",
              f"{with_triggers['seed'] + with_triggers['compact']:.1f}"]],
            f"seed_demo with triggers ÷ without: {with_triggers['seed'] / without['seed']:.2f}× (target ≤ 1.5×). "
            f"Summary rows after compaction: {summary_rows()}.",
        )
    step_cold(report, args, size)
    if args.per_group:
        step_groups(report, args, size)
    if not args.skip_writes:
        step_writes(report, args)
    differences = summary_differences(using="default")
    call_command("ops_rollups", "verify", "--windows", "30")
    end_load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    header = (
        f"## Rollup engine (bench/rollup.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {size}, {args.days} days; "
        f"verify afterwards: {differences or 'clean'}; load averages at the start {start_load}, at the end {end_load})"
    )
    text = header + "\n\n" + "\n\n".join(report.sections) + "\n"
    write_results(args.results, "\n" + text)
    print(f"\nappended to {args.results}")


if __name__ == "__main__":
    main()
