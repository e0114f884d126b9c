"""Complaint writes: SLA due times filled from the per-priority targets."""
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from complaints.models import Complaint  # the model calls these services on save


def sla_due_times(*, priority: str, created_at: datetime) -> tuple[datetime, datetime]:
    """Response and resolution due times for a complaint of this priority created at `created_at`."""
    from ops_metrics.config import get_ops_config

    response_hours, resolution_hours = get_ops_config().sla_targets()[priority]
    return created_at + timedelta(hours=response_hours), created_at + timedelta(hours=resolution_hours)


def fill_due_times(*, complaint: "Complaint") -> None:
    """Set whichever due times were not given, from the OpsConfig targets of the complaint's priority."""
    if complaint.response_due_at is not None and complaint.resolution_due_at is not None:
        return
    created_at = complaint.created_at or timezone.now()
    response_due, resolution_due = sla_due_times(priority=complaint.priority, created_at=created_at)
    if complaint.response_due_at is None:
        complaint.response_due_at = response_due
    if complaint.resolution_due_at is None:
        complaint.resolution_due_at = resolution_due
