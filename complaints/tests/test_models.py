"""Due times filled from the SLA policy of the complaint's priority."""
from datetime import UTC, datetime, timedelta

import pytest

from complaints.factories import ComplaintFactory
from complaints.models import Complaint, ComplaintPriority, SlaPolicy

CREATED = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("priority", "response_hours", "resolution_hours"),
    [
        (ComplaintPriority.CRITICAL, 1, 4),
        (ComplaintPriority.HIGH, 4, 24),
        (ComplaintPriority.MEDIUM, 8, 48),
        (ComplaintPriority.LOW, 24, 72),
    ],
)
def test_due_times_come_from_the_default_targets(priority, response_hours, resolution_hours):
    complaint = ComplaintFactory(priority=priority, created_at=CREATED)

    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.response_due_at == CREATED + timedelta(hours=response_hours)
    assert stored.resolution_due_at == CREATED + timedelta(hours=resolution_hours)


def test_due_times_follow_changed_targets():
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(response_hours=2, resolution_hours=10)
    SlaPolicy.objects.filter(priority=ComplaintPriority.LOW).update(response_hours=48)

    high = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=CREATED)
    low = ComplaintFactory(priority=ComplaintPriority.LOW, created_at=CREATED)

    assert (high.response_due_at, high.resolution_due_at) == (CREATED + timedelta(hours=2), CREATED + timedelta(hours=10))
    assert (low.response_due_at, low.resolution_due_at) == (CREATED + timedelta(hours=48), CREATED + timedelta(hours=72))


def test_given_due_times_are_kept():
    response_due = CREATED + timedelta(minutes=5)
    resolution_due = CREATED + timedelta(days=30)

    complaint = ComplaintFactory(
        priority=ComplaintPriority.CRITICAL, created_at=CREATED,
        response_due_at=response_due, resolution_due_at=resolution_due,
    )

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.response_due_at, stored.resolution_due_at) == (response_due, resolution_due)


def test_only_the_missing_due_time_is_filled():
    response_due = CREATED + timedelta(minutes=5)

    complaint = ComplaintFactory(priority=ComplaintPriority.CRITICAL, created_at=CREATED, response_due_at=response_due)

    assert complaint.response_due_at == response_due
    assert complaint.resolution_due_at == CREATED + timedelta(hours=4)


def test_due_times_are_not_recomputed_on_update():
    complaint = ComplaintFactory(priority=ComplaintPriority.LOW, created_at=CREATED)

    complaint.priority = ComplaintPriority.CRITICAL
    complaint.save()

    complaint.refresh_from_db()
    assert complaint.response_due_at == CREATED + timedelta(hours=24)


def test_due_times_are_a_pure_offset_from_created_at():
    assert SlaPolicy.due_times(priority=ComplaintPriority.MEDIUM, created_at=CREATED) == (
        CREATED + timedelta(hours=8), CREATED + timedelta(hours=48),
    )


def test_a_priority_without_a_policy_row_uses_the_default_targets():
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).delete()

    assert SlaPolicy.targets()[ComplaintPriority.HIGH] == (4, 24)
    assert SlaPolicy.due_times(priority=ComplaintPriority.HIGH, created_at=CREATED) == (
        CREATED + timedelta(hours=4), CREATED + timedelta(hours=24),
    )


def test_the_migration_creates_one_policy_per_priority_with_the_spec_defaults():
    assert {p.priority: (p.response_hours, p.resolution_hours) for p in SlaPolicy.objects.all()} == {
        "critical": (1, 4), "high": (4, 24), "medium": (8, 48), "low": (24, 72),
    }

