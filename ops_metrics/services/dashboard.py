"""Dashboard use cases: the metrics and time series a user may see (audited, redacted, cached), and invalidation."""
import dataclasses
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from ops_metrics import app_settings, telemetry
from ops_metrics.cache import generations as cache
from ops_metrics.cache import lag
from ops_metrics.cache.backend import CacheUnavailable
from ops_metrics.cache.payloads import (
    CONFIG_KEY,
    config_under,
    filtered_tables,
    metrics_key,
    payload_etag,
    redacted_etag,
    series_tables,
    source_tables,
    timeseries_key,
)
from ops_metrics.cache.slots import SlotTaken, exclusive_slot
from ops_metrics.constants import (
    ADMIN_ONLY_GROUPS,
    ADMIN_ONLY_SERIES,
    ALL_GROUPS,
    ALL_SERIES,
    PERM_ADMIN,
    AuditAction,
    ResourceType,
    SourceTable,
)
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics
from ops_metrics.reports.encoding import render_payload
from ops_metrics.reports.timeseries import timeseries
from ops_metrics.services.access import ops_permissions
from ops_metrics.services.audit import record_audit
from ops_metrics.windows.ranges import CustomRange, InvalidQuery, SeriesQuery, StaffFilter, staff_text

logger = logging.getLogger("ops_metrics.cache")

# What a user refused a second concurrent cold computation is told to wait: about one cold computation.
BUSY_RETRY_AFTER_SECONDS = 2


