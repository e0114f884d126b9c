"""Benchmark step: 8 dashboard pollers through gunicorn while writers add bookings and complaints (issue 10).

Usage: .venv/bin/python bench/write_load.py [--seconds 60] [--rates 0,2,20] [--engines auto,scan]
    [--max-staleness 0] [--targets 0.7,2] [--no-append]
Uses the loaded database in DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ops_bench_rollup, never
reloaded) and REDIS_URL (default Redis db 8); appends a section to bench/out/write_load.md. Each phase records the
machine's load averages (os.getloadavg) at its start and end: the cores are shared.
"""
import argparse
import http.client
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ops_bench_rollup")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-write-load")
# As the gunicorn it starts (start_server): for --profile-miss, which requests in-process.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("OPS_METRICS_THROTTLE_RATE", "100000000/min")

from bench.results import results_path, write_results  # noqa: E402
from bench.run import Report, ensure_database, free_port  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"  # bench.run points it at bench.settings

PERIODS = ("today", "week", "month", "all")
PATH = "/api/v1/ops/dashboard/metrics"
BENCH_PASSWORD = "bench-password-1"


@dataclass
class Sample:
    """One poller request: its period, latency, status, X-Cache header and whether it carried Age (stale)."""

    period: str
    seconds: float
    status: int
    x_cache: str
    age: bool = False


@dataclass
class Phase:
    """What one phase measured."""

    rate: float
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    bookings: int = 0
    complaints: int = 0
    errors: int = 0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="Duration of each phase.")
    parser.add_argument("--pollers", type=int, default=8)
    parser.add_argument("--rates", default="0,2,20", help="Writes per second (booking + complaint) per phase.")
    parser.add_argument("--engines", default="auto,scan", help="OPS_METRICS_ENGINE values, one server each.")
    parser.add_argument("--max-staleness", type=int, default=0,
                        help="OpsConfig.max_staleness_seconds for the run (restored afterwards).")
    parser.add_argument("--targets", default="0.7,2",
                        help="Throughput floor and `all` p95 ceiling, both relative to the no-write phase.")
    parser.add_argument("--shared-user", action="store_true",
                        help="All pollers as the demo ops_admin (default: one ops admin per poller).")
    parser.add_argument("--results", default=str(results_path("write_load")))
    parser.add_argument("--no-append", action="store_true", help="Print the tables only.")
    parser.add_argument("--profile-miss", type=float, metavar="SECONDS",
                        help="Instead of the phases: cProfile in-process requests for period=all (all groups) for "
                             "SECONDS while a writer runs at the last of --rates; prints the profile.")
    parser.add_argument("--writer", nargs=2, type=float, metavar=("RATE", "SECONDS"), help=argparse.SUPPRESS)
    return parser.parse_args()


def write_for(*, rate: float, seconds: float) -> dict[str, int]:
    """Insert `rate` bookings and complaints per second through the ORM, one transaction each, for `seconds`."""
    from django.db import transaction

    from bookings.models import Booking, BookingStatus, PaymentStatus
    from complaints.models import Complaint, ComplaintPriority

    rng = random.Random(os.getpid())
    statuses = [BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.CANCELLED]
    done = {"bookings": 0, "complaints": 0, "behind": 0}
    started = time.monotonic()
    for index in itertools.count():
        due = started + index / rate
        if due >= started + seconds:
            break
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        else:
            done["behind"] += 1
        with transaction.atomic():
            booking = Booking.objects.create(
                reference=f"WL{os.getpid()}-{time.time_ns() % 10**15}", customer_name="Write Load",
                status=rng.choice(statuses), payment_status=PaymentStatus.PAID,
                total_amount=Decimal(rng.randrange(1000, 50000)) / 100,
                scheduled_for=datetime.now(UTC) + timedelta(days=rng.randrange(14)),
            )
        done["bookings"] += 1
        with transaction.atomic():
            Complaint.objects.create(
                booking=booking, subject="Write load", priority=rng.choice(ComplaintPriority.values),
            )
        done["complaints"] += 1
    return done


def request_once(*, conn: http.client.HTTPConnection, period: str, token: str) -> Sample:
    """One GET of the metrics endpoint (all groups) on a kept-alive connection."""
    started = time.perf_counter()
    conn.request("GET", f"{PATH}?period={period}", headers={"Authorization": f"Token {token}"})
    response = conn.getresponse()
    response.read()
    return Sample(period, time.perf_counter() - started, response.status, response.headers.get("X-Cache", ""),
                  response.headers.get("Age") is not None)


def poll(*, port: int, token: str, number: int, deadline: float, out: list[Sample], errors: list[int]) -> None:
    """Loop over the periods (each poller starting at a different one) until `deadline`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    periods = itertools.cycle(PERIODS[number % len(PERIODS):] + PERIODS[:number % len(PERIODS)])
    while time.monotonic() < deadline:
        try:
            out.append(request_once(conn=conn, period=next(periods), token=token))
        except (OSError, http.client.HTTPException):
            errors.append(1)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()


def poller_tokens(*, pollers: int, shared: bool) -> list[str]:
    """One ops admin's API token per poller (the demo `ops_admin` for all of them with `shared`).

    Distinct users by default: since one cold computation per user and endpoint runs at a time (the second is a
    429, docs/guard-notes.md), 8 pollers as one user measure that guard, not 8 dashboards.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from ops_metrics.constants import ADMINS_GROUP
    from ops_metrics.services.demo import ensure_demo_users

    if shared:
        token = {c.username: c.token for c in ensure_demo_users(password=BENCH_PASSWORD)}["ops_admin"]
        return [token] * pollers
    tokens = []
    for number in range(pollers):
        user, _ = get_user_model().objects.get_or_create(username=f"bench_poller_{number}")
        user.groups.add(Group.objects.get(name=ADMINS_GROUP))
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    return tokens


