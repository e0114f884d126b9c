"""The django-redis cache entries of the settings: one Redis server (REDIS_URL) or a master found through Sentinel."""
from django.core.exceptions import ImproperlyConfigured

SENTINEL_PORT = 26379


def redis_cache(location: str | list[str], *, key_prefix: str, connect_timeout: float, socket_timeout: float,
                **options: object) -> dict:
    """A django-redis CACHES entry with the timeouts and the degrade-to-the-database choice of every Redis set-up."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": connect_timeout,
            "SOCKET_TIMEOUT": socket_timeout,
            # A cache that is down must degrade to the database, never to a 500.
            "IGNORE_EXCEPTIONS": True,
            **options,
        },
    }


def sentinel_cache(*, service: str, db: int, sentinels: list[tuple[str, int]], key_prefix: str,
                   connect_timeout: float, socket_timeout: float) -> dict:
    """A CACHES entry reaching the master of `service` through django-redis's Sentinel support, never a replica."""
    return redis_cache(
        # A list, not django-redis's usual string: SentinelClient turns a string into a master and a replica
        # connection and sends every read to the replica, whose copy of a just-bumped generation may be behind
        # (replication is asynchronous), so a stale payload could be served. A one-entry list is the master only.
        [f"redis://{service}/{db}"],
        key_prefix=key_prefix,
        connect_timeout=connect_timeout,
        socket_timeout=socket_timeout,
        CLIENT_CLASS="django_redis.client.SentinelClient",
        # Without it django-redis's plain factory builds the pool, which knows neither the service nor the Sentinels.
        CONNECTION_FACTORY="django_redis.pool.SentinelConnectionFactory",
        CONNECTION_POOL_CLASS="redis.sentinel.SentinelConnectionPool",
        # The Sentinels are asked with the same socket timeouts (redis-py copies the socket_* options to them).
        SENTINELS=sentinels,
    )


def sentinel_addresses(entries: list[str]) -> list[tuple[str, int]]:
    """REDIS_SENTINELS entries, "host:port" (26379 when the port is left out), as (host, port) pairs."""
    addresses = []
    for entry in entries:
        host, _, port = entry.strip().partition(":")
        port = port or str(SENTINEL_PORT)
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"REDIS_SENTINELS entry {entry!r} is not host:port.")
        addresses.append((host, int(port)))
    return addresses
