"""Probes: /healthz answers without I/O; /readyz is 503 while the database or the cache cannot serve."""
import json

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from config import health


@pytest.fixture(autouse=True)
def _forget_migration_state():
    health._migrated_aliases.clear()
    yield
    health._migrated_aliases.clear()


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
    assert body["checks"]["databasereachable:default"] == "Unavailable: database default unreachable"
    assert body["checks"]["cache:default"] == "ok"


def test_readyz_is_503_with_the_cache_unreachable(db, settings, closed_port):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25, "IGNORE_EXCEPTIONS": True},
        }
    }

    status, body = _get("/readyz")

    assert (status, body["status"]) == (503, "unavailable")
    assert body["checks"]["cache:default"].startswith("Unavailable")
    assert body["checks"]["databasereachable:default"] == "ok"


def test_readyz_is_503_while_a_migration_is_not_applied(db):
    MigrationRecorder(connection).migration_qs.filter(app="ops").order_by("-id").first().delete()

    status, body = _get("/readyz")

    assert status == 503
    assert body["checks"]["migrationsapplied:default"] == "Unavailable: 1 migrations not applied on default"
