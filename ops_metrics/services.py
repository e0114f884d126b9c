"""Use cases: the metrics and time series a user may see (audited, redacted, cached), the config, invalidation."""
import hashlib
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.db.models import Subquery
from django.utils import timezone

from ops_metrics import cache, observability
from ops_metrics.cache_access import CacheUnavailable
from ops_metrics.constants import (
    ADMIN_ONLY_GROUPS,
    ADMIN_ONLY_SERIES,
    ALL_GROUPS,
    ALL_SERIES,
    GROUP_TABLES,
    PERM_ADMIN,
    SERIES_TABLES,
    AuditAction,
    ResourceType,
    SourceTable,
)
from ops_metrics.metrics import dashboard_metrics
from ops_metrics.models import OpsAuditLog, OpsConfig
from ops_metrics.query import CustomRange, InvalidQuery, SeriesQuery
from ops_metrics.rendering import render_payload
from ops_metrics.selectors import ops_permissions
from ops_metrics.timeseries import timeseries
from staff.models import Staff

logger = logging.getLogger("ops_metrics.cache")

CONFIG_KEY = cache.cache_key("config")
# A copy tagged with a config generation that has moved on is never served again. The expiry bounds the one case the
# tag cannot catch, an invalidation lost while the cache was unreachable: the config is then re-read within this.
CONFIG_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class CachedMetrics:
    """A rendered payload (plain JSON types, as the API returns it) and how it was obtained."""

    payload: dict
    hit: bool
    etag: str


def invalidate_metrics_cache(
    *, tables: Collection[str] = tuple(SourceTable.values), using: str = DEFAULT_DB_ALIAS
) -> None:
    """Make cached answers that read `tables` stale once the transaction on `using` commits.

    Call after bulk writes that bypass signals (`QuerySet.update`, `bulk_create`, raw SQL). Outside a transaction it
    takes effect at once; a rollback cancels it.
    """
    cache.invalidate(names=tables, using=using)


def _config_under(generation: int, tagged: tuple[int, OpsConfig] | None) -> OpsConfig:
    """The cached config when it was read under `generation`, else the row (cached tagged with `generation`).

    The tag is read before loading: an OpsConfig save moves the generation on after commit, so a copy read from the
    database while the save commits carries the old tag and is never served afterwards.
    """
    if tagged is not None and tagged[0] == generation:
        return tagged[1]
    config = OpsConfig.load()
    cache.store(CONFIG_KEY, (generation, config), timeout=CONFIG_TIMEOUT_SECONDS)
    return config


def current_ops_config() -> OpsConfig:
    """The OpsConfig row, from the cache while its generation is current; from the database if the cache is down."""
    try:
        generations, found = cache.read_generations(names=[SourceTable.CONFIG], values=[CONFIG_KEY])
    except CacheUnavailable:
        logger.debug("metrics cache unreachable: OpsConfig read from the database")
        return OpsConfig.load()
    return _config_under(generations[SourceTable.CONFIG], found.get(CONFIG_KEY))


def canonical_groups(groups: Sequence[str]) -> tuple[str, ...]:
    """The groups deduplicated, in response order (an unknown group raises ValueError)."""
    return tuple(sorted(set(groups), key=ALL_GROUPS.index))


def source_tables(groups: Collection[str]) -> tuple[str, ...]:
    """The tables a payload of `groups` is computed from, the config included."""
    return tuple(sorted({SourceTable.CONFIG, *(table for group in groups for table in GROUP_TABLES[group])}))


def _span(custom: CustomRange | None) -> str:
    return "" if custom is None else f"{custom.start.isoformat()}/{custom.end.isoformat()}"


def _versions(generations: dict[str, int]) -> str:
    """The generations of the tables a payload reads, in a key: table=generation, sorted by table."""
    return ",".join(f"{table}={generations[table]}" for table in sorted(generations))


def metrics_key(
    *, generations: dict[str, int], period: str, groups: Sequence[str], local_date: date,
    custom: CustomRange | None = None,
) -> str:
    """Cache key of one payload: the generations of the tables read, the period (or range), groups and local date."""
    window = period if custom is None else f"{period}={_span(custom)}"
    return cache.cache_key("metrics", _versions(generations), window, ",".join(groups), local_date.isoformat())


