"""The rollup summary tables: folded counts and sums per grain, bucket and key, and their one state row."""
from django.db import models


class ResolvedOutcome(models.IntegerChoices):
    """How a resolved complaint stands against its SLA targets, as far as `now` cannot change it."""

    MET = 0, "No target breached, whatever now is"
    BREACHED = 1, "A target breached, whatever now is"
    # Response never recorded, response due: breached once now passes response_due_at, compliant until then.
    RESPONSE_PENDING = 2, "Compliant while response_due_at >= now"


class Rollup(models.Model):
    """Common columns of a folded summary table: one row per grain, bucket and key (deltas wait in `<table>_delta`)."""

    grain = models.SmallIntegerField()
    bucket = models.DateTimeField()
    count = models.BigIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.db_table} grain {self.grain} {self.bucket:%Y-%m-%d %H:%M}: {self.count}"


def _key(prefix: str, keys: list[str], values: list[str]) -> list[models.UniqueConstraint]:
    # Covering: a window's buckets are read by index-only scans; unique, for the fold's INSERT ... ON CONFLICT.
    return [models.UniqueConstraint(
        fields=["grain", "bucket", *keys], include=["count", *values], name=f"{prefix}_key"
    )]


def _staff_first(prefix: str, keys: list[str], values: list[str]) -> list[models.Index]:
    # A staff-filtered window reads a few staff members' days: a range per member rather than every member's days.
    return [models.Index(fields=["grain", "staff", "bucket", *keys], include=["count", *values], name=f"{prefix}_by_staff")]


class BookingRollup(Rollup):
    """Bookings by bucket of created_at and status: how many and their summed total_amount."""

    status = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        db_table = "ops_rollup_booking"
        constraints = _key("ops_rb", ["status"], ["amount"])


class ComplaintCreatedRollup(Rollup):
    """Complaints by bucket of created_at, priority and status."""

    priority = models.CharField(max_length=10)
    status = models.CharField(max_length=20)

    class Meta:
        db_table = "ops_rollup_complaint_created"
        constraints = _key("ops_rcc", ["priority", "status"], [])


class EventRollup(Rollup):
    """Common columns of the event summaries: elapsed and business time to the event, summed in µs.

    business_us sums the complaints' stored business time to the event and business_count counts the rows that have
    one (a NULL business time is in neither).
    """

    duration_us = models.DecimalField(max_digits=32, decimal_places=0)
    business_us = models.DecimalField(max_digits=32, decimal_places=0, default=0)
    business_count = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


EVENT_VALUES = ["duration_us", "business_us", "business_count"]


class ComplaintResolvedRollup(EventRollup):
    """Complaints by bucket of resolved_at and ResolvedOutcome, with (resolved_at − created_at) summed in µs."""

    outcome = models.SmallIntegerField(choices=ResolvedOutcome.choices)

    class Meta:
        db_table = "ops_rollup_complaint_resolved"
        constraints = _key("ops_rcr", ["outcome"], EVENT_VALUES)


class ComplaintRespondedRollup(EventRollup):
    """Complaints by bucket of first_response_at, with (first_response_at − created_at) summed in µs."""

    class Meta:
        db_table = "ops_rollup_complaint_responded"
        constraints = _key("ops_rcp", [], EVENT_VALUES)


class StaffRollup(Rollup):
    """Common columns of a per-staff summary: the staff member's id, UNASSIGNED (0) for unassigned work."""

    staff = models.BigIntegerField()

    class Meta:
        abstract = True


class StaffBookingRollup(StaffRollup):
    """BookingRollup per staff member, by UTC day only."""

    status = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        db_table = "ops_rollup_staff_booking"
        constraints = _key("ops_rsb", ["staff", "status"], ["amount"])
        indexes = _staff_first("ops_rsb", ["status"], ["amount"])


class StaffComplaintCreatedRollup(StaffRollup):
    """ComplaintCreatedRollup per staff member, by UTC day only."""

    priority = models.CharField(max_length=10)
    status = models.CharField(max_length=20)

    class Meta:
        db_table = "ops_rollup_staff_complaint_created"
        constraints = _key("ops_rscc", ["staff", "priority", "status"], [])
        indexes = _staff_first("ops_rscc", ["priority", "status"], [])


class StaffEventRollup(EventRollup):
    """Common columns of a per-staff event summary (see StaffRollup)."""

    staff = models.BigIntegerField()

    class Meta:
        abstract = True


class StaffComplaintResolvedRollup(StaffEventRollup):
    """ComplaintResolvedRollup per staff member, by UTC day only."""

    outcome = models.SmallIntegerField(choices=ResolvedOutcome.choices)

    class Meta:
        db_table = "ops_rollup_staff_complaint_resolved"
        constraints = _key("ops_rscr", ["staff", "outcome"], EVENT_VALUES)
        indexes = _staff_first("ops_rscr", ["outcome"], EVENT_VALUES)


class StaffComplaintRespondedRollup(StaffEventRollup):
    """ComplaintRespondedRollup per staff member, by UTC day only."""

    class Meta:
        db_table = "ops_rollup_staff_complaint_responded"
        constraints = _key("ops_rscp", ["staff"], EVENT_VALUES)
        indexes = _staff_first("ops_rscp", [], EVENT_VALUES)


class StaffBookingTotal(StaffRollup):
    """StaffBookingRollup over all time, in one bucket: the `all` window per staff member."""

    status = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        db_table = "ops_rollup_staff_total_booking"
        constraints = _key("ops_rtb", ["staff", "status"], ["amount"])


class StaffComplaintCreatedTotal(StaffRollup):
    """StaffComplaintCreatedRollup over all time, in one bucket."""

    priority = models.CharField(max_length=10)
    status = models.CharField(max_length=20)

    class Meta:
        db_table = "ops_rollup_staff_total_complaint_created"
        constraints = _key("ops_rtcc", ["staff", "priority", "status"], [])


class StaffComplaintResolvedTotal(StaffEventRollup):
    """StaffComplaintResolvedRollup over all time, in one bucket."""

    outcome = models.SmallIntegerField(choices=ResolvedOutcome.choices)

    class Meta:
        db_table = "ops_rollup_staff_total_complaint_resolved"
        constraints = _key("ops_rtcr", ["staff", "outcome"], EVENT_VALUES)


class StaffComplaintRespondedTotal(StaffEventRollup):
    """StaffComplaintRespondedRollup over all time, in one bucket."""

    class Meta:
        db_table = "ops_rollup_staff_total_complaint_responded"
        constraints = _key("ops_rtcp", ["staff"], EVENT_VALUES)


class OpenBookingRollup(StaffRollup):
    """Open (pending, confirmed, in progress) bookings now, per staff member and status, in one bucket."""

    status = models.CharField(max_length=20)

    class Meta:
        db_table = "ops_rollup_open_booking"
        constraints = _key("ops_rob", ["staff", "status"], [])


class OpenComplaintRollup(StaffRollup):
    """Unresolved complaints now, per staff member, priority, status and whether a target was achieved late."""

    priority = models.CharField(max_length=10)
    status = models.CharField(max_length=20)
    late = models.SmallIntegerField()

    class Meta:
        db_table = "ops_rollup_open_complaint"
        constraints = _key("ops_roc", ["staff", "priority", "status", "late"], [])


class RollupState(models.Model):
    """One row: whether the summaries equal the raw rows (true once rebuilt; triggers keep them so)."""

    SINGLETON_PK = 1

    current = models.BooleanField(default=False)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ops_rollup_state"

    def __str__(self) -> str:
        return f"summaries {'current' if self.current else 'not current'} (rebuilt {self.rebuilt_at})"
