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


class ComplaintResolvedRollup(Rollup):
    """Complaints by bucket of resolved_at and ResolvedOutcome, with (resolved_at − created_at) summed in µs."""

    outcome = models.SmallIntegerField(choices=ResolvedOutcome.choices)
    duration_us = models.DecimalField(max_digits=32, decimal_places=0)

    class Meta:
        db_table = "ops_rollup_complaint_resolved"
        constraints = _key("ops_rcr", ["outcome"], ["duration_us"])


class ComplaintRespondedRollup(Rollup):
    """Complaints by bucket of first_response_at, with (first_response_at − created_at) summed in µs."""

    duration_us = models.DecimalField(max_digits=32, decimal_places=0)

    class Meta:
        db_table = "ops_rollup_complaint_responded"
        constraints = _key("ops_rcp", [], ["duration_us"])


class RollupState(models.Model):
    """One row: whether the summaries equal the raw rows (true once rebuilt; triggers keep them so)."""

    SINGLETON_PK = 1

    current = models.BooleanField(default=False)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ops_rollup_state"

    def __str__(self) -> str:
        return f"summaries {'current' if self.current else 'not current'} (rebuilt {self.rebuilt_at})"
