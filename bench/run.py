"""Benchmark: cold computation against the SQL limit and the naive ORM, warm path through gunicorn, scaling.

Usage: bin/bench [--quick] [--bookings N --complaints N --staff N] [--scaling 100000,300000,1000000]
Prints a table per step and writes them to bench/out/run.md (gitignored; the figures that count are in
docs/performance.md).
"""
import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ops_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402

from bench.results import results_path, write_results  # noqa: E402

PERIODS = ("today", "week", "month", "all")
BENCH_PASSWORD = "bench-password-1"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes: the whole run takes about a minute.")
    parser.add_argument("--bookings", type=int)
    parser.add_argument("--complaints", type=int)
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--runs", type=int, help="Cold runs per measurement (median reported).")
    parser.add_argument("--scaling", help="Comma-separated booking counts for the scaling step ('' skips it).")
    parser.add_argument("--warm-seconds", type=int, help="Duration of each load-generator run.")
    parser.add_argument("--results", default=str(results_path("run")))
    args = parser.parse_args()
    quick = {"bookings": 50_000, "complaints": 10_000, "runs": 3, "scaling": "10000,50000", "warm_seconds": 3}
    full = {"bookings": 1_000_000, "complaints": 200_000, "runs": 5, "scaling": "100000,300000,1000000",
            "warm_seconds": 10}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def ensure_database() -> None:
    """Create the benchmark database if it does not exist."""
    import psycopg

    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


