"""Fault-tolerant access to a Django cache: failures raise CacheUnavailable, and a down server is skipped a while."""
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django_redis.cache import RedisCache
from django_redis.client import SentinelClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from ops_metrics import app_settings

logger = logging.getLogger("ops_metrics.cache")

# The version moves on whenever the cached representation changes, so no deploy reads the previous format.
KEY_PREFIX = "ops_metrics:v4"
# After a cache operation fails, reads skip the cache this long instead of paying a timeout each.
UNREACHABLE_BACKOFF_SECONDS = 5.0

_unreachable_until: dict[str, float] = {}
_epochs: dict[str, tuple[tuple[str, int] | None, str]] = {}


def cache_key(*parts: object) -> str:
    """A key in the metrics namespace."""
    return ":".join([KEY_PREFIX, *map(str, parts)])


class CacheUnavailable(Exception):
    """The cache server did not answer; the caller falls back to the database."""


def _server(alias: str) -> str:
    return f"{alias}:{settings.CACHES[alias].get('LOCATION', '')}"


def cache_call(method: str, *args: Any, force: bool = False, alias: str | None = None, **kwargs: Any) -> Any:
    """Run one operation on the metrics cache (or cache `alias`); failures raise CacheUnavailable, never read as misses.

    django-redis with IGNORE_EXCEPTIONS answers None for an unreachable server, which `add` would turn
    into "lock held" and `get` into "miss"; its client object raises instead, so that is what is called.
    While the server is known to be down, calls fail at once unless `force`d (invalidation always tries).
    """
    return cache_run(lambda target: getattr(target, method)(*args, **kwargs), force=force, alias=alias)


def cache_run(operation: Callable[[Any], Any], *, force: bool = False, alias: str | None = None) -> Any:
    """`operation(target)` with cache_call's failure handling; target: django-redis' client object, or the backend."""
    alias = alias or app_settings.cache_alias()
    server = _server(alias)
    if not force and time.monotonic() < _unreachable_until.get(server, 0.0):
        raise CacheUnavailable(server)
    backend = caches[alias]
    target = backend.client if isinstance(backend, RedisCache) else backend
    return _guarded(alias, lambda: operation(target))


def _guarded(alias: str, operation: Callable[[], Any]) -> Any:
    """`operation()` on cache `alias`: a failure marks the server unreachable a while and raises CacheUnavailable."""
    server = _server(alias)
    try:
        result = operation()
    except (ConnectionInterrupted, RedisError, OSError) as exc:
        if server not in _unreachable_until:  # one traceback per outage, not one per request
            logger.warning("cache %s unreachable; skipping it for %.0f s at a time", server,
                           UNREACHABLE_BACKOFF_SECONDS, exc_info=True)
        _unreachable_until[server] = time.monotonic() + UNREACHABLE_BACKOFF_SECONDS
        raise CacheUnavailable(server) from exc
    if _unreachable_until.pop(server, None) is not None:
        logger.warning("cache %s reachable again", server)
    return result


# Keep the larger of the stored integer and the given one (an absent key counts as smaller).
_MAX_SCRIPT = "local v = redis.call('GET', KEYS[1]) if not v or tonumber(v) < tonumber(ARGV[1]) then " \
              "redis.call('SET', KEYS[1], ARGV[1]) end return 1"


def cache_max(key: str, value: int, *, force: bool = False) -> None:
    """Store `value` under `key` unless a larger integer is stored there (atomic on Redis); CacheUnavailable if down."""
    backend = caches[app_settings.cache_alias()]
    if not isinstance(backend, RedisCache):  # local memory: one process, so get-then-set is enough
        if (cache_call("get", key, force=force) or -1) < value:
            cache_call("set", key, value, timeout=None, force=force)
        return
    cache_run(
        lambda client: client.get_client(write=True).eval(_MAX_SCRIPT, 1, backend.make_key(key), value), force=force
    )


def master_epoch() -> str:
    """Behind Sentinel, the address and replication id of the master this process now writes to ("" otherwise).

    A promoted replica is another address with a new replication id, so a value tagged under the old master (whose
    last generation moves the promoted one may never have received) is never taken as current afterwards. The address
    is what redis-py's Sentinel pool last discovered: no round trip; the id is read once per address.
    """
    alias = app_settings.cache_alias()
    backend = caches[alias]
    if not isinstance(backend, RedisCache) or not isinstance(backend.client, SentinelClient):
        return ""
    try:
        address = cache_run(lambda client: client.get_client(write=True).connection_pool.master_address)
        known = _epochs.get(alias)
        if address is None or known is None or known[0] != address:
            info = cache_run(lambda client: client.get_client(write=True).info("replication"))
            address = cache_run(lambda client: client.get_client(write=True).connection_pool.master_address)
            _epochs[alias] = known = (address, info["master_replid"])
    except CacheUnavailable:
        return f"unknown-{uuid.uuid4().hex}"  # matches no stored tag: computed, never served as current
    return f"{known[0][0]}:{known[0][1]}/{known[1]}" if known[0] else known[1]


def forget_unreachable() -> None:
    """Forget every server marked unreachable, and the masters' epochs (tests, and a process that knows the cache is back)."""
    _unreachable_until.clear()
    _epochs.clear()
