"""OpsAuditLog: one append-only row per request to the ops API, allowed or refused."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ops_metrics.constants import AuditAction, ResourceType


class OpsAuditLog(models.Model):
    """One row per metrics request, allowed or refused; never changed after it is written."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="ops_audit_logs"
    )
    # Written with the row: deleting the user clears `user` but the trail still says who it was.
    username = models.CharField(max_length=150, blank=True, help_text="The user's username when the row was written.")
    staff = models.ForeignKey("staff.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    resource_type = models.CharField(
        max_length=64, choices=ResourceType.choices, default=ResourceType.DASHBOARD_METRICS
    )
    period = models.CharField(max_length=16, blank=True)
    include = models.JSONField(default=list, blank=True, help_text="The metric groups asked for.")
    figure = models.CharField(max_length=64, blank=True, help_text="The figure whose records were asked for.")
    staff_filter = models.CharField(
        max_length=200, blank=True, help_text="The `staff` filter asked for (ids, `none`); blank when unfiltered."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "ops audit log entry"
        verbose_name_plural = "ops audit log"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username or self.user_id} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError("Audit log entries are append-only.")
        super().save(*args, **kwargs)
