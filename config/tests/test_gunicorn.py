"""The gunicorn configuration, live: workers from the environment, probes, request ids, graceful stop."""
import os
import runpy
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from django.conf import settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"], "SECRET_KEY": "k", "PORT": str(port), "REDIS_URL": os.environ["REDIS_URL"],
        "PROMETHEUS_TOKEN": "scrape-token", "GUNICORN_CONTROL_SOCKET": str(tmp_path / "gunicorn.ctl"),
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
    }
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(
        [str(settings.BASE_DIR / ".venv/bin/gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi:application"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{base}/healthz")
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
    yield {"base": base, "process": process, "log": tmp_path / "gunicorn.log", "socket": tmp_path / "gunicorn.ctl"}
    if process.poll() is None:
        process.kill()
        process.wait()
    log.close()


def test_gunicorn_serves_with_the_configured_workers_and_stops_gracefully(server):
    status, headers, _ = _get(f"{server['base']}/healthz?token=do-not-log", **{"X-Request-ID": "probe-0001-abcd"})
    for _ in range(4):
        _get(f"{server['base']}/healthz")
    scrape = _get(f"{server['base']}/metrics/prometheus", Authorization="Bearer scrape-token")

    assert (status, headers["X-Request-ID"]) == (200, "probe-0001-abcd")
    assert server["socket"].exists()
    assert scrape[0] == 200
    # Two workers (REDIS_URL set) summed through the multiprocess directory: every probe counted (5 + the wait's).
    assert b'responses_total_by_status_view_method_total{method="GET",status="200",view="healthz"} 6.0' in scrape[2]

    started = time.monotonic()
    server["process"].send_signal(signal.SIGTERM)
    assert server["process"].wait(timeout=15) == 0
    assert time.monotonic() - started < 6

    log = server["log"].read_text()
    assert log.count("Booting worker") == 2
    assert '"GET /healthz HTTP/1.1" 200' in log and "probe-0001-abcd" in log
    assert "do-not-log" not in log


@pytest.mark.parametrize(("environ", "workers"), [
    ({}, 1),
    ({"REDIS_URL": "redis://cache:6379/0"}, 2),
    ({"REDIS_SENTINELS": "sentinel-1:26379", "REDIS_SENTINEL_SERVICE": "ops"}, 2),
    ({"REDIS_SENTINELS": "sentinel-1:26379", "WEB_CONCURRENCY": "5"}, 5),
])
def test_several_workers_by_default_only_with_a_shared_cache(monkeypatch, environ, workers):
    for name in ("REDIS_URL", "REDIS_SENTINELS", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    assert runpy.run_path(str(settings.BASE_DIR / "config" / "gunicorn.conf.py"))["workers"] == workers
