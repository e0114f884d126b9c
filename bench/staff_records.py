"""Issue 17's targets, cold: records first pages, staff-filtered metrics, per-staff rows, and the CSV's memory.

    cd <checkout> && DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_bench_s1m REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python -m bench.staff_records [--runs 7] [--engine rollup] [--skip-csv]
    (a checkout without this file: `.venv/bin/python /path/to/bench/staff_records.py` from its root)

(a) the first page of every records figure (`reports.records.FIGURE_NAMES`), periods month and all, ≤ 50 ms;
(b) metrics (all groups) with a 3-staff filter ≤ 2× the same request unfiltered, per period (the two interleaved);
(c) per-staff rows (every staff member, no filter) ≤ 100 ms per period;
(d) a records CSV of 10k, 100k and 1M rows through one gunicorn worker (gunicorn.conf.py): the worker's peak RSS
    (VmHWM, reset before each export) must not grow with the rows.
(a)–(c) go through the in-process API client with an ops admin's token, the cache cleared before every request:
one warm-up (shown, not counted), then the median and max of --runs. The engine of each computation is read from the
computation histogram (`telemetry.COMPUTATION_SECONDS`). One more cold run of each request captures its statements
(their summed time and count are in the tables); for every request that misses its target the two slowest are
EXPLAINed (ANALYZE, BUFFERS) into bench/out/staff_records_explain.md. The tables are printed and appended to
bench/out/staff_records.md. The database is used as it is (load it with seed_demo and VACUUM ANALYZE it, see
docs/performance.md).
"""
import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The checkout measured: the working directory when it is one (so this file can measure a checkout without it).
ROOT = Path.cwd() if (Path.cwd() / "manage.py").is_file() else Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERIODS = ("today", "week", "month", "all")
RECORD_PERIODS = ("month", "all")
CSV_ROWS = (10_000, 100_000, 1_000_000)
CSV_FIGURE = "bookings.total"
RECORDS, METRICS, STAFF = "/api/v1/ops/dashboard/records", "/api/v1/ops/dashboard/metrics", "/api/v1/ops/dashboard/staff"
RECORDS_TARGET_MS, STAFF_TARGET_MS, FILTER_TARGET_RATIO, CSV_TARGET_RATIO = 50.0, 100.0, 2.0, 1.1
MIB = 1024 * 1024


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="Cold requests per cell after one warm-up (default 7).")
    parser.add_argument("--engine", default="rollup", help="OPS_METRICS_ENGINE for every request (default rollup).")
    parser.add_argument("--staff", default="", help="The 3 staff ids of (b), comma-separated (default: the three "
                                                    "active members with the most open bookings).")
    parser.add_argument("--figures", default="", help="Records figures of (a), comma-separated (default: all).")
    parser.add_argument("--csv-rows", default=",".join(map(str, CSV_ROWS)), help="Row counts of (d).")
    parser.add_argument("--skip-csv", action="store_true", help="No (d).")
    parser.add_argument("--only", default="abcd", help="Which parts to run, e.g. `ab` (default abcd).")
    parser.add_argument("--no-explain", action="store_true", help="No EXPLAIN of the requests that miss.")
    parser.add_argument("--label", default="", help="Named in the results heading (e.g. the checkout's branch).")
    parser.add_argument("--results", default=str(ROOT / "bench" / "out" / "staff_records.md"))
    return parser.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ops_bench_s1m")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-staff-records")
os.environ["DEBUG"] = "0"
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
os.environ["OPS_METRICS_THROTTLE_RATE"] = "100000000/min"
os.environ["OPS_METRICS_ENGINE"] = ARGS.engine if ARGS else "rollup"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.results import write_results  # noqa: E402
from ops_metrics import telemetry  # noqa: E402
from ops_metrics.reports.records import FIGURE_NAMES  # noqa: E402


@dataclass
class Timing:
    """One request measured cold `runs` times after a warm-up: milliseconds, the engines that computed, the load."""

    label: str
    path: str
    params: dict
    first: float
    times: list[float]
    status: int
    engines: str
    count: int | None
    load: float
    statements: list[tuple[float, str]] = field(default_factory=list)  # one more run's, slowest first (seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def max(self) -> float:
        return max(self.times)

    @property
    def sql(self) -> str:
        """The captured run's statement time in ms and statement count, e.g. `12.0 (6)`."""
        return f"{sum(seconds for seconds, _ in self.statements) * 1000:,.1f} ({len(self.statements)})"

    @property
    def slowest(self) -> str:
        return ms(self.statements[0][0] * 1000) if self.statements else "—"


