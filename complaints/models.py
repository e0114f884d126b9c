"""Complaints, their priority and status choices (defined once, reused everywhere), and the SLA policy."""
from datetime import datetime, timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
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


TARGET_VALIDATORS = [MinValueValidator(1), MaxValueValidator(24 * 365)]
# (response hours, resolution hours) of a priority that has no SlaPolicy row.
DEFAULT_SLA_HOURS = {
    ComplaintPriority.CRITICAL: (1, 4),
    ComplaintPriority.HIGH: (4, 24),
    ComplaintPriority.MEDIUM: (8, 48),
    ComplaintPriority.LOW: (24, 72),
}


class SlaPolicy(models.Model):
    """The response and resolution targets of one complaint priority."""

    priority = models.CharField(max_length=10, choices=ComplaintPriority.choices, unique=True)
    response_hours = models.PositiveIntegerField(validators=TARGET_VALIDATORS, help_text="Hours to first response.")
    resolution_hours = models.PositiveIntegerField(validators=TARGET_VALIDATORS, help_text="Hours to resolution.")

    class Meta:
        ordering = ["priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: respond in {self.response_hours} h, resolve in {self.resolution_hours} h"

    @classmethod
    def targets(cls) -> dict[str, tuple[int, int]]:
        """(response hours, resolution hours) per priority, defaults where no row exists."""
        stored = {p: (r, s) for p, r, s in cls.objects.values_list("priority", "response_hours", "resolution_hours")}
        return {priority: stored.get(priority, DEFAULT_SLA_HOURS[priority]) for priority in ComplaintPriority.values}

    @classmethod
    def due_times(cls, *, priority: str, created_at: datetime) -> tuple[datetime, datetime]:
        """Response and resolution due times of a complaint of `priority` created at `created_at`."""
        row = cls.objects.filter(priority=priority).values_list("response_hours", "resolution_hours").first()
        response_hours, resolution_hours = row or DEFAULT_SLA_HOURS[priority]
        return created_at + timedelta(hours=response_hours), created_at + timedelta(hours=resolution_hours)


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
            # The SLA state of the open backlog (a "now" figure): counted from this index alone, not the heap.
            models.Index(
                fields=["priority", "status", "response_due_at", "first_response_at", "resolution_due_at", "resolved_at"],
                condition=models.Q(status__in=UNRESOLVED_STATUSES), name="complaint_open_sla_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.fill_due_times()
        super().save(*args, **kwargs)

    def fill_due_times(self) -> None:
        """Set whichever due times were not given, from the SLA policy of the complaint's priority."""
        if self.response_due_at is not None and self.resolution_due_at is not None:
            return
        self.created_at = self.created_at or timezone.now()
        response_due, resolution_due = SlaPolicy.due_times(priority=self.priority, created_at=self.created_at)
        if self.response_due_at is None:
            self.response_due_at = response_due
        if self.resolution_due_at is None:
            self.resolution_due_at = resolution_due
