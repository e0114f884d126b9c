"""Who may read the dashboard metrics."""
from rest_framework.permissions import BasePermission

from ops_metrics.constants import PERM_ADMIN, PERM_READ
from ops_metrics.services.access import ops_permissions


class CanViewOpsMetrics(BasePermission):
    """Authenticated users holding ops.read or ops.admin (superusers hold every permission)."""

    message = f"Viewing the ops metrics requires the {PERM_READ} or {PERM_ADMIN} permission."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and ops_permissions(user=user))