def run_phase(*, port: int, tokens: list[str], rate: float, seconds: float, pollers: int) -> Phase:
    """`pollers` threads for `seconds`, with a writer process at `rate` writes per second alongside."""
    phase = Phase(rate=rate, seconds=seconds, load_before=os.getloadavg())
    writer = None
    if rate:
        writer = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--writer", str(rate), str(seconds)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        time.sleep(1.0)  # its Django start-up, so that writes span the whole phase
    deadline = time.monotonic() + seconds
    errors: list[int] = []
    threads = [
        threading.Thread(target=poll, kwargs={"port": port, "token": tokens[n], "number": n, "deadline": deadline,
                                              "out": phase.samples, "errors": errors})
        for n in range(pollers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.errors = len(errors)
    phase.load_after = os.getloadavg()
    if writer:
        out, _ = writer.communicate(timeout=seconds + 60)
        done = json.loads(out.strip().splitlines()[-1])
        phase.bookings, phase.complaints = done["bookings"], done["complaints"]
    return phase


def percentile(*, values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of `values`, in milliseconds."""
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1] * 1000


def summarize(*, phase: Phase) -> dict[str, float]:
    """Throughput, latency percentiles, hit ratio and failures of one phase."""
    every = [s.seconds for s in phase.samples]
    of_all = [s.seconds for s in phase.samples if s.period == "all"]
    return {
        "rps": len(phase.samples) / phase.seconds,
        "p50": percentile(values=every, q=50), "p95": percentile(values=every, q=95),
        "all_p50": percentile(values=of_all, q=50), "all_p95": percentile(values=of_all, q=95),
        "hits": sum(s.x_cache == "hit" for s in phase.samples) / max(1, len(phase.samples)),
        "all_hits": sum(s.x_cache == "hit" for s in phase.samples if s.period == "all") / max(1, len(of_all)),
        "requests": len(phase.samples),
        "non2xx": sum(not 200 <= s.status < 300 for s in phase.samples) + phase.errors,
        "stale": sum(s.age for s in phase.samples) / max(1, len(phase.samples)),
        "load_before": phase.load_before[0], "load_after": phase.load_after[0],
    }


def start_server(*, engine: str, port: int, log: Path) -> subprocess.Popen:
    """gunicorn with the project's config, 2 workers × 4 threads, on 127.0.0.1:`port`."""
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="config.settings", OPS_METRICS_ENGINE=engine, DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1", OPS_METRICS_THROTTLE_RATE="100000000/min", WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4", GUNICORN_BIND=f"127.0.0.1:{port}", PORT=str(port), GUNICORN_ACCESS_LOG="",
    )
    with log.open("w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application"],  # ./gunicorn.conf.py from ROOT
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )


def wait_ready(*, port: int, token: str) -> None:
    """Until the endpoint answers 200 (at most 30 s), then one request per period to warm the cache."""
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if request_once(conn=conn, period="today", token=token).status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        raise RuntimeError("gunicorn did not answer within 30 s")
    for period in PERIODS:
        assert request_once(conn=conn, period=period, token=token).status == 200
    conn.close()


def run_engine(*, engine: str, args: argparse.Namespace, tokens: list[str]) -> list[dict[str, float]]:
    """One server with `engine`, one phase per write rate; the summaries of the phases."""
    from django.core.cache import cache

    cache.clear()  # Redis db 8, this benchmark's own: no entry of an earlier run is served
    port = free_port()
    server = start_server(engine=engine, port=port, log=Path(f"/tmp/write_load_gunicorn_{engine}.log"))
    try:
        wait_ready(port=port, token=tokens[0])
        results = []
        for rate in (float(r) for r in args.rates.split(",")):
            phase = run_phase(port=port, tokens=tokens, rate=rate, seconds=args.seconds, pollers=args.pollers)
            summary = summarize(phase=phase) | {"rate": rate, "bookings": phase.bookings,
                                                 "complaints": phase.complaints}
            print(f"{engine} rate={rate:g}/s: {json.dumps(summary)}", flush=True)
            results.append(summary)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def verdicts(*, results: list[dict[str, float]], floor: float, ceiling: float) -> str:
    """The two targets against the no-write phase (the first), per write rate."""
    base = results[0]
    parts = []
    for row in results[1:]:
        throughput = row["rps"] / base["rps"]
        latency = row["all_p95"] / base["all_p95"]
        parts.append(
            f"at {row['rate']:g}/s: throughput {throughput:.2f}× no-write (target ≥ {floor:g}×: "
            f"{'met' if throughput >= floor else 'NOT met'}), `all` p95 {latency:.2f}× (target ≤ {ceiling:g}×: "
            f"{'met' if latency <= ceiling else 'NOT met'})"
        )
    return "; ".join(parts)


def profile_miss(*, args: argparse.Namespace, token: str) -> str:
    """cProfile of sequential in-process requests for period=all while a writer runs; the top of the profile."""
    import cProfile
    import io
    import pstats

    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    rate = float(args.rates.split(",")[-1])
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get(f"{PATH}?period=all", **headers).status_code == 200
    writer = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--writer", str(rate), str(args.profile_miss + 2)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    time.sleep(1.0)
    samples = []
    profiler = cProfile.Profile()
    deadline = time.monotonic() + args.profile_miss
    profiler.enable()
    while time.monotonic() < deadline:
        started = time.perf_counter()
        response = client.get(f"{PATH}?period=all", **headers)
        samples.append((time.perf_counter() - started, response.get("X-Cache"), response.status_code))
    profiler.disable()
    writer.communicate(timeout=args.profile_miss + 60)
    misses = [seconds for seconds, x_cache, _ in samples if x_cache == "miss"]
    out = io.StringIO()
    out.write(
        f"{len(samples)} requests in {args.profile_miss:g} s at {rate:g} writes/s, {len(misses)} misses "
        f"(median {statistics.median(misses) * 1000 if misses else float('nan'):.1f} ms, profiled), statuses "
        f"{sorted({status for *_, status in samples})}, load averages {os.getloadavg()}\n"
    )
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


def main() -> None:
    """Run every engine's phases, verify the summaries and append the figures to the results file."""
    args = parse_args()
    import django

    django.setup()
    if args.writer:
        print(json.dumps(write_for(rate=args.writer[0], seconds=args.writer[1])), flush=True)
        return
    ensure_database()
    from django.core.management import CommandError, call_command

    from bookings.models import Booking
    from complaints.models import Complaint
    from ops_metrics.rollups.state import rollups_current, summary_differences

    counts = f"{Booking.objects.count():,} bookings, {Complaint.objects.count():,} complaints"
    print(f"{counts}; summaries current: {rollups_current(using='default')}", flush=True)
    from ops_metrics.models import OpsConfig

    tokens = poller_tokens(pollers=args.pollers, shared=args.shared_user)
    if args.profile_miss:
        text = profile_miss(args=args, token=tokens[0])
        print(text)
        write_results(results_path("write_load_profile"), text, append=False)
        return
    config = OpsConfig.load()
    staleness_before = config.max_staleness_seconds
    config.max_staleness_seconds = args.max_staleness
    config.save()
    floor, ceiling = (float(t) for t in args.targets.split(","))
    report = Report()
    try:
        by_engine = {engine: run_engine(engine=engine, args=args, tokens=tokens) for engine in args.engines.split(",")}
    finally:
        config = OpsConfig.load()
        config.max_staleness_seconds = staleness_before
        config.save()
    for engine, results in by_engine.items():
        rows = [
            [f"{r['rate']:g}/s", f"{r['rps']:.1f}", f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['all_p50']:.1f}",
             f"{r['all_p95']:.1f}", f"{r['hits']:.1%}", f"{r['all_hits']:.1%}",
             f"{r['stale']:.1%}", f"{r['bookings']:.0f} + {r['complaints']:.0f}", f"{r['requests']:.0f}",
             f"{r['non2xx']:.0f}", f"{r['load_before']:.2f} → {r['load_after']:.2f}"]
            for r in results
        ]
        report.table(
            f"Write load, OPS_METRICS_ENGINE={engine}, max_staleness_seconds={args.max_staleness} "
            f"({args.pollers} pollers{' as one user' if args.shared_user else ', one user each'} × "
            f"{args.seconds:g} s per phase)",
            ["writes", "requests/s", "p50 ms", "p95 ms", "`all` p50 ms", "`all` p95 ms", "X-Cache hit",
             "`all` hit", "stale (Age)", "bookings + complaints written", "requests", "non-2xx",
             "1-min load start → end"],
            rows, verdicts(results=results, floor=floor, ceiling=ceiling) + ".",
        )
    differences = summary_differences(using="default")
    started = time.perf_counter()
    try:
        call_command("ops_rollups", "verify")
        verified = f"`ops_rollups verify` clean ({time.perf_counter() - started:.0f} s)"
    except (SystemExit, CommandError) as error:
        verified = f"`ops_rollups verify` FAILED: {error}"
    print(verified, flush=True)
    if args.no_append:
        return
    header = (
        f"## Write load (bench/write_load.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {counts} before the run, "
        f"{Booking.objects.count():,} and {Complaint.objects.count():,} after; "
        f"gunicorn 2 workers × 4 threads, Redis; summary differences afterwards: {differences or 'none'}; {verified})"
    )
    write_results(args.results, "\n" + header + "\n\n" + "\n\n".join(report.sections) + "\n")
    print(f"\nappended to {args.results}")


if __name__ == "__main__":
    main()