def load1() -> float:
    return os.getloadavg()[0]


def engine_counts() -> dict[str, float]:
    """Computations so far per engine (from the computation histogram's `_count` samples)."""
    counts: dict[str, float] = {}
    for metric in telemetry.COMPUTATION_SECONDS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                engine = sample.labels["engine"]
                counts[engine] = counts.get(engine, 0) + sample.value
    return counts


def bench_token() -> str:
    """An ops admin's API token (user `bench_staff_records`)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from ops_metrics.constants import ADMINS_GROUP

    user, _ = get_user_model().objects.get_or_create(username="bench_staff_records")
    user.groups.add(Group.objects.get(name=ADMINS_GROUP))
    return Token.objects.get_or_create(user=user)[0].key


def cold(client: APIClient, token: str, requests: list[tuple[str, str, dict]], runs: int) -> list[Timing]:
    """Each of `requests` (label, path, params) `runs` times after one warm-up, interleaved (a load swing hits them
    alike), the cache cleared before each; which engines computed them."""
    times: list[list[float]] = [[] for _ in requests]
    engines: list[set[str]] = [set() for _ in requests]
    bodies: list[dict] = [{} for _ in requests]
    first, status = [0.0] * len(requests), [200] * len(requests)
    for run in range(runs + 1):
        for index, (_, path, params) in enumerate(requests):
            if status[index] != 200:
                continue
            cache.clear()
            before = engine_counts()
            started = time.perf_counter()
            response = client.get(path, params, HTTP_AUTHORIZATION=f"Token {token}")
            elapsed = (time.perf_counter() - started) * 1000
            engines[index] |= {name for name, n in engine_counts().items() if n > before.get(name, 0)}
            status[index] = response.status_code
            if response.status_code != 200:
                continue
            if run == 0:
                first[index], bodies[index] = elapsed, response.json()
            else:
                times[index].append(elapsed)
    timings = []
    for index, (label, path, params) in enumerate(requests):
        body = bodies[index]
        timings.append(Timing(
            label=label, path=path, params=params, first=first[index], times=times[index] or [float("nan")],
            status=status[index], engines=",".join(sorted(engines[index])) or "none (not cached)",
            count=body.get("count", len(body["rows"]) if "rows" in body else None), load=load1(),
        ))
    return timings


def capture(client: APIClient, token: str, timings: list[Timing]) -> list[Timing]:
    """One more cold run of each request with its statements captured (Django's timings, ms resolution)."""
    for timing in timings:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            client.get(timing.path, timing.params, HTTP_AUTHORIZATION=f"Token {token}")
        timing.statements = sorted(((float(q["time"]), q["sql"]) for q in captured.captured_queries), reverse=True)
    return timings


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def three_staff() -> list[int]:
    """The three active staff members with the most open bookings (the heaviest filters), ids ascending."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id FROM staff_staff s JOIN bookings_booking b ON b.assigned_staff_id = s.id "
            "WHERE s.is_active AND b.status IN ('pending', 'confirmed', 'in_progress') "
            "GROUP BY s.id ORDER BY count(*) DESC, s.id LIMIT 3"
        )
        return sorted(row[0] for row in cursor.fetchall())


def database_summary() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM bookings_booking), (SELECT count(*) FROM complaints_complaint), "
                       "(SELECT count(*) FROM staff_staff), (SELECT min(created_at) FROM bookings_booking), "
                       "(SELECT max(created_at) FROM bookings_booking)")
        bookings, complaints, staff, oldest, newest = cursor.fetchone()
    days = (newest - oldest).days + 1 if oldest else 0
    return f"{bookings:,} bookings, {complaints:,} complaints, {staff:,} staff over {days} days"


def checkout() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    dirty = " (uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return f"{git('rev-parse', '--abbrev-ref', 'HEAD')} {git('rev-parse', '--short', 'HEAD')}{dirty}"


def ms(value: float) -> str:
    return "—" if value != value else f"{value:,.1f}"


def status_note(timing: Timing) -> str:
    return "" if timing.status == 200 else f" **HTTP {timing.status}**"


# (a) records first pages


def part_a(client: APIClient, token: str, figures: list[str], runs: int) -> list[Timing]:
    timings = []
    for figure in figures:
        for period in RECORD_PERIODS:
            timings += capture(client, token, cold(
                client, token, [(f"{figure} {period}", RECORDS, {"figure": figure, "period": period})], runs
            ))
            print(f"  (a) {figure:45s} {period:6s} {ms(timings[-1].median):>9s} ms", flush=True)
    return timings


def table_a(timings: list[Timing]) -> str:
    lines = ["| figure | period | count | warm-up | median | max | ≤ 50 ms | SQL (statements) | slowest | load |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in timings:
        verdict = "met" if t.status == 200 and t.median <= RECORDS_TARGET_MS else "**not met**"
        lines.append(f"| `{t.params['figure']}` | {t.params['period']} | {t.count if t.count is not None else '—'} | "
                     f"{ms(t.first)} | {ms(t.median)} | {ms(t.max)} | {verdict}{status_note(t)} | {t.sql} | {t.slowest} | "
                     f"{t.load:.2f} |")
    missed = sum(1 for t in timings if not (t.status == 200 and t.median <= RECORDS_TARGET_MS))
    lines.append("")
    lines.append(f"{len(timings) - missed} of {len(timings)} first pages met ≤ 50 ms (median); slowest median "
                 f"{ms(max(t.median for t in timings))} ms.")
    return "\n".join(lines)


# (b) staff-filtered metrics


def part_b(client: APIClient, token: str, staff: list[int], runs: int) -> list[tuple[Timing, Timing]]:
    pairs = []
    ids = ",".join(map(str, staff))
    for period in PERIODS:
        plain, filtered = capture(client, token, cold(client, token, [
            (f"metrics {period}", METRICS, {"period": period}),
            (f"metrics {period} staff={ids}", METRICS, {"period": period, "staff": ids}),
        ], runs))
        pairs.append((plain, filtered))
        print(f"  (b) {period:6s} unfiltered {ms(plain.median):>9s} ms, staff={ids} {ms(filtered.median):>9s} ms",
              flush=True)
    return pairs


def b_ratio(plain: Timing, filtered: Timing) -> float:
    return filtered.median / plain.median


def table_b(pairs: list[tuple[Timing, Timing]], staff: list[int]) -> str:
    lines = [f"| period | unfiltered median / max (engine; SQL) | staff={','.join(map(str, staff))} median / max "
             f"(engine; SQL) | ratio | ≤ 2× | load |", "| --- | --- | --- | --- | --- | --- |"]
    for plain, filtered in pairs:
        ratio = b_ratio(plain, filtered)
        ok = plain.status == filtered.status == 200 and ratio <= FILTER_TARGET_RATIO
        lines.append(
            f"| {plain.params['period']} | {ms(plain.median)} / {ms(plain.max)} ({plain.engines}; {plain.sql})"
            f"{status_note(plain)} | {ms(filtered.median)} / {ms(filtered.max)} ({filtered.engines}; {filtered.sql})"
            f"{status_note(filtered)} | "
            f"{ratio:.2f}× | {'met' if ok else '**not met**'} | {filtered.load:.2f} |"
        )
    return "\n".join(lines)


# (c) per-staff rows


def part_c(client: APIClient, token: str, runs: int) -> list[Timing]:
    timings = []
    for period in PERIODS:
        timings += capture(client, token, cold(client, token, [(f"staff {period}", STAFF, {"period": period})], runs))
        print(f"  (c) {period:6s} {ms(timings[-1].median):>9s} ms ({timings[-1].count} rows)", flush=True)
    return timings


def table_c(timings: list[Timing]) -> str:
    lines = ["| period | rows | warm-up | median | max | engine | ≤ 100 ms | SQL (statements) | slowest | load |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in timings:
        verdict = "met" if t.status == 200 and t.median <= STAFF_TARGET_MS else "**not met**"
        lines.append(f"| {t.params['period']} | {t.count} | {ms(t.first)} | {ms(t.median)} | {ms(t.max)} | "
                     f"{t.engines} | {verdict}{status_note(t)} | {t.sql} | {t.slowest} | {t.load:.2f} |")
    return "\n".join(lines)


# (d) CSV memory through one gunicorn worker


@dataclass
class Export:
    """One streamed CSV: its rows and bytes, how long it took, the worker's memory before and at its peak."""

    wanted: int
    rows: int
    bytes: int
    seconds: float
    rss_before: int
    peak: int
    sampled_peak: int
    load: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid` in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) * 1024
    return values


def start_worker(port: int, log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn per gunicorn.conf.py with one worker on `port`; the server and its worker's pid once it answers."""
    env = dict(os.environ, WEB_CONCURRENCY="1", GUNICORN_BIND=f"127.0.0.1:{port}", PORT=str(port),
               GUNICORN_ACCESS_LOG="", GUNICORN_TIMEOUT="600")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("w") as handle:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi:application"], cwd=ROOT, env=env,
                                  stdout=handle, stderr=subprocess.STDOUT)
    for _ in range(300):
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        if pids:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return server, int(pids[0])
            except OSError:
                pass
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"gunicorn did not start; see {log}")


def stream_csv(port: int, token: str, query: str) -> tuple[int, int, float]:
    """GET the CSV and read it to the end: data rows, bytes, seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", f"{RECORDS}?{query}", headers={"Authorization": f"Token {token}", "Accept": "text/csv"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"CSV export answered {response.status}: {response.read()[:300]!r}")
    lines = size = 0
    while chunk := response.read(65536):
        lines += chunk.count(b"\n")
        size += len(chunk)
    conn.close()
    return lines - 1, size, time.perf_counter() - started


def csv_window(rows: int) -> str | None:
    """A custom-range query of CSV_FIGURE holding about `rows` rows (from the created_at of the rows-th newest)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at FROM bookings_booking ORDER BY created_at DESC OFFSET %s LIMIT 1", [rows - 1])
        found = cursor.fetchone()
    if found is None:
        return None
    start = found[0].astimezone(UTC).isoformat().replace("+00:00", "Z")
    end = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"figure={CSV_FIGURE}&start={start}&end={end}&format=csv"


def export_once(token: str, rows: int, log_dir: Path) -> Export | None:
    """A fresh worker: a warm-up export of 100 rows, its memory, then the export of `rows` while its RSS is sampled."""
    query = csv_window(rows)
    if query is None:
        return None
    port = free_port()
    server, worker = start_worker(port, log_dir / f"gunicorn_{rows}.log")
    try:
        stream_csv(port, token, csv_window(100))
        rss_before = proc_status(worker)["VmRSS"]
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        sampled, done = [rss_before], threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                sampled.append(proc_status(worker)["VmRSS"])

        sampler = threading.Thread(target=sample)
        sampler.start()
        got, size, seconds = stream_csv(port, token, query)
        done.set()
        sampler.join()
        peak = proc_status(worker)["VmHWM"]
    finally:
        server.terminate()
        server.wait(timeout=60)
    return Export(wanted=rows, rows=got, bytes=size, seconds=seconds, rss_before=rss_before, peak=peak,
                  sampled_peak=max(sampled), load=load1())


def part_d(token: str, sizes: list[int]) -> list[Export]:
    exports = []
    with tempfile.TemporaryDirectory(prefix="staff-records-") as logs:
        for rows in sizes:
            export = export_once(token, rows, Path(logs))
            if export is None:
                print(f"  (d) {rows:,} rows: fewer bookings in the database, skipped", flush=True)
                continue
            exports.append(export)
            print(f"  (d) {export.rows:,} rows in {export.seconds:.1f} s, RSS {export.rss_before / MIB:.1f} → peak "
                  f"{export.peak / MIB:.1f} MiB", flush=True)
    return exports


def table_d(exports: list[Export]) -> str:
    lines = ["| rows | MiB sent | seconds | rows/s | worker RSS before | peak (VmHWM) | peak sampled every 20 ms | "
             "peak − before | load |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for e in exports:
        lines.append(f"| {e.rows:,} | {e.bytes / MIB:,.1f} | {e.seconds:,.1f} | {e.rows / e.seconds:,.0f} | "
                     f"{e.rss_before / MIB:.1f} MiB | {e.peak / MIB:.1f} MiB | {e.sampled_peak / MIB:.1f} MiB | "
                     f"{(e.peak - e.rss_before) / MIB:+.1f} MiB | {e.load:.2f} |")
    if len(exports) > 1:
        ratio = exports[-1].peak / exports[0].peak
        verdict = "met" if ratio <= CSV_TARGET_RATIO else "**not met**"
        lines += ["", f"Peak RSS at {exports[-1].rows:,} rows ÷ at {exports[0].rows:,} rows: {ratio:.3f}× "
                      f"({verdict}: constant memory taken as ≤ {CSV_TARGET_RATIO}×)."]
    return "\n".join(lines)


def misses(a: list[Timing], pairs: list[tuple[Timing, Timing]], c: list[Timing]) -> list[Timing]:
    """The requests that missed their target (for (b) the filtered one)."""
    missed = [t for t in a if t.status != 200 or t.median > RECORDS_TARGET_MS]
    missed += [f for p, f in pairs if f.status != 200 or b_ratio(p, f) > FILTER_TARGET_RATIO]
    missed += [t for t in c if t.status != 200 or t.median > STAFF_TARGET_MS]
    return missed


def explain_misses(missed: list[Timing]) -> str:
    """For each missed request: its captured statements' count and times, and the two slowest EXPLAINed."""
    out = []
    for timing in missed:
        query = "&".join(f"{k}={v}" for k, v in timing.params.items())
        out.append(f"### {timing.path}?{query} (median {ms(timing.median)} ms)\n")
        out.append(f"{len(timing.statements)} statements; slowest: "
                   + ", ".join(f"{seconds * 1000:.1f} ms" for seconds, _ in timing.statements[:3]) + "\n")
        for seconds, sql in timing.statements[:2]:
            out.append(f"{seconds * 1000:.1f} ms:\n\n```sql\n{sql}\n```\n\n```\n{explain(sql)}\n```\n")
        print(f"  explained {timing.label}", flush=True)
    return "\n".join(out)


def main() -> None:
    args = ARGS
    client = APIClient(SERVER_NAME="localhost")
    token = bench_token()
    started, load_start = datetime.now(UTC), os.getloadavg()
    data = database_summary()
    head = (f"## bench/staff_records.py, {started:%Y-%m-%d %H:%M} UTC{', ' + args.label if args.label else ''}\n\n"
            f"Checkout {checkout()}; database `{connection.settings_dict['NAME']}` ({data}); "
            f"OPS_METRICS_ENGINE={os.environ['OPS_METRICS_ENGINE']}; Redis `{os.environ['REDIS_URL']}`; cache "
            f"cleared before every request, one warm-up then {args.runs} runs (ms); load average at start "
            f"{load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}.\n")
    print(head, flush=True)
    sections, a, pairs, c = [head], [], [], []
    if "a" in args.only:
        figures = args.figures.split(",") if args.figures else FIGURE_NAMES
        a = part_a(client, token, figures, args.runs)
        sections.append(f"### (a) Records, first page (page_size 50), target ≤ {RECORDS_TARGET_MS:.0f} ms\n\n"
                        f"{table_a(a)}\n")
    if "b" in args.only:
        staff = [int(pk) for pk in args.staff.split(",")] if args.staff else three_staff()
        pairs = part_b(client, token, staff, args.runs)
        sections.append(f"### (b) Metrics (all groups), 3-staff filter against unfiltered, target ≤ "
                        f"{FILTER_TARGET_RATIO:.0f}×\n\n{table_b(pairs, staff)}\n")
    if "c" in args.only:
        c = part_c(client, token, args.runs)
        sections.append(f"### (c) Per-staff rows, no filter, target ≤ {STAFF_TARGET_MS:.0f} ms (at 10M)\n\n"
                        f"{table_c(c)}\n")
    if "d" in args.only and not args.skip_csv:
        exports = part_d(token, [int(n) for n in args.csv_rows.split(",")])
        sections.append(f"### (d) Records CSV (`{CSV_FIGURE}`, custom range) through one gunicorn worker, "
                        f"peak RSS\n\n{table_d(exports)}\n")
    load_end = os.getloadavg()
    sections.append(f"Load average at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}; "
                    f"{(datetime.now(UTC) - started).total_seconds():.0f} s.\n")
    text = "\n".join(sections) + "\n"
    print(text, flush=True)
    path = write_results(args.results, text)
    print(f"appended to {path}")
    missed = misses(a, pairs, c)
    if missed and not args.no_explain:
        explained = explain_misses(missed)
        explain_path = write_results(Path(args.results).with_name(Path(args.results).stem + "_explain.md"),
                                     f"{head}\n{explained}\n")
        print(f"EXPLAIN of {len(missed)} missed requests appended to {explain_path}")


if __name__ == "__main__":
    main()