class Report:
    """Collects printed tables into the results file."""

    def __init__(self) -> None:
        self.sections: list[str] = []

    def table(self, title: str, headers: list[str], rows: list[list], note: str = "") -> None:
        widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
        line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
        text = [f"### {title}", "", line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        text += [line(r) for r in rows]
        if note:
            text += ["", note]
        block = "\n".join(text)
        print("\n" + block, flush=True)
        self.sections.append(block)

    def write(self, path: str, header: str) -> None:
        write_results(path, header + "\n\n" + "\n\n".join(self.sections) + "\n", append=False)


def timed(fn, runs: int) -> tuple[list[float], object]:
    """Run `fn` `runs` times after one warm-up; seconds per run and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def spread(times: list[float]) -> str:
    return f"{ms(min(times))}–{ms(max(times))}"


LOADED_MARKER = "bench:loaded"


def seed(*, bookings: int, complaints: int, staff: int, days: int) -> float:
    """(Re)load the data set unless it already has these sizes and span; seconds spent loading."""
    from django.core.cache import cache
    from django.core.management import call_command

    wanted = (bookings, complaints, staff, days)
    if cache.get(LOADED_MARKER) == wanted:
        return 0.0
    started = time.perf_counter()
    call_command(
        "seed_demo", bookings=bookings, complaints=complaints, staff=staff, days=days, seed=7, flush=True,
        verbosity=0,
    )
    cache.set(LOADED_MARKER, wanted, timeout=None)
    return time.perf_counter() - started


def cold(period: str, groups=None):
    """The service with no cache in front, as a cache miss computes it."""
    from ops_metrics.constants import ALL_GROUPS
    from ops_metrics.models import OpsConfig
    from ops_metrics.reports.dashboard import dashboard_metrics

    return dashboard_metrics(period=period, groups=groups or ALL_GROUPS, config=OpsConfig.load(), now=datetime.now(UTC))


def count_queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def windows_and_config(period: str):
    from ops_metrics import app_settings
    from ops_metrics.models import OpsConfig
    from ops_metrics.windows.periods import build_windows

    config = OpsConfig.load()
    now = datetime.now(UTC)
    windows = build_windows(period=period, now=now, tz=ZoneInfo(config.timezone))
    return windows, timedelta(minutes=config.sla_at_risk_buffer_minutes), app_settings.currency(), now, config


def step_cold(report: Report, args) -> dict[str, float]:
    """Service vs hand-written SQL vs naive ORM, per period, all groups; figures asserted equal."""
    from bench.baseline import baseline_metrics
    from bench.naive import naive_metrics
    from ops_metrics.constants import ALL_GROUPS
    from ops_metrics.reports.dashboard import dashboard_metrics

    rows, medians = [], {}
    for period in PERIODS:
        windows, buffer, currency, now, config = windows_and_config(period)
        service = partial(dashboard_metrics, period=period, groups=ALL_GROUPS, config=config, now=now)
        baseline = partial(baseline_metrics, windows=windows, buffer=buffer, currency=currency)
        naive = partial(naive_metrics, windows=windows, buffer=buffer, currency=currency)
        service_times, payload = timed(service, args.runs)
        baseline_times, expected = timed(baseline, args.runs)
        naive_times, naive_payload = timed(naive, max(1, args.runs // 2))
        figures = {group: payload[group] for group in ALL_GROUPS}
        assert figures == expected, f"service and SQL baseline disagree for {period}"
        assert figures == naive_payload, f"service and naive ORM disagree for {period}"
        s, b, n = (statistics.median(t) for t in (service_times, baseline_times, naive_times))
        medians[period] = s
        rows.append([
            period, ms(s), spread(service_times), count_queries(service), ms(b), count_queries(baseline),
            f"{s / b:.2f}×", ms(n), count_queries(naive), f"{n / s:.1f}×",
        ])
    report.table(
        "Cold computation (cache off), all five groups",
        ["period", "service ms (median)", "min–max", "queries", "SQL baseline ms", "queries", "service ÷ baseline",
         "naive ORM ms", "queries", "naive ÷ service"],
        rows,
        "Service, baseline and naive outputs are asserted equal for every period before timing is reported. "
        "Query counts include the OpsConfig read only when it is not cached (it is, after the first call).",
    )
    return medians


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, token: str | None, seconds: int) -> dict:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Token {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = {m.group(1): m.group(2) for m in re.finditer(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"p50": latency["50"], "p99": latency["99"], "rps": rps, "non2xx": int(non_2xx.group(1)) if non_2xx else 0}


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def step_warm(report: Report, args) -> None:
    """Cache hits through gunicorn (audit writes included) beside a bare view serving the same bytes."""
    import urllib.request

    from django.core.cache import cache

    from bench.urls import BARE_CACHE_KEY
    from ops_metrics.models import OpsAuditLog, OpsConfig
    from ops_metrics.services.demo import ensure_demo_users

    if not shutil.which("wrk"):
        print("wrk not found (apt-get install wrk): warm step skipped")
        return
    config = OpsConfig.objects.get()
    config.metrics_cache_ttl_seconds = 3600
    config.save()
    token = {c.username: c.token for c in ensure_demo_users(password=BENCH_PASSWORD)}["ops_admin"]
    port = free_port()
    # From ROOT gunicorn reads ./gunicorn.conf.py: no access log (as before), a control socket of this port.
    env = dict(os.environ, OPS_METRICS_THROTTLE_RATE="100000000/min", DJANGO_SETTINGS_MODULE="bench.settings",
               GUNICORN_ACCESS_LOG="", PORT=str(port))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/api/v1/ops/dashboard/metrics?period=month"
        for _ in range(100):
            try:
                request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
                with urllib.request.urlopen(request) as response:
                    body = response.read()
                    x_cache = response.headers["X-Cache"]
                break
            except OSError:
                time.sleep(0.1)
        cache.set(BARE_CACHE_KEY, body, timeout=None)
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Token {token}"})) as r:
            assert r.headers["X-Cache"] == "hit", "second request was not a cache hit"
        audit_before = OpsAuditLog.objects.count()
        endpoint = wrk(url, token, args.warm_seconds)
        audit_written = OpsAuditLog.objects.count() - audit_before
        bare = wrk(f"{base}/bench/bare", None, args.warm_seconds)
    finally:
        server.terminate()
        server.wait()
    ratio = to_ms(endpoint["p50"]) / to_ms(bare["p50"])
    report.table(
        "Warm path: cache hit through gunicorn (2 workers × 4 threads, wrk 2 threads × 8 connections)",
        ["target", "p50", "p99", "requests/s", "non-2xx", "audit rows written"],
        [["metrics endpoint (hit)", endpoint["p50"], endpoint["p99"], f"{endpoint['rps']:.0f}", endpoint["non2xx"],
          audit_written],
         ["bare view, same bytes", bare["p50"], bare["p99"], f"{bare['rps']:.0f}", bare["non2xx"], 0]],
        f"Endpoint p50 ÷ bare p50 = {ratio:.2f}×. First request X-Cache: {x_cache}; the measured ones are hits "
        f"({len(body)} bytes). The endpoint path includes token auth, permission check, throttle, one audit "
        "INSERT and the Redis read; the bare view only reads the bytes from Redis.",
    )


def step_hit_queries(report: Report) -> None:
    """A cache hit runs no aggregate query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ops_metrics.cache.generations import cached_dashboard_metrics
    from ops_metrics.constants import ALL_GROUPS

    cached_dashboard_metrics(period="month", groups=ALL_GROUPS)
    with CaptureQueriesContext(connection) as ctx:
        result = cached_dashboard_metrics(period="month", groups=ALL_GROUPS)
    aggregates = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() or "SUM(" in q["sql"].upper()]
    report.table("Cache hit", ["hit", "SQL queries", "aggregate queries"],
                 [[result.hit, len(ctx.captured_queries), len(aggregates)]])


