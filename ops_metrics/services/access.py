"""Reads of the ops app's own data: which ops permissions a user holds."""
from django.contrib.auth import get_backends
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Permission

from ops_metrics.constants import PERM_ADMIN, PERM_READ
from ops_metrics.models import OpsAuditLog

OPS_PERMISSIONS = frozenset({PERM_READ, PERM_ADMIN})
_CACHE_ATTRIBUTE = "_ops_permissions_cache"


def _resolve_ops_permissions(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    if not user.is_active or user.is_anonymous:
        return frozenset()
    if not all(type(backend) is ModelBackend for backend in get_backends()):
        # Another backend may grant or deny differently: let Django ask every backend.
        return frozenset(perm for perm in OPS_PERMISSIONS if user.has_perm(perm))
    if user.is_superuser:
        return OPS_PERMISSIONS
    app_label = OpsAuditLog._meta.app_label
    # A UNION of two joins that each start from the user's own rows (cheaper to build than EXISTS subqueries,
    # and no OR across joins that would walk every member of the user's groups).
    ops_codenames = Permission.objects.filter(content_type__app_label=app_label).values_list("codename", flat=True)
    codenames = ops_codenames.filter(user=user).order_by().union(ops_codenames.filter(group__user=user).order_by())
    return frozenset(f"{app_label}.{codename}" for codename in codenames) & OPS_PERMISSIONS


def ops_permissions(*, user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """Which of ops.read and ops.admin `user` holds, as `user.has_perm` would answer, resolved once per user object.

    With ModelBackend alone (this project's setting) that is one query over the user's own and their groups'
    permissions of the ops app, where two `has_perm` calls cost two (user, then group permissions). Superusers
    hold both, inactive and anonymous users neither. With any other backend configured, `has_perm` decides.
    The answer is kept on the user object, which lives for one request, as ModelBackend keeps its own.
    """
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = _resolve_ops_permissions(user)
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached
