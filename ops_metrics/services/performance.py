"""Use case of the per-staff performance endpoint: the rows a user may see (revenue for ops.admin), cached, audited."""
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from ops_metrics.cache.payloads import staff_key
from ops_metrics.constants import PERM_ADMIN, AuditAction, ResourceType, SourceTable
from ops_metrics.reports.staff import ADMIN_ONLY_FIELDS, staff_performance
from ops_metrics.services.access import ops_permissions
from ops_metrics.services.audit import record_audit
from ops_metrics.services.dashboard import CachedMetrics, cached_payload, with_redacted
from ops_metrics.windows.ranges import CustomRange, InvalidQuery, StaffFilter, staff_text

STAFF_TABLES = tuple(sorted(SourceTable.values))  # bookings, complaints, staff (the rows), config


def staff_for_user(
    *, user: AbstractBaseUser, period: str, custom: CustomRange | None, staff: StaffFilter | None, ordering: str,
    ip_address: str | None,
) -> CachedMetrics:
    """Per-staff rows `user` may see: revenue only with ops.admin (else listed in `redacted`), audited.

    The cache is asked for amounts only on behalf of an admin, so a cached payload never hands revenue to a reader.
    InvalidQuery (audited) for an ordering the user cannot sort by or a range that cannot be served.
    """
    amounts = PERM_ADMIN in ops_permissions(user=user)
    audit = {"user": user, "period": period, "include": (), "ip_address": ip_address,
             "resource_type": ResourceType.DASHBOARD_STAFF, "staff_filter": staff_text(staff)}
    now = timezone.now()
    if not amounts and ordering.removeprefix("-") in ADMIN_ONLY_FIELDS:
        record_audit(action=AuditAction.VIEW_STAFF_DENIED, **audit)
        raise InvalidQuery("ordering", f"Ordering by {ordering.removeprefix('-')} requires {PERM_ADMIN}.")
    try:
        cached = cached_payload(
            tables=STAFF_TABLES,
            key=staff_key(period=period, custom=custom, staff=staff, ordering=ordering, amounts=amounts),
            build=lambda config: staff_performance(
                period=period, custom=custom, staff=staff, ordering=ordering, amounts=amounts, config=config, now=now,
            ),
            now=now, kind="staff",
        )
    except InvalidQuery:
        record_audit(action=AuditAction.VIEW_STAFF_DENIED, **audit)
        raise
    record_audit(action=AuditAction.VIEW_STAFF, **audit)
    return with_redacted(cached, [] if amounts else list(ADMIN_ONLY_FIELDS))
