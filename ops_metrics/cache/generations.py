"""Metrics cache: a generation per table, single flight, TTL; handed a compute function, it knows no figures."""
import hashlib
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from ops_metrics import telemetry
from ops_metrics.cache.backend import CacheUnavailable, cache_call, cache_key, master_epoch
from ops_metrics.cache.lag import WAL_KEY, record_wal_position
from ops_metrics.models import PendingInvalidation

logger = logging.getLogger(__name__)

# A winner that dies mid-computation holds the lock at most this long.
LOCK_TIMEOUT_SECONDS = 30
# Losers of a single-flight race poll this often, this many times (5 s), then compute themselves.
POLL_SECONDS = 0.05
POLL_ATTEMPTS = 100
# An invalidation that could not reach the cache is retried this often until it does.
RETRY_SECONDS = 0.25
# Every process looks this often for invalidations that another process recorded in the database because the cache did
# not answer it (that process may have exited since): one indexed read per interval, not per request.
RECORDED_CHECK_SECONDS = 4.0

# Tables whose invalidation this process could not deliver: nothing is served from the cache until it is.
_pending_invalidations: set[str] = set()
_pending_lock = threading.Lock()
_retrier: threading.Thread | None = None
# Per-process single flight while the cache is down: key → (lock, holder of the first computation's result).
_local_flights: dict[str, tuple[threading.Lock, list]] = {}
_local_flights_lock = threading.Lock()
_next_recorded_check = 0.0


def _generation_key(name: str) -> str:
    return cache_key("generation", name)


def _initial_generation() -> int:
    # Generations need only be unique. A counter lost to eviction or a cache cull restarts at a random
    # number, not 1 or the clock (a burst of writes outruns milliseconds), so entries stored under the
    # numbers it handed out before never come back to life; 62 bits leave Redis' signed 64-bit INCR room.
    return secrets.randbits(62)


def read_generations(*, names: Collection[str], values: Sequence[str] = ()) -> tuple[dict[str, int], dict[str, Any]]:
    """The generation of each named table, and the cached `values` keys, in one round trip when all counters exist.

    An invalidation this process could not deliver is delivered first, so no entry it made stale is served here.
    Raises CacheUnavailable if the cache is down.
    """
    if _pending_invalidations:
        _deliver_pending(force=False)
    if time.monotonic() >= _next_recorded_check:
        _deliver_recorded()
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


def _move_on(name: str, *, force: bool) -> None:
    key = _generation_key(name)
    try:
        cache_call("incr", key, force=force)
    except ValueError:
        # No counter yet: start one, unless a concurrent reader just did, in which case move it on.
        if not cache_call("add", key, _initial_generation(), timeout=None, force=force):
            cache_call("incr", key, force=force)
    telemetry.CACHE_INVALIDATIONS.labels(table=name).inc()


def _move_generations_on(names: list[str]) -> None:
    with _pending_lock:
        names = sorted({*names, *_pending_invalidations})
        try:
            _move_all_on(names, force=True)
        except CacheUnavailable:
            telemetry.CACHE_INVALIDATION_FAILURES.inc()
            _pending_invalidations.update(names)
            logger.error("metrics cache unreachable: %s not invalidated yet; retrying until it answers", ", ".join(names))
            _record(names)
            _start_retrier()
            return
        _pending_invalidations.difference_update(names)


def _move_all_on(names: Collection[str], *, force: bool) -> None:
    """Record the primary's WAL position (for a replica's readers), then move each table's generation on."""
    try:
        record_wal_position(force=force)
    except DatabaseError:
        logger.error("primary WAL position not recorded: replica readers compute on the primary until the next write")
        cache_call("delete", WAL_KEY, force=force)
    for name in sorted(names):
        _move_on(name, force=force)


def _record(names: list[str]) -> None:
    """Keep undelivered invalidations in the database, so they survive this process (a command that exits at once)."""
    try:
        PendingInvalidation.objects.using(DEFAULT_DB_ALIAS).bulk_create(PendingInvalidation(table=n) for n in names)
    except DatabaseError:
        logger.error("undelivered invalidation of %s not recorded: the database did not answer", ", ".join(names))


def _deliver_recorded() -> None:
    """Deliver the invalidations any process recorded; CacheUnavailable (rows kept) while the cache does not answer."""
    global _next_recorded_check
    _next_recorded_check = time.monotonic() + RECORDED_CHECK_SECONDS
    try:
        recorded = list(PendingInvalidation.objects.using(DEFAULT_DB_ALIAS).values_list("pk", "table")[:1000])
    except DatabaseError:
        logger.debug("recorded invalidations not read: the database did not answer")
        return
    if not recorded:
        return
    _move_all_on({table for _, table in recorded}, force=False)
    PendingInvalidation.objects.using(DEFAULT_DB_ALIAS).filter(pk__in=[pk for pk, _ in recorded]).delete()
    logger.warning("metrics cache invalidation recorded by another process delivered")


def postpone_recorded_check(seconds: float = RECORDED_CHECK_SECONDS) -> None:
    """Look for recorded invalidations no sooner than `seconds` from now (0: on the next read)."""
    global _next_recorded_check
    _next_recorded_check = time.monotonic() + seconds


def _deliver_pending(*, force: bool) -> None:
    """Move every pending table's generation on; CacheUnavailable while the cache still does not answer."""
    with _pending_lock:
        _move_all_on(_pending_invalidations, force=force)
        _pending_invalidations.clear()
    logger.warning("metrics cache invalidation delivered after the cache came back")


