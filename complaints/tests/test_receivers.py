"""Saving or deleting a calendar, a holiday or a policy recomputes open due times once, after commit."""
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from complaints.factories import ComplaintFactory
from complaints.models import BusinessCalendar, BusinessHoliday, Complaint, ComplaintPriority, SlaPolicy
from complaints.receivers import _Recompute

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_EVENING = datetime(2026, 11, 27, 18, tzinfo=BERLIN)
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}

pytestmark = pytest.mark.django_db


def _response_due(complaint: Complaint) -> datetime:
    return Complaint.objects.get(pk=complaint.pk).response_due_at


@pytest.fixture
def calendar_in_use() -> BusinessCalendar:
    """Set up without signals: a recompute scheduled here would wait for a commit that a test never makes."""
    (calendar,) = BusinessCalendar.objects.bulk_create([
        BusinessCalendar(name="Office", timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_5)
    ])
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=calendar)
    return calendar


def test_changing_the_hours_moves_open_due_times_after_commit(calendar_in_use, django_capture_on_commit_callbacks):
    complaint = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)
    answered = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING,
                                first_response_at=FRIDAY_EVENING + timedelta(days=3))
    assert _response_due(complaint) == datetime(2026, 11, 30, 13, tzinfo=BERLIN)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        calendar_in_use.hours = {**WEEKDAYS_9_TO_5, "mon": [["12:00", "17:00"]]}
        calendar_in_use.save()
        assert _response_due(complaint) == datetime(2026, 11, 30, 13, tzinfo=BERLIN)  # not before the commit

    assert len([callback for callback in callbacks if isinstance(callback, _Recompute)]) == 1
    assert _response_due(complaint) == datetime(2026, 11, 30, 16, tzinfo=BERLIN)
    assert _response_due(answered) == datetime(2026, 11, 30, 13, tzinfo=BERLIN)


def test_adding_and_deleting_a_holiday_moves_open_due_times(calendar_in_use, django_capture_on_commit_callbacks):
    complaint = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)

    with django_capture_on_commit_callbacks(execute=True):
        holiday = BusinessHoliday.objects.create(calendar=calendar_in_use, date=date(2026, 11, 30), name="Closed")
    assert _response_due(complaint) == datetime(2026, 12, 1, 13, tzinfo=BERLIN)

    with django_capture_on_commit_callbacks(execute=True):
        holiday.delete()
    assert _response_due(complaint) == datetime(2026, 11, 30, 13, tzinfo=BERLIN)


def test_a_policy_change_moves_open_due_times(calendar_in_use, django_capture_on_commit_callbacks):
    complaint = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)
    policy = SlaPolicy.objects.get(priority=ComplaintPriority.HIGH)

    with django_capture_on_commit_callbacks(execute=True):
        policy.calendar = None
        policy.save()

    assert _response_due(complaint) == FRIDAY_EVENING + timedelta(hours=4)


def test_one_recompute_per_transaction_and_none_after_a_rollback(calendar_in_use, django_capture_on_commit_callbacks):
    with mock.patch("complaints.services.sla_recompute") as recompute:
        with django_capture_on_commit_callbacks(execute=True):
            calendar_in_use.save()
            for day in range(1, 4):
                BusinessHoliday.objects.create(calendar=calendar_in_use, date=date(2026, 12, day))
            SlaPolicy.objects.get(priority=ComplaintPriority.LOW).save()
        assert recompute.call_count == 1

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                calendar_in_use.save()
                raise RuntimeError("rolled back")
            calendar_in_use.save()
        assert len(callbacks) == 1  # the rolled-back save's callback went with it, and did not suppress the next
        assert recompute.call_count == 2
