"""Complaints, their priority and status choices (defined once, reused everywhere), the SLA policy and its calendar."""
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from complaints.business_time import WEEKDAYS, BusinessClock, ScheduleError, parse_hours, zone
from complaints.sla import SlaTargets


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


def default_business_hours() -> dict[str, list[list[str]]]:
    """Monday to Friday, 09:00 to 17:00."""
    return {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}


def default_timezone() -> str:
    """The project's TIME_ZONE setting."""
    return settings.TIME_ZONE


class BusinessCalendar(models.Model):
    """Weekly opening hours in a time zone, with whole-day holidays: the clock SLA targets count in."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(
        max_length=64, default=default_timezone, help_text='IANA time zone of the opening hours, e.g. "Europe/Berlin".'
    )
    hours = models.JSONField(
        default=default_business_hours,
        help_text='Open intervals per weekday in local wall-clock time, e.g. {"mon": [["09:00", "12:30"], '
                  '["13:30", "18:00"]], "sat": []}; "24:00" may end an interval; a missing or empty day is closed.',
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.timezone})"

    def clean(self) -> None:
        errors = {}
        try:
            zone(self.timezone)
        except ScheduleError as error:
            errors["timezone"] = str(error)
        try:
            parse_hours(self.hours)
        except ScheduleError as error:
            errors["hours"] = str(error)
        if errors:
            raise ValidationError(errors)

    def clock(self, *, holidays: list[date] | None = None) -> BusinessClock:
        """This calendar's BusinessClock; its holidays are read unless given."""
        if holidays is None:
            holidays = list(self.holidays.values_list("date", flat=True))
        return BusinessClock.from_hours(timezone=self.timezone, hours=self.hours, holidays=holidays)


class BusinessHoliday(models.Model):
    """A local date on which a business calendar is closed all day."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="business_holiday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}".strip()


class SlaPolicy(models.Model):
    """The response and resolution targets of one complaint priority, in business time of its calendar."""

    priority = models.CharField(max_length=10, choices=ComplaintPriority.choices, unique=True)
    response_hours = models.PositiveIntegerField(validators=TARGET_VALIDATORS, help_text="Hours to first response.")
    resolution_hours = models.PositiveIntegerField(validators=TARGET_VALIDATORS, help_text="Hours to resolution.")
    # PROTECT: deleting a calendar in use would silently turn its policies' clocks around the clock.
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="sla_policies",
        help_text="Business hours the targets count in; empty = around the clock.",
    )

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
    def sla_targets(cls, *, priority: str | None = None) -> dict[str, SlaTargets]:
        """SlaTargets per priority (or of `priority` only), with their calendars' clocks; defaults where no row exists."""
        policies = cls.objects.select_related("calendar")
        if priority is not None:
            policies = policies.filter(priority=priority)
        policies = list(policies)
        calendars = {policy.calendar_id: policy.calendar for policy in policies if policy.calendar_id is not None}
        holidays = defaultdict(list)
        for calendar_id, day in BusinessHoliday.objects.filter(calendar__in=calendars).values_list("calendar", "date"):
            holidays[calendar_id].append(day)
        clocks = {pk: calendar.clock(holidays=holidays[pk]) for pk, calendar in calendars.items()}
        targets = {
            policy.priority: SlaTargets(
                response=timedelta(hours=policy.response_hours), resolution=timedelta(hours=policy.resolution_hours),
                **({"clock": clocks[policy.calendar_id]} if policy.calendar_id is not None else {}),
            )
            for policy in policies
        }
        wanted = ComplaintPriority.values if priority is None else [priority]
        for missing in set(wanted) - targets.keys():
            response_hours, resolution_hours = DEFAULT_SLA_HOURS[missing]
            targets[missing] = SlaTargets(response=timedelta(hours=response_hours), resolution=timedelta(hours=resolution_hours))
        return targets

    @classmethod
    def due_times(cls, *, priority: str, created_at: datetime) -> tuple[datetime, datetime]:
        """Response and resolution due times of a complaint of `priority` created at `created_at`."""
        return cls.sla_targets(priority=priority)[priority].due_times(created_at=created_at)