def step_scaling(report: Report, args) -> None:
    """Cold `all` and `month` at several sizes: history spread over the same span, and history that grows."""
    sizes = [int(s) for s in args.scaling.split(",") if s]
    largest = max(sizes, default=0)
    # Same span: a denser business (more rows in every window). Growing history: the same recent
    # activity with a longer past, the case that index ranges should make size-independent for `month`.
    # The largest size is loaded once, last, and is shared by both tables.
    plans = [("same span", size, args.days) for size in sizes if size != largest]
    plans += [("growing history", size, max(31, round(args.days * size / largest))) for size in sizes if size != largest]
    plans += [("both", largest, args.days)] if largest else []
    results: dict[tuple[str, int], list] = {}
    for mode, size, days in plans:
        complaints = max(1, size * args.complaints // args.bookings)
        loaded = seed(bookings=size, complaints=complaints, staff=args.staff, days=days)
        row = [f"{size:,}", f"{complaints:,}", days, f"{loaded:.1f}" if loaded else "(kept)"]
        for period in ("all", "month"):
            times, _ = timed(partial(cold, period), args.runs)
            row.append(ms(statistics.median(times)))
        for key in ("same span", "growing history") if mode == "both" else (mode,):
            results.setdefault(key, []).append(row)
    for mode in ("same span", "growing history"):
        rows = results.get(mode, [])
        note = ""
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            note = (f"month at {last[0]} ÷ month at {first[0]} = {float(last[5]) / float(first[5]):.2f}×; "
                    f"all: {float(last[4]) / float(first[4]):.2f}×.")
        report.table(f"Scaling ({mode}): cold time (ms, median) by data size",
                     ["bookings", "complaints", "days", "load s", "all", "month"], rows, note)


def main() -> None:
    args = parse_args()
    ensure_database()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from ops_metrics.models import OpsConfig

    OpsConfig.objects.get_or_create(pk=OpsConfig.SINGLETON_PK)
    report = Report()
    started = time.perf_counter()
    step_scaling(report, args)
    loaded = seed(bookings=args.bookings, complaints=args.complaints, staff=args.staff, days=args.days)
    if loaded:
        print(f"loaded main data set in {loaded:.1f}s")
    step_cold(report, args)
    step_hit_queries(report)
    step_warm(report, args)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    header = (
        "# Benchmark results\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{' '.join(['bin/bench', *sys.argv[1:]])}` "
        f"({time.perf_counter() - started:.0f}s). Data: {args.bookings:,} bookings, {args.complaints:,} complaints, "
        f"{args.staff} staff over {args.days} days. Machine: {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, PostgreSQL {pg}, "
        "Redis on loopback."
    )
    Report.write(report, args.results, header)
    print(f"\nwrote {args.results}")


if __name__ == "__main__":
    main()
