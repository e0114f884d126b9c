"""Reads of the ops app's own data: which ops permissions a user holds."""
from django.contrib.auth import get_backends
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Permission

from ops_metrics.cache import generations as cache
from ops_metrics.cache.backend import CacheUnavailable, cache_key, master_epoch
from ops_metrics.constants import PERM_ADMIN, PERM_READ, PERMISSIONS_GENERATION
from ops_metrics.models import OpsAuditLog

OPS_PERMISSIONS = frozenset({PERM_READ, PERM_ADMIN})
_CACHE_ATTRIBUTE = "_ops_permissions_cache"
# The tag catches every committed change; the expiry bounds the one case it cannot, an invalidation lost while the
# cache was unreachable from the writer and not from the readers.
PERMISSIONS_TIMEOUT_SECONDS = 60


def _permissions_key(user: AbstractBaseUser) -> str:
    return cache_key("permissions", f"user={user.pk}")


def _granted_in_database(user: AbstractBaseUser) -> frozenset[str]:
    app_label = OpsAuditLog._meta.app_label
    # A UNION of two joins that each start from the user's own rows (cheaper to build than EXISTS subqueries,
    # and no OR across joins that would walk every member of the user's groups).
    ops_codenames = Permission.objects.filter(content_type__app_label=app_label).values_list("codename", flat=True)
    codenames = ops_codenames.filter(user=user).order_by().union(ops_codenames.filter(group__user=user).order_by())
    return frozenset(f"{app_label}.{codename}" for codename in codenames) & OPS_PERMISSIONS


def _granted(user: AbstractBaseUser) -> frozenset[str]:
    """The user's and their groups' ops permissions: from the cache when stored under the current permissions
    generation, else from the database (stored tagged with the generation read before the query)."""
    key = _permissions_key(user)
    try:
        generations, found = cache.read_generations(names=[PERMISSIONS_GENERATION], values=[key])
    except CacheUnavailable:
        return _granted_in_database(user)
    # The master's epoch too: a promoted replica may lack the last generation move, never the epoch change.
    tag = f"{generations[PERMISSIONS_GENERATION]}#{master_epoch()}"
    tagged = found.get(key)
    if tagged is not None and tagged[0] == tag:
        return tagged[1]
    granted = _granted_in_database(user)
    cache.store(key, (tag, granted), timeout=PERMISSIONS_TIMEOUT_SECONDS)
    return granted


def _resolve_ops_permissions(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    if not user.is_active or user.is_anonymous:
        return frozenset()
    if not all(type(backend) is ModelBackend for backend in get_backends()):
        # Another backend may grant or deny differently: let Django ask every backend.
        return frozenset(perm for perm in OPS_PERMISSIONS if user.has_perm(perm))
    if user.is_superuser:
        return OPS_PERMISSIONS
    return _granted(user)


def invalidate_permissions(*, using: str) -> None:
    """Make every cached permission set stale once the transaction on `using` commits (at once outside one).

    Call after writes to users, groups or permissions that send no signal (`QuerySet.update`, raw SQL).
    """
    cache.invalidate(names=[PERMISSIONS_GENERATION], using=using)


def ops_permissions(*, user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """Which of ops.read and ops.admin `user` holds, as `user.has_perm` would answer, resolved once per user object.

    With ModelBackend alone (this project's setting): superusers hold both, inactive and anonymous users neither (the
    flags of the user object, loaded by the request's authentication); anyone else holds what their own and their
    groups' permissions of the ops app grant, read from the cache in one round trip when the permissions generation
    has not moved since it was stored, else in one query (also while the cache is down). With any other backend
    configured, `has_perm` decides. The answer is kept on the user object, which lives for one request.
    """
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = _resolve_ops_permissions(user)
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached
