"""Business-hours averages (sla group and series) on both engines: a Mon–Fri 09:00–17:00 Berlin calendar, exact means."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints.factories import ComplaintFactory
from complaints.models import BusinessCalendar, BusinessHoliday, Complaint, ComplaintPriority, ComplaintStatus, SlaPolicy
from complaints.services import sla_recompute
from ops_metrics.constants import SeriesMetric
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics
from ops_metrics.reports.timeseries import timeseries
from ops_metrics.web.params import parse_series_query

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 18, 14, 30, tzinfo=BERLIN)  # Wednesday; the week is Mon 16 – Wed 18 November
H = timedelta(hours=1)
BUSINESS_SERIES = [
    SeriesMetric.AVG_RESPONSE_HOURS, SeriesMetric.AVG_RESPONSE_BUSINESS_HOURS,
    SeriesMetric.AVG_RESOLUTION_HOURS, SeriesMetric.AVG_RESOLUTION_BUSINESS_HOURS,
]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("engine")]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def office(configure, time_machine):
    """High-priority SLAs count Mon–Fri 09:00–17:00 Berlin, closed Wed 18 Nov 2026 (Buß- und Bettag, in Saxony)."""
    time_machine.move_to(NOW, tick=False)
    configure(timezone="Europe/Berlin", sla_at_risk_buffer_minutes=60)
    calendar = BusinessCalendar.objects.create(name="Office", timezone="Europe/Berlin")  # default: Mon–Fri 9–17
    BusinessHoliday.objects.create(calendar=calendar, date=at(2026, 11, 18).date(), name="Buß- und Bettag")
    SlaPolicy.objects.update_or_create(
        priority=ComplaintPriority.HIGH, defaults={"response_hours": 4, "resolution_hours": 24, "calendar": calendar}
    )
    return calendar


def complaint(created_at: datetime, **fields) -> Complaint:
    """A high-priority complaint saved through save(), which measures its business times under the office calendar."""
    return ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=created_at, **fields)


@pytest.fixture
def week(office):
    """c1–c4 responded to, c1–c2 resolved this week; business times worked out in the comments (Berlin wall clock)."""
    c1 = complaint(  # Fri 16:00 → Mon 10:00: 1 h Fri + 1 h Mon = 2 h (66 h elapsed); → Tue 12:00: 1 + 8 + 3 = 12 h (92 h)
        at(2026, 11, 13, 16), status=ComplaintStatus.RESOLVED, first_response_at=at(2026, 11, 16, 10),
        resolved_at=at(2026, 11, 17, 12),
    )
    c2 = complaint(  # Mon 08:00 (closed) → Mon 09:30: 0.5 h (1.5 h); → Wed 10:00, a holiday: 8 + 8 + 0 = 16 h (50 h)
        at(2026, 11, 16, 8), status=ComplaintStatus.CLOSED, first_response_at=at(2026, 11, 16, 9, 30),
        resolved_at=at(2026, 11, 18, 10),
    )
    c3 = complaint(  # Sat 12:00 → Mon 09:00, the opening: 0 h (45 h); not resolved
        at(2026, 11, 14, 12), status=ComplaintStatus.IN_PROGRESS, first_response_at=at(2026, 11, 16, 9),
    )
    c4 = complaint(  # Tue 08:00 → Tue 10:00 (2 h elapsed); its business time cleared below: NULL
        at(2026, 11, 17, 8), status=ComplaintStatus.IN_PROGRESS, first_response_at=at(2026, 11, 17, 10),
    )
    Complaint.objects.filter(pk=c4.pk).update(response_business_time=None)  # a writer that bypasses save()
    complaint(at(2026, 11, 18, 9), status=ComplaintStatus.OPEN)  # nothing recorded yet
    return c1, c2, c3, c4


def test_save_stored_the_business_times_the_comments_work_out(week):
    c1, c2, c3, c4 = (Complaint.objects.get(pk=c.pk) for c in week)
    assert (c1.response_business_time, c1.resolution_business_time) == (2 * H, 12 * H)
    assert (c2.response_business_time, c2.resolution_business_time) == (0.5 * H, 16 * H)
    assert (c3.response_business_time, c3.resolution_business_time) == (0 * H, None)
    assert (c4.response_business_time, c4.resolution_business_time) == (None, None)


def test_sla_averages_business_hours_over_the_rows_that_have_them(week):
    sla = dashboard_metrics(period="week", groups=["sla"], config=OpsConfig.load(), now=NOW)["sla"]

    assert sla["avg_response_hours"] == 28.63  # (66 + 1.5 + 45 + 2) / 4 = 28.625, half up: c4 counted
    assert sla["avg_response_business_hours"] == 0.83  # (2 + 0.5 + 0) / 3: c4's NULL in neither sum nor count
    assert sla["avg_resolution_hours"] == 71.0  # (92 + 50) / 2
    assert sla["avg_resolution_business_hours"] == 14.0  # (12 + 16) / 2


def test_today_only_and_nothing_to_average_is_null(week):
    sla = dashboard_metrics(period="today", groups=["sla"], config=OpsConfig.load(), now=NOW)["sla"]
    assert (sla["avg_response_hours"], sla["avg_response_business_hours"]) == (None, None)  # no response today
    assert (sla["avg_resolution_hours"], sla["avg_resolution_business_hours"]) == (50.0, 16.0)  # c2

    Complaint.objects.update(response_business_time=None, resolution_business_time=None)
    sla = dashboard_metrics(period="week", groups=["sla"], config=OpsConfig.load(), now=NOW)["sla"]
    assert (sla["avg_response_business_hours"], sla["avg_resolution_business_hours"]) == (None, None)
    assert (sla["avg_response_hours"], sla["avg_resolution_hours"]) == (28.63, 71.0)  # elapsed: every row


def test_series_by_day_average_business_hours_per_bucket(week):
    query = parse_series_query(metrics=[], period=["week"], start=[], end=[], interval=["day"], compare=[])
    payload = timeseries(query=query, metrics=BUSINESS_SERIES, config=OpsConfig.load(), now=NOW)

    assert payload["series"] == {  # Mon 16, Tue 17, Wed 18
        "avg_response_hours": [37.5, 2.0, None],  # Mon: (66 + 1.5 + 45) / 3; Tue: c4
        "avg_response_business_hours": [0.83, None, None],  # Mon: (2 + 0.5 + 0) / 3; Tue: c4 has none
        "avg_resolution_hours": [None, 92.0, 50.0],
        "avg_resolution_business_hours": [None, 12.0, 16.0],
    }


def test_a_calendar_change_moves_open_due_times_but_not_recorded_business_times(week, office):
    open_complaint = Complaint.objects.get(status=ComplaintStatus.OPEN)
    office.hours = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    office.save()
    sla_recompute()  # what the save schedules after commit (a test transaction never commits)

    open_complaint.refresh_from_db()
    assert open_complaint.response_due_at == at(2026, 11, 19, 4)  # created on the holiday: Thu 00:00 + 4 h
    sla = dashboard_metrics(period="week", groups=["sla"], config=OpsConfig.load(), now=NOW)["sla"]
    assert (sla["avg_response_business_hours"], sla["avg_resolution_business_hours"]) == (0.83, 14.0)
