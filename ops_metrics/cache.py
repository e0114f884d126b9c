"""Metrics cache: a generation per table, single flight, TTL; handed a compute function, it knows no figures."""
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction

from ops_metrics.cache_access import CacheUnavailable, cache_call

logger = logging.getLogger(__name__)

# The version moves on whenever the cached representation changes, so no deploy reads the previous format.
KEY_PREFIX = "ops_metrics:v3"
# A winner that dies mid-computation holds the lock at most this long.
LOCK_TIMEOUT_SECONDS = 30
# Losers of a single-flight race poll this often, this many times (5 s), then compute themselves.
POLL_SECONDS = 0.05
POLL_ATTEMPTS = 100


def cache_key(*parts: object) -> str:
    """A key in the metrics namespace."""
    return ":".join([KEY_PREFIX, *map(str, parts)])


def _generation_key(name: str) -> str:
    return cache_key("generation", name)


def _initial_generation() -> int:
    # Generations need only be unique. A counter lost to eviction or a cache cull restarts at a random
    # number, not 1 or the clock (a burst of writes outruns milliseconds), so entries stored under the
    # numbers it handed out before never come back to life; 62 bits leave Redis' signed 64-bit INCR room.
    return secrets.randbits(62)


def read_generations(*, names: Collection[str], values: Sequence[str] = ()) -> tuple[dict[str, int], dict[str, Any]]:
    """The generation of each named table, and the cached `values` keys, in one round trip when all counters exist.

    Raises CacheUnavailable if the cache is down.
    """
    generation_keys = {name: _generation_key(name) for name in sorted(names)}
    found = cache_call("get_many", [*generation_keys.values(), *values])
    generations = {}
    for name, key in generation_keys.items():
        generation = found.get(key)
        if generation is None:
            cache_call("add", key, _initial_generation(), timeout=None)
            generation = cache_call("get", key)
            if generation is None:
                raise CacheUnavailable("the generation counter cannot be kept")
        generations[name] = generation
    return generations, {key: found[key] for key in values if key in found}


def invalidate(*, names: Collection[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Move the generation of each named table on once the transaction on `using` commits (at once outside one)."""
    names = sorted(names)
    transaction.on_commit(lambda: _move_generations_on(names), using=using)


def _move_generations_on(names: list[str]) -> None:
    try:
        for name in names:
            key = _generation_key(name)
            try:
                cache_call("incr", key, force=True)
            except ValueError:
                # No counter yet: start one, unless a concurrent reader just did, in which case move it on.
                if not cache_call("add", key, _initial_generation(), timeout=None, force=True):
                    cache_call("incr", key, force=True)
    except CacheUnavailable:
        logger.error("metrics cache unreachable: %s not invalidated, entries may be stale until their TTL",
                     ", ".join(names), exc_info=True)


def store(key: str, value: Any, *, timeout: int) -> None:
    """Store `value`; a cache that is down only costs a warning."""
    try:
        cache_call("set", key, value, timeout=timeout)
    except CacheUnavailable:
        logger.warning("metrics cache unreachable: %s not stored", key.split(":")[2], exc_info=True)


def _release(lock_key: str, token: str) -> None:
    try:
        if cache_call("get", lock_key) == token:
            cache_call("delete", lock_key)
    except CacheUnavailable:
        logger.warning("metrics cache unreachable: lock left to expire", exc_info=True)


def single_flight(*, key: str, ttl: int, compute: Callable[[], Any]) -> tuple[Any, bool]:
    """(value, hit): the cached value, or `compute()` stored for `ttl` s; concurrent misses share one computation.

    Raises CacheUnavailable only before computing.
    """
    value = cache_call("get", key)
    if value is not None:
        return value, True
    lock_key = f"{key}:lock"
    token = uuid.uuid4().hex
    if cache_call("add", lock_key, token, timeout=LOCK_TIMEOUT_SECONDS):
        try:
            # Another winner may have stored the entry between our get and our add.
            value = cache_call("get", key)
            if value is not None:
                return value, True
            value = compute()
            store(key, value, timeout=ttl)
            return value, False
        finally:
            _release(lock_key, token)
    for _ in range(POLL_ATTEMPTS):
        time.sleep(POLL_SECONDS)
        value = cache_call("get", key)
        if value is not None:
            return value, True
    logger.warning("metrics computation by another request did not finish in time; computing here")
    value = compute()
    store(key, value, timeout=ttl)
    return value, False