class Complaint(models.Model):
    """A customer complaint, optionally about a booking."""

    booking = models.ForeignKey(
        "bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    subject = models.CharField(max_length=200)
    priority = models.CharField(max_length=10, choices=ComplaintPriority.choices, default=ComplaintPriority.MEDIUM)
    status = models.CharField(max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN)
    # Indexed by (assigned_to, created_at) below, which also serves the foreign key's own lookups.
    assigned_to = models.ForeignKey(
        "staff.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Business time from created_at to the event under the calendar in force when the event was recorded.
    response_business_time = models.DurationField(null=True, blank=True, editable=False)
    resolution_business_time = models.DurationField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A staff member's rows in a time range: a staff-filtered window's partial days, one range per member.
            models.Index(fields=["assigned_to", "created_at"], name="complaint_staff_created_idx"),
            models.Index(fields=["status"], name="complaint_status_idx"),
            models.Index(fields=["priority"], name="complaint_priority_idx"),
            # (created_at, id): the records pages walk it backwards as they are ordered, ties on created_at included.
            models.Index(fields=["created_at", "id"], name="complaint_created_id_idx"),
            models.Index(fields=["first_response_at"], name="complaint_first_resp_idx"),
            models.Index(fields=["resolved_at"], name="complaint_resolved_idx"),
            models.Index(fields=["response_due_at", "resolution_due_at"], name="complaint_due_idx"),
            # The staff workload counts only unresolved complaints per staff member: a small partial index.
            models.Index(
                fields=["assigned_to"], condition=models.Q(status__in=UNRESOLVED_STATUSES),
                name="complaint_open_staff_idx",
            ),
            # The unresolved complaints newest first with their SLA columns: the records pages of the SLA-state
            # figures walk it until a page of the state is found, index-only.
            models.Index(
                fields=["created_at", "id"], condition=models.Q(status__in=UNRESOLVED_STATUSES),
                include=["priority", "status", "assigned_to", "response_due_at", "first_response_at",
                         "resolution_due_at", "resolved_at"],
                name="complaint_open_created_idx",
            ),
            # The unresolved complaints breached or at risk now: ranges of their unmet targets' due times, read
            # index-only (the columns of their SLA state and key included).
            models.Index(
                fields=["response_due_at"], condition=models.Q(status__in=UNRESOLVED_STATUSES, first_response_at=None),
                include=["priority", "status", "assigned_to", "first_response_at", "resolution_due_at", "resolved_at"],
                name="complaint_response_unmet_idx",
            ),
            models.Index(
                fields=["resolution_due_at"], condition=models.Q(status__in=UNRESOLVED_STATUSES, resolved_at=None),
                include=["priority", "status", "assigned_to", "resolved_at", "response_due_at", "first_response_at"],
                name="complaint_resolution_unmet_idx",
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
        targets = None
        if self._state.adding:
            targets = self.fill_due_times()
        update_fields = kwargs.get("update_fields")
        filled = self.fill_business_times(targets=targets, only=update_fields)
        if update_fields is not None and filled:
            kwargs["update_fields"] = {*update_fields, *filled}
        super().save(*args, **kwargs)
        self._recorded = self._events()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._recorded = instance._events()
        return instance

    def _events(self) -> dict[str, datetime | None]:
        return {name: self.__dict__.get(name) for name in ("created_at", *BUSINESS_TIME_FIELDS)}

    def fill_due_times(self) -> SlaTargets | None:
        """Set whichever due times were not given, from the SLA policy of the complaint's priority."""
        if self.response_due_at is not None and self.resolution_due_at is not None:
            return None
        self.created_at = self.created_at or timezone.now()
        targets = SlaPolicy.sla_targets(priority=self.priority)[self.priority]
        response_due, resolution_due = targets.due_times(created_at=self.created_at)
        if self.response_due_at is None:
            self.response_due_at = response_due
        if self.resolution_due_at is None:
            self.resolution_due_at = resolution_due
        return targets

    def fill_business_times(self, *, targets: SlaTargets | None = None, only: Iterable[str] | None = None) -> list[str]:
        """Measure the business time to each recorded event whose time is new or changed; the fields it set.

        `only` (the fields being saved) limits it to those events. An event cleared clears its business time.
        """
        recorded = getattr(self, "_recorded", None)
        filled = []
        for event, duration in BUSINESS_TIME_FIELDS.items():
            if only is not None and event not in only and "created_at" not in only:
                continue
            event_at = getattr(self, event)
            moved = recorded is not None and (
                recorded[event] != event_at or recorded["created_at"] != self.created_at
            )
            if event_at is None:
                if getattr(self, duration) is not None:
                    setattr(self, duration, None)
                    filled.append(duration)
                continue
            if getattr(self, duration) is None or moved:
                if targets is None:
                    targets = SlaPolicy.sla_targets(priority=self.priority)[self.priority]
                setattr(self, duration, targets.business_time(created_at=self.created_at, event_at=event_at))
                filled.append(duration)
        return filled


# Complaints with a tracked SLA target not yet achieved: the due times a calendar or policy change moves.
UNACHIEVED_TARGETS = models.Q(first_response_at__isnull=True, response_due_at__isnull=False) | models.Q(
    resolved_at__isnull=True, resolution_due_at__isnull=False
)
# The event of each SLA target and the field that keeps the business time up to it.
BUSINESS_TIME_FIELDS = {"first_response_at": "response_business_time", "resolved_at": "resolution_business_time"}
