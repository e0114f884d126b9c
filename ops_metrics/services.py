"""Use cases: the metrics a user may see (audited, redacted, cached), the config, and cache invalidation."""
import hashlib
import logging
from collections.abc import Collection, Sequence
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
    ALL_GROUPS,
    GROUP_TABLES,
    PERM_ADMIN,
    RESOURCE_DASHBOARD_METRICS,
    AuditAction,
    SourceTable,
)
from ops_metrics.metrics import dashboard_metrics
from ops_metrics.models import OpsAuditLog, OpsConfig
from ops_metrics.rendering import render_payload
from ops_metrics.selectors import ops_permissions
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


def metrics_key(*, generations: dict[str, int], period: str, groups: Sequence[str], local_date: date) -> str:
    """Cache key of one payload: the generations of the tables read, the period, the exact groups and the local date."""
    versions = ",".join(f"{table}={generations[table]}" for table in sorted(generations))
    return cache.cache_key("metrics", versions, period, ",".join(groups), local_date.isoformat())


def _etag(key: str, payload: dict) -> str:
    digest = hashlib.sha256(f"{key}|{payload['generated_at']}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def cached_dashboard_metrics(*, period: str, groups: Sequence[str], now: datetime | None = None) -> CachedMetrics:
    """The rendered payload for exactly these groups, from the cache or computed once for concurrent misses.

    The key carries the generation of every table the groups read (SPEC §7), so a write to one table leaves answers
    that do not read it valid. Generations are read before computing: a result computed while a write commits lands
    under the old generation and is never served afterwards.
    """
    now = now or timezone.now()
    groups = canonical_groups(groups)
    tables = source_tables(groups)
    try:
        generations, found = cache.read_generations(names=tables, values=[CONFIG_KEY])
    except CacheUnavailable:
        logger.debug("metrics cache unreachable: computing from the database")
        observability.CACHE_UNAVAILABLE.labels(period=period).inc()
        observability.CACHE_MISSES.labels(period=period).inc()
        uncached_key = f"uncached:{period}:{','.join(groups)}"
        payload = cache.local_single_flight(key=uncached_key, compute=lambda: render_payload(
            dashboard_metrics(period=period, groups=groups, config=OpsConfig.load(), now=now)
        ))
        return CachedMetrics(payload=payload, hit=False, etag=_etag(uncached_key, payload))

    config = _config_under(generations[SourceTable.CONFIG], found.get(CONFIG_KEY))

    def compute() -> dict:
        return render_payload(dashboard_metrics(period=period, groups=groups, config=config, now=now))

    key = metrics_key(
        generations=generations, period=period, groups=groups, local_date=now.astimezone(config.tzinfo).date()
    )
    if not config.metrics_cache_ttl_seconds:
        payload, hit = compute(), False
    else:
        try:
            payload, hit = cache.single_flight(key=key, ttl=config.metrics_cache_ttl_seconds, compute=compute)
        except CacheUnavailable:
            logger.debug("metrics cache unreachable: computing from the database")
            observability.CACHE_UNAVAILABLE.labels(period=period).inc()
            payload, hit = cache.local_single_flight(key=key, compute=compute), False
    (observability.CACHE_HITS if hit else observability.CACHE_MISSES).labels(period=period).inc()
    return CachedMetrics(payload=payload, hit=hit, etag=_etag(key, payload))


def record_audit(
    *, user: AbstractBaseUser, action: str, period: str, include: Sequence[str], ip_address: str | None
) -> OpsAuditLog:
    """Append one audit row for a metrics request by `user` (their Staff record attached when there is one).

    The Staff record is looked up inside the INSERT, so the row costs one query; as with any expression saved
    on a model, the returned row holds the expression in `staff_id` until `refresh_from_db()`.
    """
    try:
        return OpsAuditLog.objects.create(
            user=user,
            staff_id=Subquery(Staff.objects.filter(user_id=user.pk).values("pk")),  # one-to-one: at most one row
            action=action,
            resource_type=RESOURCE_DASHBOARD_METRICS,
            period=period,
            include=list(include),
            ip_address=ip_address,
        )
    except DatabaseError:
        observability.AUDIT_WRITE_FAILURES.inc()
        raise


def metrics_for_user(
    *, user: AbstractBaseUser, period: str, groups: Sequence[str], ip_address: str | None
) -> CachedMetrics:
    """The metrics `user` may see (admin-only groups withheld and listed in `redacted`), audited.

    Withheld groups are never asked of the cache, so a cached payload cannot carry them to this user.
    """
    record_audit(user=user, action=AuditAction.VIEW_METRICS, period=period, include=groups, ip_address=ip_address)
    is_admin = PERM_ADMIN in ops_permissions(user=user)
    allowed = tuple(group for group in groups if is_admin or group not in ADMIN_ONLY_GROUPS)
    redacted = [group for group in groups if group not in allowed]
    cached = cached_dashboard_metrics(period=period, groups=allowed)
    etag = cached.etag
    if redacted:  # the body differs from an unredacted one for the same groups, so must its validator
        etag = '"{}"'.format(hashlib.sha256(f"{etag}|redacted={','.join(redacted)}".encode()).hexdigest()[:32])
    return CachedMetrics(payload={**cached.payload, "redacted": redacted}, hit=cached.hit, etag=etag)
