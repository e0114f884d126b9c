"""The gunicorn configuration (./gunicorn.conf.py, read from the repository root), live: workers, probes, request ids,
graceful stop, the workers' metrics summed, and no start without the multiprocess directory."""
import os
import re
import runpy
import signal
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
        return response.status, dict(response.headers), response.read()


def _environment(*, port: int, tmp_path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"], "SECRET_KEY": "k", "PORT": str(port), "REDIS_URL": os.environ["REDIS_URL"],
        "PROMETHEUS_TOKEN": "scrape-token", "GUNICORN_CONTROL_SOCKET": str(tmp_path / "gunicorn.ctl"),
        "GUNICORN_GRACEFUL_TIMEOUT": "5", **extra,
    }


def _start(tmp_path, *arguments: str, cwd=None, **extra: str) -> dict:
    """gunicorn config.wsgi:application with `arguments` (no -c: from the repository root it reads gunicorn.conf.py)."""
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(
        [str(settings.BASE_DIR / ".venv/bin/gunicorn"), "config.wsgi:application", *arguments],
        cwd=cwd or settings.BASE_DIR, env=_environment(port=port, tmp_path=tmp_path, **extra), stdout=log,
        stderr=subprocess.STDOUT,
    )
    return {"base": f"http://127.0.0.1:{port}", "port": port, "process": process, "log": tmp_path / "gunicorn.log",
            "socket": tmp_path / "gunicorn.ctl", "handle": log}


def _wait_until_serving(server: dict) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{server['base']}/healthz")
            return
        except OSError:
            assert server["process"].poll() is None and time.monotonic() < deadline, server["log"].read_text()
            time.sleep(0.2)


def _stop(server: dict) -> None:
    if server["process"].poll() is None:
        server["process"].kill()
        server["process"].wait()
    server["handle"].close()


@pytest.fixture
def server(tmp_path):
    started = _start(tmp_path)
    _wait_until_serving(started)
    yield started
    _stop(started)


@pytest.fixture
def two_workers(tmp_path):
    """gunicorn started as `gunicorn config.wsgi:application --workers 2` from the repository root."""
    started = _start(tmp_path, "--workers", "2")
    _wait_until_serving(started)
    yield started
    _stop(started)


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


def _healthz_count(scrape: bytes) -> float:
    pattern = rb'^django_http_responses_total_by_status_view_method_total{method="GET",status="200",view="healthz"} (\S+)$'
    match = re.search(pattern, scrape, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_every_scrape_sums_the_requests_of_both_workers(two_workers):
    base = two_workers["base"]
    # Concurrent connections, so that both workers accept some of them.
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: _get(f"{base}/healthz")[0], range(20)))
    scrapes = [_get(f"{base}/metrics/prometheus", Authorization="Bearer scrape-token")[2] for _ in range(6)]

    assert statuses == [200] * 20
    assert two_workers["log"].read_text().count("Booting worker") == 2
    # The 20 probes and the one that saw the server up, whichever worker answers the scrape.
    assert [_healthz_count(scrape) for scrape in scrapes] == [21.0] * 6


def _wait_for_exit(server: dict) -> tuple[int, str]:
    try:
        code = server["process"].wait(timeout=30)
    finally:
        _stop(server)
    return code, server["log"].read_text()


def test_gunicorn_without_the_configuration_file_refuses_to_serve(tmp_path):
    # From another directory gunicorn finds no gunicorn.conf.py: the workers refuse to load the application.
    code, log = _wait_for_exit(_start(tmp_path, "--workers", "2", "--chdir", str(settings.BASE_DIR), cwd=tmp_path))

    assert code != 0
    assert "gunicorn started without the project's gunicorn.conf.py" in log


def test_gunicorn_refuses_a_multiprocess_directory_that_does_not_exist(tmp_path):
    server = _start(tmp_path, "--workers", "2", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "missing"))
    code, log = _wait_for_exit(server)

    assert code == 1
    assert f"PROMETHEUS_MULTIPROC_DIR={tmp_path / 'missing'} is not a writable directory" in log


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

    assert runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))["workers"] == workers
