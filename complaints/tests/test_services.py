"""Due times filled from the OpsConfig per-priority targets."""
from datetime import UTC, datetime, timedelta

import pytest

from complaints.factories import ComplaintFactory
from complaints.models import Complaint, ComplaintPriority
from complaints.services import sla_due_times
from ops_metrics.models import OpsConfig

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
    OpsConfig.objects.create(high_response_hours=2, high_resolution_hours=10, low_response_hours=48)

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


def test_sla_due_times_is_a_pure_offset_from_created_at():
    assert sla_due_times(priority=ComplaintPriority.MEDIUM, created_at=CREATED) == (
        CREATED + timedelta(hours=8), CREATED + timedelta(hours=48),
    )

