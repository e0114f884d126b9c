"""Probes: /healthz answers without I/O; /readyz is 503 while the database or the cache cannot serve."""
import json
import logging

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from config import health


@pytest.fixture(autouse=True)
def _forget_migration_state():
    health._migrated_aliases.clear()
    health.forget_check_states()
    yield
    health._migrated_aliases.clear()
    health.forget_check_states()


def _redis_cache(*, port: int) -> dict:
    """The production cache settings (errors ignored and logged by django-redis) against 127.0.0.1:`port`."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25, "IGNORE_EXCEPTIONS": True},
        }
    }


def _get(path: str) -> tuple[int, dict]:
    response = Client().get(path)
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def test_healthz_answers_without_touching_the_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert _get("/healthz") == (200, {"status": "ok"})


def test_healthz_answers_with_the_database_down(database_refusing):
    assert _get("/healthz") == (200, {"status": "ok"})


def test_readyz_is_200_when_database_migrations_and_cache_are_fine(db):
    assert _get("/readyz") == (
        200,
        {"status": "ok", "checks": {"databasereachable:default": "ok", "migrationsapplied:default": "ok",
                                    "cache:default": "ok"}},
    )


def test_readyz_is_503_with_the_database_unreachable(database_refusing):
    status, body = _get("/readyz")

    assert (status, body["status"]) == (503, "unavailable")
    assert body["checks"]["databasereachable:default"] == "unreachable"
    assert body["checks"]["cache:default"] == "ok"


def test_readyz_names_an_unreachable_cache_and_logs_once_per_state_change(db, settings, closed_port, caplog):
    redis_url = settings.CACHES["default"]["LOCATION"]
    settings.CACHES = _redis_cache(port=closed_port)
    caplog.set_level(logging.INFO)

    down = [_get("/readyz") for _ in range(2)]
    records_while_down = [(record.name, record.levelname, record.getMessage()) for record in caplog.records]
    caplog.clear()
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis_url}}
    up = [_get("/readyz") for _ in range(2)]

    assert down[0] == down[1] == (
        503,
        {"status": "unavailable", "checks": {"databasereachable:default": "ok", "migrationsapplied:default": "ok",
                                             "cache:default": "unreachable"}},
    )
    assert [(name, level) for name, level, _ in records_while_down] == [("config.health", "WARNING")]
    assert records_while_down[0][2].startswith("Readiness check cache:default failing: unreachable (")
    assert "\n" not in records_while_down[0][2] and "Connection refused" in records_while_down[0][2]
    assert [status for status, _ in up] == [200, 200]
    assert [record.getMessage() for record in caplog.records] == ["Readiness check cache:default ok again"]


def test_readyz_is_503_while_a_migration_is_not_applied(db):
    MigrationRecorder(connection).migration_qs.filter(app="ops").order_by("-id").first().delete()

    status, body = _get("/readyz")

    assert status == 503
    assert body["checks"]["migrationsapplied:default"] == "1 migrations not applied"
