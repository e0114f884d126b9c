"""Complaints, their priority and status choices (defined once, reused everywhere)."""
from django.db import models
from django.utils import timezone


class ComplaintPriority(models.TextChoices):
    """How urgent a complaint is; drives its SLA targets."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ComplaintStatus(models.TextChoices):
    """Lifecycle of a complaint."""

    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    ESCALATED = "escalated", "Escalated"


UNRESOLVED_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS, ComplaintStatus.ESCALATED)
# Realtime "active_complaints": being worked or waiting, escalations counted separately.
ACTIVE_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS)


class Complaint(models.Model):
    """A customer complaint, optionally about a booking."""

    booking = models.ForeignKey(
        "bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    subject = models.CharField(max_length=200)
    priority = models.CharField(max_length=10, choices=ComplaintPriority.choices, default=ComplaintPriority.MEDIUM)
    status = models.CharField(max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN)
    assigned_to = models.ForeignKey(
        "staff.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    created_at = models.DateTimeField(default=timezone.now)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status"], name="complaint_status_idx"),
            models.Index(fields=["priority"], name="complaint_priority_idx"),
            models.Index(fields=["created_at"], name="complaint_created_idx"),
            models.Index(fields=["first_response_at"], name="complaint_first_resp_idx"),
            models.Index(fields=["resolved_at"], name="complaint_resolved_idx"),
            models.Index(fields=["response_due_at", "resolution_due_at"], name="complaint_due_idx"),
            # The staff workload counts only unresolved complaints per staff member: a small partial index.
            models.Index(
                fields=["assigned_to"], condition=models.Q(status__in=UNRESOLVED_STATUSES),
                name="complaint_open_staff_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            from complaints.services import fill_due_times

            fill_due_times(complaint=self)
        super().save(*args, **kwargs)
