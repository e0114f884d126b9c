"""Due times from the SLA policy of the complaint's priority and its business calendar; calendar validation."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from complaints.business_time import AROUND_THE_CLOCK
from complaints.factories import ComplaintFactory
from complaints.models import BusinessCalendar, BusinessHoliday, Complaint, ComplaintPriority, SlaPolicy
from complaints.sla import SlaTargets

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



# Business calendars.

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
FRIDAY_EVENING = datetime(2026, 11, 27, 18, tzinfo=BERLIN)


def office(**fields) -> BusinessCalendar:
    return BusinessCalendar.objects.create(**{"name": "Office", "timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5} | fields)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours", {"mon": [["9", "17:00"]]}, 'mon: "9" is not a time'),
        ("hours", {"mon": [["09:00", "24:30"]]}, "is not a time of day"),
        ("hours", {"mon": [["09:00", "17:00", "18:00"]]}, "is not an interval"),
        ("hours", {"tue": [["17:00", "09:00"]]}, "tue: 17:00-09:00 ends before or when it starts"),
        ("hours", {"tue": [["09:00", "09:00"]]}, "ends before or when it starts"),
        ("hours", {"wed": [["09:00", "13:00"], ["12:00", "17:00"]]}, "wed: intervals overlap"),
        ("hours", {"Mon": [["09:00", "17:00"]]}, "Unknown weekday Mon"),
        ("hours", {"sat": [], "sun": []}, "never open"),
        ("hours", ["09:00", "17:00"], "must be an object"),
        ("timezone", "Mars/Olympus_Mons", 'Unknown time zone "Mars/Olympus_Mons"'),
        ("timezone", "../etc/passwd", "Unknown time zone"),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_field_and_nothing_is_saved(field, value, message):
    calendar = BusinessCalendar(name="Bad", timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_5)
    setattr(calendar, field, value)

    with pytest.raises(ValidationError) as raised:
        calendar.full_clean()

    assert list(raised.value.message_dict) == [field]
    assert message in raised.value.message_dict[field][0]
    assert not BusinessCalendar.objects.exists()


def test_a_good_calendar_passes_validation():
    BusinessCalendar(name="Split", timezone="Asia/Kathmandu", hours={
        "mon": [["09:00", "12:30"], ["13:30", "18:00"]], "fri": [["22:00", "24:00"]], "sat": [["00:00", "02:00"]], "sun": [],
    }).full_clean()


def test_a_holiday_date_is_unique_per_calendar():
    calendar = office()
    BusinessHoliday.objects.create(calendar=calendar, date=date(2026, 12, 25), name="Christmas")

    with pytest.raises(ValidationError) as raised:
        BusinessHoliday(calendar=calendar, date=date(2026, 12, 25), name="Again").full_clean()

    assert "already exists" in str(raised.value)
    BusinessHoliday(calendar=office(name="Other"), date=date(2026, 12, 25), name="Christmas").full_clean()


def test_a_calendar_used_by_a_policy_cannot_be_deleted():
    calendar = office()
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=calendar)

    with pytest.raises(ProtectedError):
        calendar.delete()


def test_due_times_count_business_hours_of_the_policys_calendar():
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=office())  # 4 h / 24 h

    complaint = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)

    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.response_due_at == datetime(2026, 11, 30, 13, tzinfo=BERLIN)
    assert stored.resolution_due_at == datetime(2026, 12, 2, 17, tzinfo=BERLIN)  # 3 days of 8 h
    other = ComplaintFactory(priority=ComplaintPriority.LOW, created_at=FRIDAY_EVENING)
    assert other.response_due_at == FRIDAY_EVENING + timedelta(hours=24)


def test_holidays_of_the_calendar_push_due_times():
    calendar = office()
    BusinessHoliday.objects.create(calendar=calendar, date=date(2026, 11, 30), name="Closed")
    SlaPolicy.objects.filter(priority=ComplaintPriority.CRITICAL).update(calendar=calendar)

    complaint = ComplaintFactory(priority=ComplaintPriority.CRITICAL, created_at=FRIDAY_EVENING)

    assert complaint.response_due_at == datetime(2026, 12, 1, 10, tzinfo=BERLIN)


def test_business_times_are_stored_when_the_events_are_recorded():
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=office())
    complaint = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)
    assert (complaint.response_business_time, complaint.resolution_business_time) == (None, None)

    complaint = Complaint.objects.get(pk=complaint.pk)
    complaint.first_response_at = datetime(2026, 11, 30, 9, 45, tzinfo=BERLIN)
    complaint.save()
    complaint = Complaint.objects.get(pk=complaint.pk)
    complaint.resolved_at = datetime(2026, 12, 1, 11, tzinfo=BERLIN)
    complaint.save(update_fields=["resolved_at"])

    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.response_business_time == timedelta(minutes=45)
    assert stored.resolution_business_time == timedelta(hours=10)


def test_a_moved_event_is_measured_again_and_a_cleared_one_clears_its_business_time():
    complaint = ComplaintFactory(created_at=CREATED, first_response_at=CREATED + timedelta(hours=2))
    assert complaint.response_business_time == timedelta(hours=2)  # no calendar: elapsed time

    complaint = Complaint.objects.get(pk=complaint.pk)
    complaint.first_response_at = CREATED + timedelta(hours=3)
    complaint.save()
    assert Complaint.objects.get(pk=complaint.pk).response_business_time == timedelta(hours=3)

    complaint.first_response_at = None
    complaint.save()
    assert Complaint.objects.get(pk=complaint.pk).response_business_time is None


def test_the_business_time_is_measured_under_the_calendar_in_force_when_the_event_was_recorded():
    complaint = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING,
                                 first_response_at=FRIDAY_EVENING + timedelta(days=3))
    assert complaint.response_business_time == timedelta(days=3)

    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=office())
    complaint = Complaint.objects.get(pk=complaint.pk)
    complaint.subject = "Edited"
    complaint.save()
    assert Complaint.objects.get(pk=complaint.pk).response_business_time == timedelta(days=3)

    complaint.resolved_at = FRIDAY_EVENING + timedelta(days=4)  # Tuesday 18:00
    complaint.save()
    assert Complaint.objects.get(pk=complaint.pk).resolution_business_time == timedelta(hours=16)


def test_sla_targets_carry_each_policys_clock():
    calendar = office()
    BusinessHoliday.objects.create(calendar=calendar, date=date(2026, 12, 25))
    SlaPolicy.objects.filter(priority__in=[ComplaintPriority.HIGH, ComplaintPriority.LOW]).update(calendar=calendar)
    SlaPolicy.objects.filter(priority=ComplaintPriority.MEDIUM).delete()

    targets = SlaPolicy.sla_targets()

    assert targets[ComplaintPriority.HIGH].clock is targets[ComplaintPriority.LOW].clock
    assert targets[ComplaintPriority.HIGH].clock.holidays == {date(2026, 12, 25)}
    assert targets[ComplaintPriority.CRITICAL].clock is AROUND_THE_CLOCK
    assert targets[ComplaintPriority.MEDIUM] == SlaTargets(response=timedelta(hours=8), resolution=timedelta(hours=48))
