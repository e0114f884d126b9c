"""Signal receivers: a committed write moves its table's cache generation on; a request the project refused outside
the ops views (CSRF, an unparsable request, an unexpected error) on an ops endpoint is audited."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from rest_framework.authtoken.models import Token

from complaints.models import Complaint
from complaints.signals import complaints_bulk_updated
from ops_metrics.addresses import client_ip
from ops_metrics.cache.generations import invalidate
from ops_metrics.constants import MODEL_TABLES, AuditAction, ResourceType
from ops_metrics.services.access import invalidate_permissions
from ops_metrics.services.audit import record_audit

DISPATCH_UID = "ops_metrics.invalidate_metrics_cache"
BULK_DISPATCH_UID = "ops_metrics.invalidate_after_bulk_update"
PERMISSIONS_DISPATCH_UID = "ops_metrics.invalidate_permissions"
# The m2m actions that have changed a relation (the pre_ ones have not yet).
_M2M_CHANGES = frozenset({"post_add", "post_remove", "post_clear"})


def invalidate_after_commit(sender: type, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Move the sender's table generation on once the writing transaction commits (at once after a domain's bulk
    write, which signals after committing); a rollback moves nothing."""
    invalidate(names=[MODEL_TABLES[sender._meta.label]], using=using)


def permissions_changed(sender: type, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Make every cached permission set stale once a write to users, groups, permissions or their links commits.

    A user's save that touched only `last_login` (every login) changes nobody's permissions.
    """
    if "action" in kwargs and kwargs["action"] not in _M2M_CHANGES:
        return
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return
    invalidate_permissions(using=using)


def connect_receivers() -> None:
    """Connect the invalidations to saves and deletes of every watched model, complaints' bulk writes, and users',
    groups' and permissions' changes (idempotent)."""
    for model in MODEL_TABLES:
        for signal in (post_save, post_delete):
            signal.connect(invalidate_after_commit, sender=model, dispatch_uid=DISPATCH_UID)
    # A plain Signal (not a ModelSignal): the sender must be the class itself, not its "app.Model" label.
    complaints_bulk_updated.connect(invalidate_after_commit, sender=Complaint, dispatch_uid=BULK_DISPATCH_UID)
    user = get_user_model()
    for model in (user, Group, Permission):
        for signal in (post_save, post_delete):
            signal.connect(permissions_changed, sender=model, dispatch_uid=PERMISSIONS_DISPATCH_UID)
    # One through model per relation, whichever side the change is made from (user.groups or group.user_set).
    for through in (user.user_permissions.through, user.groups.through, Group.permissions.through):
        m2m_changed.connect(permissions_changed, sender=through, dispatch_uid=PERMISSIONS_DISPATCH_UID)


# The ops routes (url names) and how a refusal of each is audited.
REFUSALS = {
    "ops-dashboard-metrics": (AuditAction.VIEW_METRICS_DENIED, ResourceType.DASHBOARD_METRICS),
    "ops-dashboard-timeseries": (AuditAction.VIEW_TIMESERIES_DENIED, ResourceType.DASHBOARD_TIMESERIES),
    "ops-dashboard-records": (AuditAction.VIEW_RECORDS_DENIED, ResourceType.DASHBOARD_RECORDS),
    "ops-dashboard-staff": (AuditAction.VIEW_STAFF_DENIED, ResourceType.DASHBOARD_STAFF),
    "ops-alerts-list": (AuditAction.VIEW_ALERTS_DENIED, ResourceType.ALERTS),
}


def _requester(request: HttpRequest):
    """The logged-in user of a request that never reached DRF's authentication: its session user, or its token's."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return None
    token = Token.objects.select_related("user").filter(key=key.strip()).first()
    return token.user if token is not None and token.user.is_active else None


def audit_refused_request(sender, *, request, status: int, reason: str, **kwargs) -> None:
    """One denied audit row for a refused request of a logged-in user to an ops endpoint (the views audit the rest)."""
    request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    try:
        route = resolve(request.path_info).url_name
    except Resolver404:
        return
    if route not in REFUSALS or (user := _requester(request)) is None:
        return
    action, resource_type = REFUSALS[route]
    record_audit(user=user, action=action, period="", include=(), ip_address=client_ip(request),
                 resource_type=resource_type)
