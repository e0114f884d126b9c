"""Bounded database waits: request timeouts for the web server only, and a fast JSON 503 when the database fails."""
import json
import os
import subprocess
import sys
import time

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from config import errors
from config.errors import server_error

METRICS = "/api/v1/ops/dashboard/metrics"


def _assert_database_503(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(settings.DATABASE_UNAVAILABLE_RETRY_AFTER)
    assert "database" in json.loads(response.content)["detail"]


@pytest.fixture
def table_lock(request_timeouts):
    """A second connection holds ACCESS EXCLUSIVE on the audit table (as a long migration or VACUUM FULL would)."""
    params = connection.get_connection_params()
    with psycopg.connect(**{key: value for key, value in params.items() if key != "cursor_factory"}) as holder:
        # Should the request not give up, the holder is ended after 5 s: the test fails instead of hanging.
        holder.execute("SET idle_in_transaction_session_timeout = '5s'")
        holder.execute("LOCK TABLE ops_opsauditlog IN ACCESS EXCLUSIVE MODE")
        yield
        holder.rollback()


def test_metrics_request_waiting_on_a_lock_gets_503_within_the_lock_timeout(table_lock, superuser_client_api):
    started = time.monotonic()
    response = superuser_client_api.get(METRICS, {"include": "bookings"})
    elapsed = time.monotonic() - started

    _assert_database_503(response)
    assert elapsed < 1.5  # lock_timeout is 0.5 s; without it the request waits for the lock holder


def test_statement_timeout_bounds_a_wait_when_there_is_no_lock_timeout(
    request_timeouts, table_lock, superuser_client_api
):
    request_timeouts(statement_timeout_ms=700, lock_timeout_ms=0)

    started = time.monotonic()
    response = superuser_client_api.get(METRICS, {"include": "bookings"})

    _assert_database_503(response)
    assert time.monotonic() - started < 2


def test_without_a_lock_the_same_request_succeeds_under_the_timeouts(request_timeouts, superuser_client_api):
    response = superuser_client_api.get(METRICS, {"include": "bookings"})

    assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("1500ms",)
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("500ms",)


def test_database_refusing_connections_gets_503_fast(superuser_client_api, database_refusing):
    started = time.monotonic()
    response = superuser_client_api.get(METRICS)

    _assert_database_503(response)
    assert time.monotonic() - started < 1


def test_database_host_that_never_answers_gets_503_after_the_connect_timeout(superuser_client_api, database_hanging):
    started = time.monotonic()
    response = superuser_client_api.get(METRICS)

    _assert_database_503(response)
    assert time.monotonic() - started < 3  # connect_timeout 1 s; libpq may try the address twice


@pytest.mark.parametrize("path", ["/admin/", "/api-auth/login/", METRICS])
def test_failure_in_middleware_is_a_json_503_not_the_html_500(
    admin_user, closed_port, path, settings, request, caplog
):
    # LoginRequiredMiddleware reads the session user in process_view, before any view runs.
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.contrib.auth.middleware.LoginRequiredMiddleware"]
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    request.getfixturevalue("database_refusing")

    response = client.get(path)

    _assert_database_503(response)
    # One warning of ours; Django's own "Service Unavailable" traceback is filtered out.
    assert [(record.name, record.levelname) for record in caplog.records] == [("config.errors", "WARNING")]


def test_an_outage_logs_one_traceback_per_minute_and_one_line_per_request(superuser_client_api, caplog, request):
    errors._last_traceback_at.clear()
    request.getfixturevalue("database_refusing")

    for _ in range(3):
        superuser_client_api.get(METRICS)

    records = [record for record in caplog.records if record.name == "config.errors"]
    assert len(records) == 3
    assert [record.exc_info is not None for record in records] == [True, False, False]


def test_handler500_answers_503_for_a_database_error_and_html_500_otherwise(rf: RequestFactory):
    try:
        raise OperationalError("canceling statement due to statement timeout")
    except OperationalError:
        _assert_database_503(server_error(rf.get("/")))
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


PROBE = """
import json, os, sys
if sys.argv[1] == "wsgi":
    import config.wsgi
else:
    import django
    django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SHOW statement_timeout")
    statement = cursor.fetchone()[0]
    cursor.execute("SHOW lock_timeout")
    lock = cursor.fetchone()[0]
print(json.dumps({"statement": statement, "lock": lock,
                  "connect_timeout": connection.settings_dict["OPTIONS"].get("connect_timeout")}))
"""


def _probe(*, entry: str, **environ: str) -> dict:
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k", **environ}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, entry], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_web_entry_point_sets_the_timeouts_and_management_commands_do_not(db):
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"

    assert _probe(entry="wsgi", DATABASE_URL=url) == {"statement": "5s", "lock": "3s", "connect_timeout": 3}
    assert _probe(entry="wsgi", DATABASE_URL=url, DB_STATEMENT_TIMEOUT_MS="8000", DB_LOCK_TIMEOUT_MS="250",
                  DB_CONNECT_TIMEOUT="2") == {"statement": "8s", "lock": "250ms", "connect_timeout": 2}
    # manage.py (migrate, seed_demo, ops_rollups...) only sets Django up: PostgreSQL's defaults, no timeouts.
    assert _probe(entry="manage", DATABASE_URL=url) == {"statement": "0", "lock": "0", "connect_timeout": 3}


def test_sqlite_connections_get_no_postgresql_options(tmp_path):
    env = {
        "PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    probe = "import config.wsgi; from django.db import connection; print(connection.settings_dict['OPTIONS'])"

    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )

    assert (result.returncode, result.stdout.strip()) == (0, "{}"), result.stderr