def _etag(key: str, payload: dict) -> str:
    digest = hashlib.sha256(f"{key}|{payload['generated_at']}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _cached_payload(
    *, tables: Collection[str], key: Callable[[dict[str, int], date], str], build: Callable[[OpsConfig], dict],
    now: datetime, what: str, kind: str,
) -> CachedMetrics:
    """A rendered payload `build(config)` under `key(generations, local date)`, cached and single-flight.

    The key carries the generation of every table read (SPEC §7), so a write to one table leaves answers that do not
    read it valid. Generations are read before computing: a result computed while a write commits lands under the old
    generation and is never served afterwards.
    """
    try:
        generations, found = cache.read_generations(names=tables, values=[CONFIG_KEY])
    except CacheUnavailable:
        logger.debug("metrics cache unreachable: computing from the database")
        observability.CACHE_UNAVAILABLE.labels(kind=kind).inc()
        observability.CACHE_MISSES.labels(kind=kind).inc()
        payload = cache.local_single_flight(key=f"uncached:{what}", compute=lambda: render_payload(build(OpsConfig.load())))
        return CachedMetrics(payload=payload, hit=False, etag=_etag(f"uncached:{what}", payload))

    config = _config_under(generations[SourceTable.CONFIG], found.get(CONFIG_KEY))

    def compute() -> dict:
        return render_payload(build(config))

    cache_key = key(generations, now.astimezone(config.tzinfo).date())
    if not config.metrics_cache_ttl_seconds:
        payload, hit = compute(), False
    else:
        try:
            payload, hit = cache.single_flight(key=cache_key, ttl=config.metrics_cache_ttl_seconds, compute=compute)
        except CacheUnavailable:
            logger.debug("metrics cache unreachable: computing from the database")
            observability.CACHE_UNAVAILABLE.labels(kind=kind).inc()
            payload, hit = cache.local_single_flight(key=cache_key, compute=compute), False
    (observability.CACHE_HITS if hit else observability.CACHE_MISSES).labels(kind=kind).inc()
    return CachedMetrics(payload=payload, hit=hit, etag=_etag(cache_key, payload))


def cached_dashboard_metrics(
    *, period: str, groups: Sequence[str], now: datetime | None = None, custom: CustomRange | None = None
) -> CachedMetrics:
    """The rendered payload for exactly these groups, from the cache or computed once for concurrent misses.

    `period` "custom" takes its window from `custom`; InvalidQuery when that range starts after now.
    """
    now = now or timezone.now()
    groups = canonical_groups(groups)
    return _cached_payload(
        tables=source_tables(groups),
        key=lambda generations, local_date: metrics_key(
            generations=generations, period=period, groups=groups, local_date=local_date, custom=custom
        ),
        build=lambda config: dashboard_metrics(period=period, groups=groups, config=config, now=now, custom=custom),
        now=now, what=f"{period}{_span(custom)}:{','.join(groups)}", kind="metrics",
    )


def series_tables(metrics: Collection[str]) -> tuple[str, ...]:
    """The tables a time series of `metrics` is computed from, the config included."""
    return tuple(sorted({SourceTable.CONFIG, *(table for metric in metrics for table in SERIES_TABLES[metric])}))


def _query_text(query: SeriesQuery) -> str:
    return f"{query.period}|{_span(query.custom)}|{query.interval}|{'compare' if query.compare else 'alone'}"


def timeseries_key(*, generations: dict[str, int], query: SeriesQuery, metrics: Sequence[str], local_date: date) -> str:
    """Cache key of one time series: table generations, the query (range, interval, compare), metrics, local date."""
    return cache.cache_key("timeseries", _versions(generations), _query_text(query), ",".join(metrics), local_date.isoformat())


