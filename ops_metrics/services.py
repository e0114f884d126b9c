"""Services: the one place dashboard figures are computed, and the audit trail written."""
import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Subquery
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from ops_metrics import conf
from ops_metrics.cache import CachedMetrics, cached_dashboard_metrics
from ops_metrics.config import get_ops_config
from ops_metrics.constants import (
    ADMIN_ONLY_GROUPS, ALL_GROUPS, PERM_ADMIN, RESOURCE_DASHBOARD_METRICS, AuditAction, MetricGroup, Period,
)
from ops_metrics.models import OpsAuditLog
from ops_metrics.permissions import ops_permissions
from ops_metrics.selectors import booking_metrics, complaint_metrics, staff_workload
from ops_metrics.serializers import DashboardMetricsResponse
from ops_metrics.windows import Window, build_windows
from staff.models import Staff


def dashboard_metrics(*, period: str, groups: Sequence[str], now: datetime | None = None) -> dict:
    """The SPEC §5 payload (before serialization) for `period` with the metric `groups` asked for.

    Computes exactly `groups` (permissions are the caller's business); ValueError for an unknown period or group.
    """
    unknown = [group for group in groups if group not in ALL_GROUPS]
    if unknown:
        raise ValueError(f"Unknown metric groups: {', '.join(map(str, unknown))}.")
    period = Period(period)
    now = timezone.now() if now is None else now
    config = get_ops_config()
    tz = config.tzinfo
    windows = build_windows(period=period, now=now, tz=tz)
    requested = frozenset(groups)
    using = conf.metrics_database()

    figures: dict[str, dict] = {group: {} for group in requested}
    parts = []
    if requested & {MetricGroup.BOOKINGS, MetricGroup.REVENUE, MetricGroup.REALTIME}:
        parts.append(booking_metrics(windows=windows, groups=requested, using=using))
    if requested & {MetricGroup.COMPLAINTS, MetricGroup.SLA, MetricGroup.REALTIME}:
        buffer = timedelta(minutes=config.sla_at_risk_buffer_minutes)
        parts.append(complaint_metrics(windows=windows, groups=requested, at_risk_buffer=buffer, using=using))
    for part in parts:  # realtime is split across the bookings and complaints queries
        for group, values in part.items():
            figures[group].update(values)
    if MetricGroup.REVENUE in requested:
        figures[MetricGroup.REVENUE]["currency"] = conf.currency()
    if MetricGroup.REALTIME in requested:
        figures[MetricGroup.REALTIME]["staff_workload"] = staff_workload(using=using)

    return {
        "period": period.value,
        "timezone": tz.key,
        "window": _local(windows.period, tz),
        "comparison": {
            "current": _local(windows.comparison_current, tz),
            "previous": _local(windows.comparison_previous, tz),
        },
        "generated_at": windows.now,
        **{group: figures[group] for group in ALL_GROUPS if group in requested},
        "redacted": [],
    }


def _local(window: Window, tz: ZoneInfo) -> dict:
    """A window's bounds in the business timezone, so rendered offsets are local."""
    return {"start": None if window.start is None else window.start.astimezone(tz), "end": window.end.astimezone(tz)}


def render_metrics(*, payload: dict) -> dict:
    """The client representation of a payload (what the API and the CLI print): plain JSON types only.

    Rendered once per computation and cached as such, so a cache hit does no serialization. The JSON round trip
    drops DRF's ReturnDict (it references its serializer) and any str/int subclass, leaving picklable builtins.
    """
    return json.loads(json.dumps(DashboardMetricsResponse(payload).data, cls=JSONEncoder))


def record_audit(
    *, user: AbstractBaseUser, action: str, period: str, include: Sequence[str], ip_address: str | None
) -> OpsAuditLog:
    """Append one audit row for a metrics request by `user` (their Staff record attached when there is one).

    The Staff record is looked up inside the INSERT, so the row costs one query; as with any expression saved
    on a model, the returned row holds the expression in `staff_id` until `refresh_from_db()`.
    """
    return OpsAuditLog.objects.create(
        user=user,
        staff_id=Subquery(Staff.objects.filter(user_id=user.pk).values("pk")),  # one-to-one: at most one row
        action=action,
        resource_type=RESOURCE_DASHBOARD_METRICS,
        period=period,
        include=list(include),
        ip_address=ip_address,
    )


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
    return replace(cached, payload={**cached.payload, "redacted": redacted}, etag=etag)
