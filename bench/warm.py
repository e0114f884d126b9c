"""Warm path: a cache hit of the metrics endpoint against its floor, in-process and under gunicorn + wrk.

Usage: .venv/bin/python bench/warm.py [--requests 400] [--seconds 10]   (appends to bench/out/warm.md)
DATABASE_URL defaults to ops_bench_warm (20,000 bookings loaded when empty); a loaded database is used as it is.
The floor is a DRF view with the same token authentication that writes one audit row and returns the same
cached bytes (bench/urls.py): what docs/api.md, access and errors costs at the least. Target: endpoint ≤ 1.3× the floor.
"""
import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ops_bench_warm")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ["OPS_METRICS_THROTTLE_RATE"] = "100000000/min"
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402

from bench.results import results_path, write_results  # noqa: E402

URL = "/api/v1/ops/dashboard/metrics?period=month"


def in_process(client, path: str, token: str, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, HTTP_AUTHORIZATION=f"Token {token}")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return times


def profile_hit(client, token: str, requests: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    in_process(client, URL, token, requests)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="Print a cProfile of endpoint hits.")
    args = parser.parse_args()
    start_load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    from bench.run import ensure_database, free_port, to_ms, wrk

    ensure_database()
    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from bench.urls import BARE_CACHE_KEY
    from bookings.models import Booking
    from ops_metrics.models import OpsAuditLog, OpsConfig
    from ops_metrics.services.demo import ensure_demo_users

    call_command("migrate", verbosity=0)
    if not Booking.objects.exists():
        call_command("seed_demo", "--bookings=20000", "--complaints=4000", "--staff=50", "--verbosity=0")
    config = OpsConfig.load()
    config.metrics_cache_ttl_seconds = 3600
    config.save()
    token = {c.username: c.token for c in ensure_demo_users(password="bench-password-1")}["ops_admin"]

    client = Client(HTTP_HOST="127.0.0.1")
    first = client.get(URL, HTTP_AUTHORIZATION=f"Token {token}")
    cache.set(BARE_CACHE_KEY, first.content, timeout=None)
    assert client.get(URL, HTTP_AUTHORIZATION=f"Token {token}")["X-Cache"] == "hit"
    in_process(client, URL, token, 50)  # warm connections and imports
    in_process(client, "/bench/floor", token, 50)
    # Interleaved in blocks of 10: a change of the shared machine's load falls on both alike.
    endpoint, floor = [], []
    for _ in range(args.requests // 10):
        endpoint += in_process(client, URL, token, 10)
        floor += in_process(client, "/bench/floor", token, 10)
    rows = [
        ("in-process, endpoint hit", statistics.median(endpoint) * 1000, None),
        ("in-process, floor", statistics.median(floor) * 1000, None),
    ]
    if args.profile:
        print(profile_hit(client, token, 200))

    port = free_port()
    # From ROOT gunicorn reads ./gunicorn.conf.py: no access log (as before), a control socket of this port.
    env = dict(os.environ, GUNICORN_ACCESS_LOG="", PORT=str(port))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--log-level", "warning"], cwd=ROOT, env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/bench/bare").read()
                break
            except OSError:
                time.sleep(0.1)
        audit_before = OpsAuditLog.objects.count()
        served_endpoint = wrk(f"{base}{URL}", token, args.seconds)
        served_floor = wrk(f"{base}/bench/floor", token, args.seconds)
        audited = OpsAuditLog.objects.count() - audit_before
    finally:
        server.terminate()
        server.wait()
    rows += [
        ("gunicorn + wrk, endpoint hit", to_ms(served_endpoint["p50"]), served_endpoint["rps"]),
        ("gunicorn + wrk, floor", to_ms(served_floor["p50"]), served_floor["rps"]),
    ]
    ratio_in = rows[0][1] / rows[1][1]
    ratio_served = rows[2][1] / rows[3][1]
    lines = [
        "", "### Warm path against its floor (bench/warm.py)", "",
        "| path | p50 ms | requests/s |", "|---|---|---|",
        *(f"| {name} | {p50:.2f} | {'' if rps is None else f'{rps:.0f}'} |" for name, p50, rps in rows), "",
        f"Endpoint ÷ floor: {ratio_in:.2f}× in-process, {ratio_served:.2f}× under gunicorn (2 workers × 4 threads, "
        f"wrk 2 threads × 8 connections, {args.seconds} s each); {audited:,} audit rows written during the wrk runs "
        f"(both views write one per request). {args.requests} sequential requests each in-process, interleaved in "
        f"blocks of 10; "
        f"{Booking.objects.count():,} bookings; load averages at the start {start_load}, at the end "
        f"{', '.join(f'{value:.2f}' for value in os.getloadavg())}.", "",
    ]
    print("\n".join(lines))
    write_results(results_path("warm"), "\n".join(lines))


if __name__ == "__main__":
    main()
