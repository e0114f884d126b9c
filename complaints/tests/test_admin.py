"""SLA policies and business calendars are edited in Django admin."""
import html
import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from complaints.factories import ComplaintFactory
from complaints.models import BusinessCalendar, BusinessHoliday, Complaint, ComplaintPriority, SlaPolicy
from staff.factories import UserFactory


@pytest.fixture
def superuser_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_sla_policies_are_edited_in_the_changelist(superuser_client):
    policies = list(SlaPolicy.objects.order_by("pk"))
    data = {"form-TOTAL_FORMS": len(policies), "form-INITIAL_FORMS": len(policies), "_save": "Save"}
    for index, policy in enumerate(policies):
        data |= {f"form-{index}-id": policy.pk, f"form-{index}-response_hours": policy.response_hours,
                 f"form-{index}-resolution_hours": policy.resolution_hours}
    critical = next(i for i, p in enumerate(policies) if p.priority == ComplaintPriority.CRITICAL)
    data |= {f"form-{critical}-response_hours": 2, f"form-{critical}-resolution_hours": 6}

    response = superuser_client.post(reverse("admin:complaints_slapolicy_changelist"), data)

    assert response.status_code == 302
    assert SlaPolicy.targets()[ComplaintPriority.CRITICAL] == (2, 6)
    assert SlaPolicy.targets()[ComplaintPriority.HIGH] == (4, 24)


# Business calendars.

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def _calendar(**fields) -> BusinessCalendar:
    return BusinessCalendar.objects.create(**{"name": "Office", "timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5} | fields)


def _add_form(**fields) -> dict:
    return {
        "name": "Office", "timezone": "Europe/Berlin", "hours": json.dumps(WEEKDAYS_9_TO_5),
        "holidays-TOTAL_FORMS": 1, "holidays-INITIAL_FORMS": 0,
        "holidays-0-date": "2026-12-25", "holidays-0-name": "Christmas",
    } | fields


def test_a_calendar_is_added_with_its_holidays(superuser_client):
    response = superuser_client.post(reverse("admin:complaints_businesscalendar_add"), _add_form())

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert calendar.hours == WEEKDAYS_9_TO_5
    assert list(calendar.holidays.values_list("date", "name")) == [(date(2026, 12, 25), "Christmas")]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"hours": json.dumps({"mon": [["17:00", "09:00"]]})}, "mon: 17:00-09:00 ends before or when it starts."),
        ({"hours": json.dumps({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]})}, "mon: intervals overlap."),
        ({"hours": json.dumps({"someday": [["09:00", "17:00"]]})}, "Unknown weekday someday"),
        ({"hours": json.dumps({"sun": []})}, "The calendar is never open"),
        ({"timezone": "Berlin"}, "Unknown time zone"),
        ({"hours": "{mon: 9-5}"}, "Enter a valid JSON."),
    ],
)
def test_an_invalid_calendar_is_refused_with_the_error_on_the_page(superuser_client, fields, error):
    response = superuser_client.post(reverse("admin:complaints_businesscalendar_add"), _add_form(**fields))

    assert response.status_code == 200
    assert error in html.unescape(response.content.decode())
    assert "errornote" in response.content.decode()
    assert not BusinessCalendar.objects.exists()
    assert not BusinessHoliday.objects.exists()


def test_the_change_page_previews_due_times_of_the_policies_using_the_calendar(superuser_client):
    calendar = _calendar()
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=calendar)  # 4 h / 24 h

    with time_machine.travel(datetime(2026, 11, 27, 17, tzinfo=UTC), tick=False):  # Friday 18:00 in Berlin
        response = superuser_client.get(reverse("admin:complaints_businesscalendar_change", args=[calendar.pk]))

    page = html.unescape(response.content.decode())
    assert "A complaint created now would be due" in page
    assert "High: respond by Mon 30 Nov 2026 13:00 CET, resolve by Wed 02 Dec 2026 17:00 CET" in page
    assert "Now is Fri 27 Nov 2026 18:00 CET; closed." in page


def test_a_calendar_no_policy_uses_previews_sample_durations(superuser_client):
    calendar = _calendar()
    BusinessHoliday.objects.create(calendar=calendar, date=date(2026, 11, 30))

    with time_machine.travel(datetime(2026, 11, 27, 15, tzinfo=UTC), tick=False):  # Friday 16:00 in Berlin
        response = superuser_client.get(reverse("admin:complaints_businesscalendar_change", args=[calendar.pk]))

    page = html.unescape(response.content.decode())
    assert "1 h of business time: Fri 27 Nov 2026 17:00 CET" in page
    assert "4 h of business time: Tue 01 Dec 2026 12:00 CET" in page
    assert "24 h of business time: Thu 03 Dec 2026 16:00 CET" in page


