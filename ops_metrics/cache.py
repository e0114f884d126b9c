"""Metrics cache: generation-numbered keys, single flight, TTL from OpsConfig."""
import hashlib
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from ops_metrics import conf
from ops_metrics.constants import ALL_GROUPS

logger = logging.getLogger(__name__)

# The version moves on whenever the cached representation changes, so no deploy reads the previous format.
KEY_PREFIX = "ops_metrics:v2"
GENERATION_KEY = f"{KEY_PREFIX}:generation"
# A winner that dies mid-computation holds the lock at most this long.
LOCK_TIMEOUT_SECONDS = 30
# Losers of a single-flight race poll this often, this many times (5 s), then compute themselves.
POLL_SECONDS = 0.05
POLL_ATTEMPTS = 100
# After a cache operation fails, reads skip the cache this long instead of paying a timeout each.
UNREACHABLE_BACKOFF_SECONDS = 5.0

_unreachable_until: dict[str, float] = {}


class CacheUnavailable(Exception):
    """The cache server did not answer; the caller falls back to the database."""


@dataclass(frozen=True)
class CachedMetrics:
    """A rendered payload (plain JSON types, as the API returns it) and how it was obtained."""

    payload: dict
    hit: bool
    etag: str


def cache_call(method: str, *args: Any, force: bool = False, alias: str | None = None, **kwargs: Any) -> Any:
    """Run one operation on the metrics cache (or cache `alias`); failures raise CacheUnavailable, never read as misses.

    django-redis with IGNORE_EXCEPTIONS answers None for an unreachable server, which `add` would turn
    into "lock held" and `get` into "miss"; its client object raises instead, so that is what is called.
    While the server is known to be down, calls fail at once unless `force`d (invalidation always tries).
    """
    alias = alias or conf.cache_alias()
    server = f"{alias}:{settings.CACHES[alias].get('LOCATION', '')}"
    if not force and time.monotonic() < _unreachable_until.get(server, 0.0):
        raise CacheUnavailable(server)
    backend = caches[alias]
    target = backend.client if isinstance(backend, RedisCache) else backend
    try:
        result = getattr(target, method)(*args, **kwargs)
    except (ConnectionInterrupted, RedisError, OSError) as exc:
        _unreachable_until[server] = time.monotonic() + UNREACHABLE_BACKOFF_SECONDS
        raise CacheUnavailable(server) from exc
    _unreachable_until.pop(server, None)
    return result


def _initial_generation() -> int:
    # Generations need only be unique. A counter lost to eviction or a cache cull restarts at a random
    # number, not 1 or the clock (a burst of writes outruns milliseconds), so entries stored under the
    # numbers it handed out before never come back to life; 62 bits leave Redis' signed 64-bit INCR room.
    return secrets.randbits(62)


def current_generation() -> int:
    """The cache generation; every committed write to the data behind the metrics moves it on."""
    generation = cache_call("get", GENERATION_KEY)
    if generation is None:
        cache_call("add", GENERATION_KEY, _initial_generation(), timeout=None)
        generation = cache_call("get", GENERATION_KEY)
        if generation is None:
            raise CacheUnavailable("the generation counter cannot be kept")
    return generation


def invalidate_metrics_cache(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Make every cached metrics entry (and the cached OpsConfig) stale once the transaction on `using` commits.

    Call after bulk writes that bypass signals. Outside a transaction it takes effect at once; a rollback cancels it.
    """
    transaction.on_commit(_move_generation_on, using=using)


def _move_generation_on() -> None:
    try:
        try:
            cache_call("incr", GENERATION_KEY, force=True)
        except ValueError:
            # No counter yet: start one, unless a concurrent reader just did, in which case move it on.
            if not cache_call("add", GENERATION_KEY, _initial_generation(), timeout=None, force=True):
                cache_call("incr", GENERATION_KEY, force=True)
    except CacheUnavailable:
        logger.error("metrics cache unreachable: not invalidated, entries may be stale until their TTL", exc_info=True)


def canonical_groups(groups: Sequence[str]) -> tuple[str, ...]:
    """The groups deduplicated, in response order (an unknown group raises ValueError)."""
    return tuple(sorted(set(groups), key=ALL_GROUPS.index))


def metrics_key(*, generation: int, period: str, groups: Sequence[str], local_date: date) -> str:
    """Cache key of one payload: the exact groups computed, so an admin's entry never answers a reader."""
    return f"{KEY_PREFIX}:{generation}:{period}:{','.join(groups)}:{local_date.isoformat()}"


def _etag(key: str, payload: dict) -> str:
    digest = hashlib.sha256(f"{key}|{payload['generated_at']}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _store(key: str, payload: dict, ttl: int) -> None:
    try:
        cache_call("set", key, payload, timeout=ttl)
    except CacheUnavailable:
        logger.warning("metrics cache unreachable: computed payload not stored", exc_info=True)


def _release(lock_key: str, token: str) -> None:
    try:
        if cache_call("get", lock_key) == token:
            cache_call("delete", lock_key)
    except CacheUnavailable:
        logger.warning("metrics cache unreachable: lock left to expire", exc_info=True)


def _single_flight(key: str, ttl: int, compute: Callable[[], dict]) -> tuple[dict, bool]:
    """(payload, hit); concurrent misses of `key` share one computation. Raises CacheUnavailable only before computing."""
    payload = cache_call("get", key)
    if payload is not None:
        return payload, True
    lock_key = f"{key}:lock"
    token = uuid.uuid4().hex
    if cache_call("add", lock_key, token, timeout=LOCK_TIMEOUT_SECONDS):
        try:
            # Another winner may have stored the entry between our get and our add.
            payload = cache_call("get", key)
            if payload is not None:
                return payload, True
            payload = compute()
            _store(key, payload, ttl)
            return payload, False
        finally:
            _release(lock_key, token)
    for _ in range(POLL_ATTEMPTS):
        time.sleep(POLL_SECONDS)
        payload = cache_call("get", key)
        if payload is not None:
            return payload, True
    logger.warning("metrics computation by another request did not finish in time; computing here")
    payload = compute()
    _store(key, payload, ttl)
    return payload, False


def cached_dashboard_metrics(*, period: str, groups: Sequence[str], now: datetime | None = None) -> CachedMetrics:
    """The rendered payload for exactly these groups, from the cache or computed once for concurrent misses."""
    from ops_metrics import services
    from ops_metrics.config import generation_and_config

    now = now or timezone.now()
    groups = canonical_groups(groups)

    def compute() -> dict:
        return services.render_metrics(payload=services.dashboard_metrics(period=period, groups=groups, now=now))

    try:
        # Read before computing: a result computed while a write commits lands under the old generation.
        generation, config = generation_and_config()
    except CacheUnavailable:
        logger.warning("metrics cache unreachable: computing from the database", exc_info=True)
        payload = compute()
        return CachedMetrics(payload=payload, hit=False, etag=_etag(f"uncached:{period}:{','.join(groups)}", payload))

    local_date = now.astimezone(config.tzinfo).date()
    key = metrics_key(generation=generation, period=period, groups=groups, local_date=local_date)
    if not config.metrics_cache_ttl_seconds:
        payload = compute()
        return CachedMetrics(payload=payload, hit=False, etag=_etag(key, payload))
    try:
        payload, hit = _single_flight(key, config.metrics_cache_ttl_seconds, compute)
    except CacheUnavailable:
        logger.warning("metrics cache unreachable: computing from the database", exc_info=True)
        payload, hit = compute(), False
    return CachedMetrics(payload=payload, hit=hit, etag=_etag(key, payload))
