"""complaint_create: validated, with due times from the SLA policy; sla_recompute after a calendar change."""
from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.business_time import BusinessClock
from complaints.factories import ComplaintFactory
from complaints.models import BusinessCalendar, Complaint, ComplaintPriority, SlaPolicy
from complaints.services import RecomputeResult, complaint_create, sla_recompute
from complaints.signals import complaints_bulk_updated

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


# sla_recompute.

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_EVENING = datetime(2026, 11, 27, 18, tzinfo=BERLIN)
MONDAY_13 = datetime(2026, 11, 30, 13, tzinfo=BERLIN)
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def _office() -> BusinessCalendar:
    return BusinessCalendar.objects.create(name="Office", timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_5)


def test_recompute_moves_unachieved_due_times_and_leaves_achieved_and_untracked_ones():
    open_one = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)
    responded = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING,
                                 first_response_at=FRIDAY_EVENING + timedelta(hours=1))
    resolved = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING,
                                first_response_at=FRIDAY_EVENING + timedelta(hours=1),
                                resolved_at=FRIDAY_EVENING + timedelta(hours=2))
    untracked = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)
    Complaint.objects.filter(pk=untracked.pk).update(response_due_at=None, resolution_due_at=None)
    elapsed = (FRIDAY_EVENING + timedelta(hours=4), FRIDAY_EVENING + timedelta(hours=24))
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=_office())

    result = sla_recompute(batch_size=2)

    business = (MONDAY_13, datetime(2026, 12, 2, 17, tzinfo=BERLIN))
    due = {c.pk: (c.response_due_at, c.resolution_due_at) for c in Complaint.objects.all()}
    assert due[open_one.pk] == business
    assert due[responded.pk] == (elapsed[0], business[1])
    assert due[resolved.pk] == elapsed
    assert due[untracked.pk] == (None, None)
    assert result == RecomputeResult(checked=2, changed=2)


def test_recompute_writes_only_rows_whose_due_time_changes_and_reports_each_batch(django_capture_on_commit_callbacks):
    SlaPolicy.objects.filter(priority=ComplaintPriority.LOW).update(calendar=_office())
    low = ComplaintFactory.create_batch(3, priority=ComplaintPriority.LOW, created_at=FRIDAY_EVENING)
    ComplaintFactory.create_batch(2, priority=ComplaintPriority.MEDIUM, created_at=FRIDAY_EVENING)
    BusinessCalendar.objects.update(hours={"mon": [["00:00", "24:00"]]})
    batches, sent = [], []

    def receiver(sender, pks, **kwargs):
        sent.append((sender, pks))

    complaints_bulk_updated.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
            result = sla_recompute(batch_size=2, progress=batches.append)
    finally:
        complaints_bulk_updated.disconnect(receiver)

    assert result == RecomputeResult(checked=5, changed=3)
    assert batches == [2, 2, 1]
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 4  # response and resolution due times of the low ones, in two batches
    assert all("first_response_at\" IS NULL" in sql or "resolved_at\" IS NULL" in sql for sql in updates)
    assert sent == [(Complaint, frozenset(c.pk for c in low[:2])), (Complaint, frozenset({low[2].pk}))]
    assert Complaint.objects.get(pk=low[0].pk).response_due_at == datetime(2026, 12, 1, tzinfo=BERLIN)  # Monday 24:00


def test_a_target_achieved_meanwhile_keeps_its_due_time():
    complaint = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=_office())
    original = Complaint.objects.get(pk=complaint.pk).response_due_at
    real_add = BusinessClock.add

    def add_then_respond(self, start, duration):
        # The response is recorded by another request between the read and the write of the batch.
        Complaint.objects.filter(pk=complaint.pk).update(first_response_at=FRIDAY_EVENING + timedelta(minutes=5))
        return real_add(self, start, duration)

    with mock.patch.object(BusinessClock, "add", add_then_respond):
        sla_recompute()

    assert Complaint.objects.get(pk=complaint.pk).response_due_at == original