def test_the_fill_holidays_action_asks_for_country_and_year(superuser_client):
    calendar = _calendar()

    response = superuser_client.post(reverse("admin:complaints_businesscalendar_changelist"), {
        "action": "fill_public_holidays", ACTION_CHECKBOX_NAME: [calendar.pk],
    })

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="country"' in page and 'name="year"' in page and 'name="subdivision"' in page
    assert "Germany (DE)" in page
    assert not BusinessHoliday.objects.exists()


def test_the_fill_holidays_action_adds_a_years_public_holidays_and_keeps_existing_dates(
    superuser_client, django_capture_on_commit_callbacks
):
    # Set-up inside the captured transaction: the recompute its saves schedule runs once, when it ends.
    with django_capture_on_commit_callbacks(execute=True):
        berlin, munich = _calendar(), _calendar(name="Munich")
        BusinessHoliday.objects.create(calendar=berlin, date=date(2026, 12, 25), name="Weihnachten")
        complaint = ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=datetime(2026, 12, 24, 16, tzinfo=UTC))
        SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=munich)
        response = superuser_client.post(reverse("admin:complaints_businesscalendar_changelist"), {
            "action": "fill_public_holidays", ACTION_CHECKBOX_NAME: [berlin.pk, munich.pk],
            "country": "DE", "subdivision": "", "year": "2026", "apply": "Add holidays",
        }, follow=True)

    assert "Added 17 holidays (9 public holidays of DE 2026) to 2 calendars." in response.content.decode()
    assert list(berlin.holidays.values_list("date", flat=True)) == [
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 25),
        date(2026, 10, 3), date(2026, 12, 25), date(2026, 12, 26),
    ]
    assert berlin.holidays.get(date=date(2026, 12, 25)).name == "Weihnachten"
    assert munich.holidays.count() == 9
    # Created at closing time on Thursday 24 Dec; with Christmas closed, 4 h run on Monday 28 Dec from 09:00.
    assert Complaint.objects.get(pk=complaint.pk).response_due_at == datetime(2026, 12, 28, 13, tzinfo=ZoneInfo("Europe/Berlin"))


def test_the_fill_holidays_action_refuses_an_unknown_subdivision(superuser_client):
    calendar = _calendar()

    response = superuser_client.post(reverse("admin:complaints_businesscalendar_changelist"), {
        "action": "fill_public_holidays", ACTION_CHECKBOX_NAME: [calendar.pk],
        "country": "DE", "subdivision": "XX", "year": "2026", "apply": "Add holidays",
    })

    assert response.status_code == 200
    assert "does not have subdivision XX" in response.content.decode()
    assert not BusinessHoliday.objects.exists()


def test_the_fill_holidays_action_with_a_subdivision(superuser_client):
    calendar = _calendar()

    superuser_client.post(reverse("admin:complaints_businesscalendar_changelist"), {
        "action": "fill_public_holidays", ACTION_CHECKBOX_NAME: [calendar.pk],
        "country": "DE", "subdivision": "BY", "year": "2027", "apply": "Add holidays",
    })

    assert date(2027, 1, 6) in set(calendar.holidays.values_list("date", flat=True))  # Epiphany, Bavaria only


def test_the_policy_changelist_edits_the_calendar(superuser_client):
    calendar = _calendar()
    policies = list(SlaPolicy.objects.order_by("pk"))
    data = {"form-TOTAL_FORMS": len(policies), "form-INITIAL_FORMS": len(policies), "_save": "Save"}
    for index, policy in enumerate(policies):
        data |= {f"form-{index}-id": policy.pk, f"form-{index}-response_hours": policy.response_hours,
                 f"form-{index}-resolution_hours": policy.resolution_hours,
                 f"form-{index}-calendar": calendar.pk if policy.priority == ComplaintPriority.LOW else ""}

    response = superuser_client.post(reverse("admin:complaints_slapolicy_changelist"), data)

    assert response.status_code == 302
    assert SlaPolicy.objects.get(priority=ComplaintPriority.LOW).calendar == calendar
    assert SlaPolicy.objects.get(priority=ComplaintPriority.HIGH).calendar is None
