"""Audit: one append-only row per request to the ops API."""
from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError
from django.db.models import Subquery

from ops_metrics import telemetry
from ops_metrics.constants import ResourceType
from ops_metrics.models import OpsAuditLog
from staff.models import Staff


def record_audit(
    *, user: AbstractBaseUser, action: str, period: str, include: Sequence[str], ip_address: str | None,
    resource_type: str = ResourceType.DASHBOARD_METRICS, figure: str = "", staff_filter: str = "",
) -> OpsAuditLog:
    """Append one audit row for a request by `user` (their username kept, their Staff record attached when there is one).

    The Staff record is looked up inside the INSERT, so the row costs one query; as with any expression saved
    on a model, the returned row holds the expression in `staff_id` until `refresh_from_db()`.
    """
    try:
        return OpsAuditLog.objects.create(
            user=user,
            username=user.get_username(),
            staff_id=Subquery(Staff.objects.filter(user_id=user.pk).values("pk")),  # one-to-one: at most one row
            action=action,
            resource_type=resource_type,
            period=period,
            include=list(include),
            figure=figure,
            staff_filter=staff_filter,
            ip_address=ip_address,
        )
    except DatabaseError:
        telemetry.AUDIT_WRITE_FAILURES.inc()
        raise
