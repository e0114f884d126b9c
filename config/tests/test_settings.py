"""Settings read the environment, with an embedded default (SQLite, local memory); each case runs in a fresh process."""
import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "cache_prefix": settings.CACHES["default"].get("KEY_PREFIX"),
    "debug": settings.DEBUG,
    "secret_key": settings.SECRET_KEY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "time_zone": settings.TIME_ZONE,
    "use_tz": settings.USE_TZ,
    "currency": settings.OPS_METRICS_CURRENCY,
}))
"""


def _run(**environ: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **environ}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def _settings(**environ: str) -> dict:
    result = _run(**environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_is_sqlite_in_the_project_and_local_memory():
    probe = _settings(SECRET_KEY="k")

    assert probe["engine"] == "django.db.backends.sqlite3"
    assert probe["name"] == str(settings.BASE_DIR / "db.sqlite3")
    assert probe["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert (probe["debug"], probe["time_zone"], probe["use_tz"]) == (False, "UTC", True)
    assert probe["allowed_hosts"] == ["127.0.0.1", "localhost"]
    assert probe["currency"] == "USD"


def test_database_url_selects_postgresql_with_persistent_connections():
    probe = _settings(SECRET_KEY="k", DATABASE_URL="postgres://postgres@db.example:5432/ops")

    assert (probe["engine"], probe["name"], probe["conn_max_age"]) == (
        "django_prometheus.db.backends.postgresql", "ops", 60
    )
    assert _settings(SECRET_KEY="k", DATABASE_URL="postgres://p@h/ops", CONN_MAX_AGE="0")["conn_max_age"] == 0


def test_redis_url_selects_django_redis():
    probe = _settings(SECRET_KEY="k", REDIS_URL="redis://cache.example:6379/3", CACHE_KEY_PREFIX="tenant1")

    assert probe["cache"] == "django_redis.cache.RedisCache"
    assert (probe["cache_location"], probe["cache_prefix"]) == ("redis://cache.example:6379/3", "tenant1")


def test_missing_secret_key_without_debug_is_refused():
    result = _run()

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_debug_allows_a_development_secret_key():
    probe = _settings(DEBUG="1")

    assert probe["debug"] is True
    assert probe["secret_key"].startswith("django-insecure")


def test_environment_overrides_hosts_time_zone_and_currency():
    probe = _settings(
        SECRET_KEY="k", ALLOWED_HOSTS="ops.example.com,.example.org", TIME_ZONE="Europe/Berlin",
        OPS_METRICS_CURRENCY="EUR",
    )

    assert probe["allowed_hosts"] == ["ops.example.com", ".example.org"]
    assert (probe["time_zone"], probe["currency"]) == ("Europe/Berlin", "EUR")


CACHE_PROBE = """
import json
from django.conf import settings
print(json.dumps({"cache": settings.CACHES["default"], "sentinels": settings.REDIS_SENTINELS,
                  "replica_max_lag": settings.REPLICA_MAX_LAG_SECONDS}))
"""


def _cache_settings(**environ: str) -> dict:
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k", **environ}
    result = subprocess.run([sys.executable, "-c", CACHE_PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_redis_sentinels_reach_the_master_through_django_redis_sentinel_support():
    probe = _cache_settings(REDIS_SENTINELS="10.0.0.1:26380, 10.0.0.2", REDIS_SENTINEL_SERVICE="ops-cache",
                            REDIS_SENTINEL_DB="2", REDIS_URL="redis://ignored:6379/0", REDIS_SOCKET_TIMEOUT="0.5")

    cache = probe["cache"]
    assert (cache["BACKEND"], cache["LOCATION"], cache["KEY_PREFIX"]) == (
        "django_redis.cache.RedisCache", ["redis://ops-cache/2"], "ops"
    )
    assert cache["OPTIONS"] == {
        "CLIENT_CLASS": "django_redis.client.SentinelClient",
        "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
        "CONNECTION_POOL_CLASS": "redis.sentinel.SentinelConnectionPool",
        "SENTINELS": [["10.0.0.1", 26380], ["10.0.0.2", 26379]],
        "SOCKET_CONNECT_TIMEOUT": 0.25,
        "SOCKET_TIMEOUT": 0.5,
        "IGNORE_EXCEPTIONS": True,
    }
    assert probe["replica_max_lag"] == 30


def test_redis_sentinels_without_a_service_name_are_refused():
    result = _run(SECRET_KEY="k", REDIS_SENTINELS="10.0.0.1:26379")

    assert result.returncode != 0
    assert "REDIS_SENTINEL_SERVICE" in result.stderr


def test_replica_lag_limit_is_read_from_the_environment():
    assert _cache_settings(REPLICA_MAX_LAG_SECONDS="7.5")["replica_max_lag"] == 7.5
