"""complaint_create: validated, with due times from the SLA policy."""
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from complaints.models import Complaint, ComplaintPriority, SlaPolicy
from complaints.services import complaint_create

CREATED = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_complaint_create_fills_due_times_from_the_policy():
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(response_hours=3, resolution_hours=30)

    complaint = complaint_create(subject="Late", priority=ComplaintPriority.HIGH, created_at=CREATED)

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.response_due_at, stored.resolution_due_at) == (
        CREATED + timedelta(hours=3), CREATED + timedelta(hours=30),
    )


def test_complaint_create_rejects_an_unknown_priority_and_saves_nothing():
    with pytest.raises(ValidationError) as raised:
        complaint_create(subject="Late", priority="urgent", created_at=CREATED)

    assert "priority" in raised.value.message_dict
    assert not Complaint.objects.exists()
