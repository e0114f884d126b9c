"""Two gunicorn instances on one PostgreSQL and one Redis: invalidation, single flight and throttling are shared."""
import json
import os
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from bookings.factories import BookingFactory
from config.tests.test_gunicorn import _free_port, _stop, _wait_until_serving
from conftest import _ops_group
from ops_metrics.constants import ADMINS_GROUP
from ops_metrics.models import OpsConfig
from staff.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

METRICS = "/api/v1/ops/dashboard/metrics"


def _start(tmp_path, name: str) -> dict:
    """One app server (its own gunicorn master and worker) on the test database and the test Redis."""
    import subprocess

    directory = tmp_path / name
    directory.mkdir()
    database = connection.settings_dict
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"], "SECRET_KEY": "k", "PORT": str(port), "REDIS_URL": os.environ["REDIS_URL"],
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "OPS_METRICS_THROTTLE_RATE": "6/min", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4",
        "GUNICORN_CONTROL_SOCKET": str(directory / "gunicorn.ctl"),
    }
    log = (directory / "gunicorn.log").open("w+")
    process = subprocess.Popen(
        [str(settings.BASE_DIR / ".venv/bin/gunicorn"), "config.wsgi:application"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    server = {"base": f"http://127.0.0.1:{port}", "process": process, "log": directory / "gunicorn.log", "handle": log}
    _wait_until_serving(server)
    return server


@pytest.fixture
def two_servers(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("two app servers share a PostgreSQL database")
    servers = [_start(tmp_path, "a"), _start(tmp_path, "b")]
    yield servers
    for server in servers:
        _stop(server)


@pytest.fixture
def token() -> str:
    OpsConfig.load()  # created now, not by a first request (whose own write would move the config generation on)
    user = UserFactory(username="two_servers_admin")
    user.groups.add(_ops_group(ADMINS_GROUP))
    return Token.objects.create(user=user).key


def _get(server: dict, token: str, query: str = "include=bookings") -> tuple[int, str, dict]:
    request = urllib.request.Request(f"{server['base']}{METRICS}?{query}", headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers.get("X-Cache", ""), json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, "", {}


def test_a_write_invalidates_both_servers_and_one_serves_what_the_other_cached(two_servers, token):
    a, b = two_servers
    assert _get(a, token)[:2] == (200, "miss")
    assert _get(b, token)[:2] == (200, "hit")  # computed by a, served by b

    BookingFactory()  # committed here: the bookings generation moves on in the shared Redis

    status, cache, body = _get(b, token)
    assert (status, cache, body["bookings"]["total"]) == (200, "miss", 1)
    status, cache, body = _get(a, token)
    assert (status, cache, body["bookings"]["total"]) == (200, "hit", 1)


def test_concurrent_cold_requests_on_both_servers_compute_once(two_servers, token):
    query = "include=bookings&start=2026-01-01&end=2026-02-01"
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda server: _get(server, token, query), two_servers * 2))

    assert [status for status, _, _ in answers] == [200] * 4
    assert sorted(cache for _, cache, _ in answers) == ["hit", "hit", "hit", "miss"]


def test_the_throttle_counts_the_requests_of_both_servers(two_servers, token):
    a, b = two_servers
    statuses = [_get(server, token)[0] for server in (a, b, a, b, a, b, a, b)]

    assert statuses == [200] * 6 + [429, 429]