def _retry_pending() -> None:
    global _retrier
    while True:
        threading.Event().wait(RETRY_SECONDS)
        try:
            if _pending_invalidations:
                _deliver_pending(force=True)
        except CacheUnavailable:
            continue
        with _pending_lock:
            if not _pending_invalidations:
                _retrier = None
                return


def _start_retrier() -> None:
    global _retrier
    if _retrier is None or not _retrier.is_alive():
        _retrier = threading.Thread(target=_retry_pending, name="ops-metrics-invalidation-retry", daemon=True)
        _retrier.start()


def pending_invalidations() -> frozenset[str]:
    """The tables whose invalidation this process has not delivered yet."""
    return frozenset(_pending_invalidations)


def discard_pending_invalidations() -> None:
    """Forget undelivered invalidations (tests start clean; the retry thread then ends)."""
    with _pending_lock:
        _pending_invalidations.clear()


def store(key: str, value: Any, *, timeout: int) -> None:
    """Store `value`; a cache that is down only means it is computed again next time."""
    try:
        cache_call("set", key, value, timeout=timeout)
    except CacheUnavailable:
        logger.debug("metrics cache unreachable: %s not stored", key)


def _release(lock_key: str, token: str, *, keep: float = 0.0) -> None:
    """Release a lock this holder still has, or with `keep` seconds left, let it expire then."""
    # Forced, as a slot's release: a lock left behind after one slow reply would hold every other request back.
    try:
        if cache_call("get", lock_key, force=True) == token:
            if keep > 0:
                cache_call("set", lock_key, token, timeout=keep, force=True)
            else:
                cache_call("delete", lock_key, force=True)
    except CacheUnavailable:
        logger.debug("metrics cache unreachable: lock left to expire")


@dataclass(frozen=True)
class Entry:
    """A cached value and the tag it was computed under (the generations read and the local date)."""

    tag: str
    value: Any
    stored_at: float


def tag_of(*, generations: dict[str, int], local_date: date) -> str:
    """The tag of a value computed under `generations` on `local_date` (and, behind Sentinel, the master's epoch)."""
    versions = ",".join(f"{table}={generations[table]}" for table in sorted(generations))
    return f"{versions}#{master_epoch()}@{local_date.isoformat()}"


def lock_key(key: str, tag: str) -> str:
    """The single-flight lock of computing `key` under `tag`."""
    return f"{key}:lock:{hashlib.sha256(tag.encode()).hexdigest()[:16]}"


def _compute_and_store(*, key: str, tag: str, ttl: int, compute: Callable[[], Any]) -> Any:
    value = compute()
    store(key, Entry(tag=tag, value=value, stored_at=time.time()), timeout=ttl)
    return value


def single_flight(*, key: str, tag: str, found: Entry | None, ttl: int, compute: Callable[[], Any]) -> tuple[Any, bool]:
    """(value, hit): `found` when it carries `tag`, or `compute()` stored under `key` for `ttl` s, once for concurrent misses.

    `found` is what the caller read of `key` together with the generations (one round trip for a hit). Raises
    CacheUnavailable only before computing.
    """
    if found is not None and found.tag == tag:
        return found.value, True
    lock = lock_key(key, tag)
    token = uuid.uuid4().hex
    if cache_call("add", lock, token, timeout=LOCK_TIMEOUT_SECONDS):
        try:
            # Another winner may have stored the entry between our read and our add.
            entry = cache_call("get", key)
            if entry is not None and entry.tag == tag:
                return entry.value, True
            return _compute_and_store(key=key, tag=tag, ttl=ttl, compute=compute), False
        finally:
            _release(lock, token)
    for _ in range(POLL_ATTEMPTS):
        time.sleep(POLL_SECONDS)
        entry = cache_call("get", key)
        if entry is not None and entry.tag == tag:
            return entry.value, True
    logger.warning("metrics computation by another request did not finish in time; computing here")
    return _compute_and_store(key=key, tag=tag, ttl=ttl, compute=compute), False


def refresh_in_background(*, key: str, tag: str, ttl: int, compute: Callable[[], Any], every: float = 0.0) -> bool:
    """Start computing the value of `tag` in a thread unless a refresh of `key` (of any tag) is under way anywhere or
    started less than `every` seconds ago.

    One refresh per key at a time, not per tag: under a write every 25 ms each write would start another; and with
    `every`, one per interval however often the writes make the entry stale.
    """
    lock = f"{key}:refresh"
    token = uuid.uuid4().hex
    if not cache_call("add", lock, token, timeout=max(LOCK_TIMEOUT_SECONDS, every)):
        return False
    started = time.monotonic()

    def refresh() -> None:
        try:
            _compute_and_store(key=key, tag=tag, ttl=ttl, compute=compute)
        except Exception:
            logger.exception("background refresh of %s failed; the next request computes it", key)
        finally:
            _release(lock, token, keep=every - (time.monotonic() - started))
            connections.close_all()  # this thread's own connections

    threading.Thread(target=refresh, name="ops-metrics-refresh", daemon=True).start()
    return True


def local_single_flight(*, key: str, compute: Callable[[], Any]) -> Any:
    """`compute()` shared by the concurrent callers of this process with the same key (the cache being down).

    Nothing is kept afterwards: without the cache, invalidations cannot be seen, so a later call computes again.
    """
    with _local_flights_lock:
        flight = _local_flights.get(key)
        leader = flight is None
        if leader:
            flight = _local_flights[key] = (threading.Lock(), [])
            flight[0].acquire()
    lock, result = flight
    if not leader:
        with lock:  # released by the leader once its result is in
            if result:
                return result[0]
        return compute()  # the leader failed: compute here
    try:
        result.append(compute())
        return result[0]
    finally:
        with _local_flights_lock:
            del _local_flights[key]
        lock.release()