def cached_timeseries(*, query: SeriesQuery, metrics: Sequence[str], now: datetime | None = None) -> CachedMetrics:
    """The rendered time series of exactly these metrics, from the cache or computed once for concurrent misses.

    InvalidQuery when the window cannot be served (a custom start not before now, too many buckets).
    """
    now = now or timezone.now()
    metrics = tuple(sorted(set(metrics), key=ALL_SERIES.index))
    return _cached_payload(
        tables=series_tables(metrics),
        key=lambda generations, local_date: timeseries_key(
            generations=generations, query=query, metrics=metrics, local_date=local_date
        ),
        build=lambda config: timeseries(query=query, metrics=metrics, config=config, now=now),
        now=now, what=f"timeseries:{_query_text(query)}:{','.join(metrics)}", kind="timeseries",
    )


def record_audit(
    *, user: AbstractBaseUser, action: str, period: str, include: Sequence[str], ip_address: str | None,
    resource_type: str = ResourceType.DASHBOARD_METRICS,
) -> OpsAuditLog:
    """Append one audit row for a request by `user` (their Staff record attached when there is one).

    The Staff record is looked up inside the INSERT, so the row costs one query; as with any expression saved
    on a model, the returned row holds the expression in `staff_id` until `refresh_from_db()`.
    """
    try:
        return OpsAuditLog.objects.create(
            user=user,
            staff_id=Subquery(Staff.objects.filter(user_id=user.pk).values("pk")),  # one-to-one: at most one row
            action=action,
            resource_type=resource_type,
            period=period,
            include=list(include),
            ip_address=ip_address,
        )
    except DatabaseError:
        observability.AUDIT_WRITE_FAILURES.inc()
        raise


def metrics_for_user(
    *, user: AbstractBaseUser, period: str, groups: Sequence[str], ip_address: str | None,
    custom: CustomRange | None = None,
) -> CachedMetrics:
    """The metrics `user` may see (admin-only groups withheld and listed in `redacted`), audited.

    Withheld groups are never asked of the cache, so a cached payload cannot carry them to this user. A custom range
    that cannot be served raises InvalidQuery after writing a view_metrics_denied row.
    """
    audit = {"user": user, "period": period, "include": groups, "ip_address": ip_address}
    is_admin = PERM_ADMIN in ops_permissions(user=user)
    allowed = tuple(group for group in groups if is_admin or group not in ADMIN_ONLY_GROUPS)
    redacted = [group for group in groups if group not in allowed]
    try:
        cached = cached_dashboard_metrics(period=period, groups=allowed, custom=custom)
    except InvalidQuery:
        record_audit(action=AuditAction.VIEW_METRICS_DENIED, **audit)
        raise
    record_audit(action=AuditAction.VIEW_METRICS, **audit)
    return _with_redacted(cached, redacted)


def _with_redacted(cached: CachedMetrics, redacted: list[str]) -> CachedMetrics:
    etag = cached.etag
    if redacted:  # the body differs from an unredacted one for the same figures, so must its validator
        etag = '"{}"'.format(hashlib.sha256(f"{etag}|redacted={','.join(redacted)}".encode()).hexdigest()[:32])
    return CachedMetrics(payload={**cached.payload, "redacted": redacted}, hit=cached.hit, etag=etag)


def timeseries_for_user(*, user: AbstractBaseUser, query: SeriesQuery, ip_address: str | None) -> CachedMetrics:
    """The time series `user` may see (admin-only series withheld; listed in `redacted` when asked for), audited.

    Default metrics: every series the user may see. Withheld series are never asked of the cache. A query whose window
    cannot be served raises InvalidQuery after writing a view_timeseries_denied row.
    """
    is_admin = PERM_ADMIN in ops_permissions(user=user)
    asked = query.metrics or tuple(m for m in ALL_SERIES if is_admin or m not in ADMIN_ONLY_SERIES)
    allowed = tuple(metric for metric in asked if is_admin or metric not in ADMIN_ONLY_SERIES)
    redacted = [metric for metric in asked if metric not in allowed]
    audit = {"user": user, "period": query.period, "include": asked, "ip_address": ip_address,
             "resource_type": ResourceType.DASHBOARD_TIMESERIES}
    try:
        cached = cached_timeseries(query=query, metrics=allowed)
    except InvalidQuery:
        record_audit(action=AuditAction.VIEW_TIMESERIES_DENIED, **audit)
        raise
    record_audit(action=AuditAction.VIEW_TIMESERIES, **audit)
    return _with_redacted(cached, redacted)