class ComputationBusy(Exception):
    """The user already has a cold computation of this kind running; try again after `retry_after` seconds."""

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(f"Another computation of yours is running; retry after {retry_after} s.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class CachedMetrics:
    """A rendered payload (plain JSON types, as the API returns it) and how it was obtained."""

    payload: dict
    hit: bool
    etag: str
    age: int | None = None  # seconds, when a payload of an older generation is served (max_staleness_seconds)


def invalidate_metrics_cache(
    *, tables: Collection[str] = tuple(SourceTable.values), using: str = DEFAULT_DB_ALIAS
) -> None:
    """Make cached answers that read `tables` stale once the transaction on `using` commits.

    Call after bulk writes that bypass signals (`QuerySet.update`, `bulk_create`, raw SQL). Outside a transaction it
    takes effect at once; a rollback cancels it.
    """
    cache.invalidate(names=tables, using=using)


def canonical_groups(groups: Sequence[str]) -> tuple[str, ...]:
    """The groups deduplicated, in response order (an unknown group raises ValueError)."""
    return tuple(sorted(set(groups), key=ALL_GROUPS.index))


def _cold(
    build: Callable[[OpsConfig], dict], config: Callable[[], OpsConfig], owner: str | None, *, wal_position: int | None
) -> Callable[[], dict]:
    """The cold computation of a payload, on a database that has replayed `wal_position`; with an `owner`, one at a
    time per owner (ComputationBusy otherwise)."""

    def compute() -> dict:
        with app_settings.reading_from(lag.database_for(wal_position=wal_position)):
            if owner is None:
                return render_payload(build(config()))
            try:
                with exclusive_slot(name=owner):
                    return render_payload(build(config()))
            except SlotTaken:
                raise ComputationBusy(retry_after=BUSY_RETRY_AFTER_SECONDS) from None

    return compute


def cached_payload(
    *, tables: Collection[str], key: str, build: Callable[[OpsConfig], dict], now: datetime, kind: str,
    owner: str | None = None,
) -> CachedMetrics:
    """A rendered payload `build(config)` cached under `key`, tagged with the generations and local date it was read under.

    The tag carries the generation of every table read (docs/api.md, caching), so a write to one table leaves answers
    that do not read it valid. Generations, config and entry are read in one round trip, before computing: a result
    computed while a write commits is tagged with the old generation and never served as current afterwards. With
    `max_staleness_seconds` above 0 an entry of an older generation that young is served while one request recomputes.
    With an `owner`, a cold computation raises ComputationBusy while that owner has another one running.
    """
    replica = lag.replica_in_use()
    try:
        generations, found = cache.read_generations(
            names=tables, values=[CONFIG_KEY, key, *([lag.WAL_KEY] if replica else [])]
        )
    except CacheUnavailable:
        logger.debug("metrics cache unreachable: computing from the database")
        telemetry.CACHE_UNAVAILABLE.labels(kind=kind).inc()
        telemetry.CACHE_MISSES.labels(kind=kind).inc()
        # Nothing says how far a replica must have replayed: the primary answers.
        compute = _cold(build, OpsConfig.load, owner, wal_position=None)
        payload = cache.local_single_flight(key=f"uncached:{key}", compute=compute)
        return CachedMetrics(payload=payload, hit=False, etag=payload_etag(f"uncached:{key}", payload))

    config = config_under(generations[SourceTable.CONFIG], found.get(CONFIG_KEY))
    wal_position = found.get(lag.WAL_KEY)
    compute = _cold(build, lambda: config, owner, wal_position=wal_position)

    local_date = now.astimezone(config.tzinfo).date()
    tag = cache.tag_of(generations=generations, local_date=local_date)
    entry = found.get(key)
    stale = _servable_stale(entry, config=config, local_date=local_date, tag=tag)
    age = None
    if not config.metrics_cache_ttl_seconds:
        payload, hit = compute(), False
    elif stale is not None:
        # Served while one request anywhere recomputes (none is started while another holds the lock).
        # Not the owner's slot: the user is answered already, and the refresh is one per key anyway.
        refresh = _cold(build, lambda: config, None, wal_position=wal_position)
        # At most one refresh per half budget, whatever the write rate: the entry is renewed before it ages past it.
        cache.refresh_in_background(key=key, tag=tag, ttl=config.metrics_cache_ttl_seconds, compute=refresh,
                                    every=config.max_staleness_seconds / 2)
        payload, hit, age, tag = stale.value, True, max(0, int(time.time() - stale.stored_at)), stale.tag
        telemetry.CACHE_STALE.labels(kind=kind).inc()
    else:
        try:
            payload, hit = cache.single_flight(
                key=key, tag=tag, found=entry, ttl=config.metrics_cache_ttl_seconds, compute=compute
            )
        except CacheUnavailable:
            logger.debug("metrics cache unreachable: computing from the database")
            telemetry.CACHE_UNAVAILABLE.labels(kind=kind).inc()
            payload, hit = cache.local_single_flight(key=f"{key}|{tag}", compute=compute), False
    (telemetry.CACHE_HITS if hit else telemetry.CACHE_MISSES).labels(kind=kind).inc()
    return CachedMetrics(payload=payload, hit=hit, etag=payload_etag(f"{key}|{tag}", payload), age=age)


def _servable_stale(entry: cache.Entry | None, *, config: OpsConfig, local_date: date, tag: str) -> cache.Entry | None:
    """`entry` when it is of an older generation of the same local date and at most max_staleness_seconds old."""
    if entry is None or entry.tag == tag or not config.max_staleness_seconds:
        return None
    if not entry.tag.endswith(f"@{local_date.isoformat()}"):
        return None
    return entry if time.time() - entry.stored_at <= config.max_staleness_seconds else None


def cached_dashboard_metrics(
    *, period: str, groups: Sequence[str], now: datetime | None = None, custom: CustomRange | None = None,
    staff: StaffFilter | None = None, owner: str | None = None,
) -> CachedMetrics:
    """The rendered payload for exactly these groups, from the cache or computed once for concurrent misses.

    `period` "custom" takes its window from `custom`; InvalidQuery when that range starts after now. `staff` filters
    every figure (and is part of the key). ComputationBusy when `owner` already has a cold computation running.
    """
    now = now or timezone.now()
    groups = canonical_groups(groups)
    return cached_payload(
        tables=filtered_tables(source_tables(groups), staff),
        key=metrics_key(period=period, groups=groups, custom=custom, staff=staff),
        build=lambda config: dashboard_metrics(
            period=period, groups=groups, config=config, now=now, custom=custom, staff=staff
        ),
        now=now, owner=owner, kind="metrics",
    )


def cached_timeseries(
    *, query: SeriesQuery, metrics: Sequence[str], now: datetime | None = None, owner: str | None = None
) -> CachedMetrics:
    """The rendered time series of exactly these metrics, from the cache or computed once for concurrent misses.

    InvalidQuery when the window cannot be served (a custom start not before now, too many buckets, over the cost
    budget); ComputationBusy when `owner` already has a cold computation running.
    """
    now = now or timezone.now()
    metrics = tuple(sorted(set(metrics), key=ALL_SERIES.index))
    return cached_payload(
        tables=filtered_tables(series_tables(metrics), query.staff),
        key=timeseries_key(query=query, metrics=metrics),
        build=lambda config: timeseries(query=query, metrics=metrics, config=config, now=now),
        now=now, owner=owner, kind="timeseries",
    )


def _owner(*, user: AbstractBaseUser, kind: str) -> str:
    # Per endpoint: the dashboard page asks for the metrics and the series at once, and must get both.
    return f"cold:{kind}:user={user.pk}"


def metrics_for_user(
    *, user: AbstractBaseUser, period: str, groups: Sequence[str], ip_address: str | None,
    custom: CustomRange | None = None, staff: StaffFilter | None = None,
) -> CachedMetrics:
    """The metrics `user` may see (admin-only groups withheld and listed in `redacted`), audited.

    Withheld groups are never asked of the cache, so a cached payload cannot carry them to this user. A custom range
    that cannot be served raises InvalidQuery after writing a view_metrics_denied row; ComputationBusy (not audited
    here) when the user's previous cold computation of metrics is still running.
    """
    audit = {"user": user, "period": period, "include": groups, "ip_address": ip_address,
             "staff_filter": staff_text(staff)}
    is_admin = PERM_ADMIN in ops_permissions(user=user)
    allowed = tuple(group for group in groups if is_admin or group not in ADMIN_ONLY_GROUPS)
    redacted = [group for group in groups if group not in allowed]
    try:
        cached = cached_dashboard_metrics(
            period=period, groups=allowed, custom=custom, staff=staff, owner=_owner(user=user, kind="metrics")
        )
    except InvalidQuery:
        record_audit(action=AuditAction.VIEW_METRICS_DENIED, **audit)
        raise
    record_audit(action=AuditAction.VIEW_METRICS, **audit)
    return with_redacted(cached, redacted)


def with_redacted(cached: CachedMetrics, redacted: list[str]) -> CachedMetrics:
    """`cached` with `redacted` listed and its validator changed accordingly."""
    return dataclasses.replace(
        cached, payload={**cached.payload, "redacted": redacted}, etag=redacted_etag(cached.etag, redacted)
    )


def timeseries_for_user(*, user: AbstractBaseUser, query: SeriesQuery, ip_address: str | None) -> CachedMetrics:
    """The time series `user` may see (admin-only series withheld; listed in `redacted` when asked for), audited.

    Default metrics: every series the user may see. Withheld series are never asked of the cache. A query whose window
    cannot be served raises InvalidQuery after writing a view_timeseries_denied row; ComputationBusy (not audited here)
    when the user's previous cold computation of a series is still running.
    """
    is_admin = PERM_ADMIN in ops_permissions(user=user)
    asked = query.metrics or tuple(m for m in ALL_SERIES if is_admin or m not in ADMIN_ONLY_SERIES)
    allowed = tuple(metric for metric in asked if is_admin or metric not in ADMIN_ONLY_SERIES)
    redacted = [metric for metric in asked if metric not in allowed]
    audit = {"user": user, "period": query.period, "include": asked, "ip_address": ip_address,
             "resource_type": ResourceType.DASHBOARD_TIMESERIES, "staff_filter": staff_text(query.staff)}
    try:
        cached = cached_timeseries(query=query, metrics=allowed, owner=_owner(user=user, kind="timeseries"))
    except InvalidQuery:
        record_audit(action=AuditAction.VIEW_TIMESERIES_DENIED, **audit)
        raise
    record_audit(action=AuditAction.VIEW_TIMESERIES, **audit)
    return with_redacted(cached, redacted)
