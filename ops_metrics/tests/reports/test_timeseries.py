"""timeseries.timeseries (both engines): exact series per interval on hand-built data, DST, offsets, comparison, sums."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import ComplaintStatus
from ops_metrics.constants import ALL_SERIES
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics
from ops_metrics.reports.encoding import render_payload
from ops_metrics.reports.timeseries import timeseries
from ops_metrics.web.params import InvalidQuery, parse_series_query

BERLIN = ZoneInfo("Europe/Berlin")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
NOW = datetime(2026, 11, 18, 14, 30, tzinfo=BERLIN)  # Wednesday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("engine")]


def at(*args: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(*args, tzinfo=tz)


def series(now: datetime = NOW, metrics=ALL_SERIES, config: OpsConfig | None = None, **params: str) -> dict:
    """The rendered payload for query parameters given as plain strings (with the stored config unless given)."""
    query = parse_series_query(
        metrics=[], period=[params["period"]] if "period" in params else [],
        start=[params["start"]] if "start" in params else [], end=[params["end"]] if "end" in params else [],
        interval=[params["interval"]] if "interval" in params else [],
        compare=[params["compare"]] if "compare" in params else [],
    )
    return render_payload(timeseries(query=query, metrics=list(metrics), config=config or OpsConfig.load(), now=now))


@pytest.fixture
def berlin(configure):
    return configure(timezone="Europe/Berlin")


@pytest.fixture
def week_data(berlin):
    """Bookings and complaints of this ISO week (Mon 16 – Wed 18 Nov 2026), one last week, one in October."""
    BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("100.00"), created_at=at(2026, 11, 16, 9))
    BookingFactory(status=BookingStatus.CANCELLED, total_amount=Decimal("50.00"), created_at=at(2026, 11, 16, 10))
    BookingFactory(status=BookingStatus.COMPLETED, total_amount=Decimal("20.50"), created_at=at(2026, 11, 18, 8))
    BookingFactory(status=BookingStatus.PENDING, total_amount=Decimal("10.00"), created_at=at(2026, 11, 18, 14))
    BookingFactory(status=BookingStatus.IN_PROGRESS, total_amount=Decimal("5.00"), created_at=at(2026, 11, 10, 12))
    BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("7.00"), created_at=at(2026, 10, 5, 12))
    ComplaintFactory(  # responded in 1 h, resolved in 24 h, every target met
        status=ComplaintStatus.RESOLVED, created_at=at(2026, 11, 16, 8), first_response_at=at(2026, 11, 16, 9),
        resolved_at=at(2026, 11, 17, 8), response_due_at=at(2026, 11, 16, 12), resolution_due_at=at(2026, 11, 18),
    )
    ComplaintFactory(  # responded in 3 h, resolved in 24 h after its resolution target
        status=ComplaintStatus.RESOLVED, created_at=at(2026, 11, 17, 10), first_response_at=at(2026, 11, 17, 13),
        resolved_at=at(2026, 11, 18, 10), response_due_at=at(2026, 11, 17, 14),
        resolution_due_at=at(2026, 11, 17, 20),
    )
    ComplaintFactory(created_at=at(2026, 11, 18, 9), response_due_at=at(2026, 11, 25),
                     resolution_due_at=at(2026, 11, 30))


def test_week_by_day_exact_series(week_data):
    payload = series(period="week")

    assert payload["period"] == "week"
    assert payload["interval"] == "day"
    assert payload["timezone"] == "Europe/Berlin"
    assert payload["window"] == {"start": "2026-11-16T00:00:00+01:00", "end": "2026-11-18T14:30:00+01:00"}
    assert payload["generated_at"] == "2026-11-18T13:30:00Z"
    assert payload["buckets"] == ["2026-11-16T00:00:00+01:00", "2026-11-17T00:00:00+01:00",
                                  "2026-11-18T00:00:00+01:00"]
    assert payload["series"] == {
        "bookings_created": [2, 0, 2],
        "revenue": ["100.00", "0.00", "20.50"],
        "complaints_created": [1, 1, 1],
        "complaints_resolved": [0, 1, 1],
        "sla_compliance_rate": [None, 100.0, 0.0],
        "avg_response_hours": [1.0, 3.0, None],
        "avg_resolution_hours": [None, 24.0, 24.0],
        "avg_response_business_hours": [1.0, 3.0, None],  # no calendar: elapsed time
        "avg_resolution_business_hours": [None, 24.0, 24.0],
    }
    assert "previous" not in payload
    assert payload["redacted"] == []


def test_week_compare_has_its_own_buckets(week_data):
    payload = series(period="week", compare="true", metrics=["bookings_created", "revenue"])

    assert payload["previous"] == {
        "window": {"start": "2026-11-09T00:00:00+01:00", "end": "2026-11-11T14:30:00+01:00"},
        "buckets": ["2026-11-09T00:00:00+01:00", "2026-11-10T00:00:00+01:00", "2026-11-11T00:00:00+01:00"],
        "series": {"bookings_created": [0, 1, 0], "revenue": ["0.00", "5.00", "0.00"]},
    }
    assert payload["series"]["bookings_created"] == [2, 0, 2]


def test_today_by_hour_ends_at_now(week_data):
    payload = series(period="today", metrics=["bookings_created", "complaints_created"])

    assert payload["interval"] == "hour"
    assert len(payload["buckets"]) == 15
    assert payload["buckets"][-1] == "2026-11-18T14:00:00+01:00"
    assert payload["series"]["bookings_created"] == [0] * 8 + [1] + [0] * 5 + [1]
    assert payload["series"]["complaints_created"] == [0] * 9 + [1] + [0] * 5


def test_month_by_week_starts_at_the_first(week_data):
    payload = series(period="month", interval="week", metrics=["bookings_created"])

    assert payload["buckets"] == ["2026-11-01T00:00:00+01:00", "2026-11-02T00:00:00+01:00",
                                  "2026-11-09T00:00:00+01:00", "2026-11-16T00:00:00+01:00"]
    assert payload["series"]["bookings_created"] == [0, 0, 1, 4]


def test_all_starts_at_the_month_of_the_earliest_record(week_data):
    payload = series(period="all", metrics=["bookings_created", "revenue"])

    assert payload["interval"] == "month"
    assert payload["window"]["start"] == "2026-10-01T00:00:00+02:00"
    assert payload["buckets"] == ["2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00"]
    assert payload["series"] == {"bookings_created": [1, 5], "revenue": ["7.00", "125.50"]}


def test_all_without_records_starts_this_month(berlin):
    payload = series(period="all", metrics=["complaints_created"])

    assert payload["buckets"] == ["2026-11-01T00:00:00+01:00"]
    assert payload["series"] == {"complaints_created": [0]}


def test_month_comparison_is_clipped_on_31_march(berlin):
    BookingFactory(created_at=at(2026, 2, 28, 23))
    BookingFactory(created_at=at(2026, 3, 1, 0, 30))
    BookingFactory(created_at=at(2026, 3, 31, 11))

    payload = series(now=at(2026, 3, 31, 12), period="month", compare="true", metrics=["bookings_created"])

    assert len(payload["buckets"]) == 31
    assert payload["series"]["bookings_created"] == [1] + [0] * 29 + [1]
    previous = payload["previous"]
    assert len(previous["buckets"]) == 28
    assert previous["buckets"][-1] == "2026-02-28T00:00:00+01:00"
    assert previous["series"]["bookings_created"] == [0] * 27 + [1]


@pytest.mark.parametrize(
    ("day", "end", "hours", "repeated"),
    [("2026-03-29", "2026-03-30", 23, None), ("2026-10-25", "2026-10-26", 25, "2026-10-25T02:00:00")],
)
def test_dst_days_by_hour(berlin, day, end, hours, repeated):
    BookingFactory(created_at=datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30+02:00
    BookingFactory(created_at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30+01:00, the hour repeated
    BookingFactory(created_at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 03:30+02:00, right after the gap

    payload = series(start=day, end=end, interval="hour", metrics=["bookings_created"])

    assert payload["period"] == "custom"
    assert len(payload["buckets"]) == hours
    counts = payload["series"]["bookings_created"]
    if repeated:
        assert payload["buckets"][2:4] == [f"{repeated}+02:00", f"{repeated}+01:00"]
        assert counts == [0, 0, 1, 1] + [0] * 21
    else:
        assert payload["buckets"][2] == "2026-03-29T03:00:00+02:00"
        assert counts == [0, 0, 1] + [0] * 20


def test_kathmandu_buckets_and_bookings(berlin, configure):
    configure(timezone="Asia/Kathmandu")
    BookingFactory(created_at=datetime(2026, 11, 17, 18, 20, tzinfo=UTC))  # 00:05 on the 18th in Kathmandu
    BookingFactory(created_at=datetime(2026, 11, 17, 18, 10, tzinfo=UTC))  # 23:55 on the 17th

    payload = series(period="today", metrics=["bookings_created"])

    assert payload["window"]["start"] == "2026-11-18T00:00:00+05:45"
    assert payload["buckets"][0] == "2026-11-18T00:00:00+05:45"
    assert payload["buckets"][-1] == "2026-11-18T19:00:00+05:45"  # now is 19:15 there
    assert payload["series"]["bookings_created"][0] == 1
    assert sum(payload["series"]["bookings_created"]) == 1


@pytest.mark.parametrize(
    "params",
    [{"period": "today"}, {"period": "week"}, {"period": "month"}, {"period": "all"},
     {"period": "month", "interval": "hour"}, {"start": "2026-10-03", "end": "2026-11-17"},
     {"start": "2026-11-16T09:30:00+01:00", "end": "2026-11-18T08:00:00+01:00", "interval": "hour"}],
)
def test_count_series_sum_to_the_metrics_figures(week_data, params):
    payload = series(**params)
    query_period = params.get("period", "custom")
    custom = parse_series_query(metrics=[], period=[], start=[params["start"]], end=[params["end"]], interval=[],
                                compare=[]).custom if query_period == "custom" else None
    figures = render_payload(dashboard_metrics(
        period=query_period, custom=custom, groups=["bookings", "complaints", "revenue"], config=OpsConfig.load(),
        now=NOW,
    ))

    assert sum(payload["series"]["bookings_created"]) == figures["bookings"]["total"]
    assert sum(payload["series"]["complaints_created"]) == figures["complaints"]["total"]
    assert sum(Decimal(v) for v in payload["series"]["revenue"]) == Decimal(figures["revenue"]["total"])
    assert figures["bookings"]["total"] > 0


def test_statement_count_does_not_grow_with_the_data(week_data, engine):
    """Scan reads each table once whatever the bucket count; rollup cuts a window into statements of 24 buckets."""
    config = OpsConfig.load()
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connections["default"]) as queries:
            payload = series(period="month", interval="hour", compare="true", config=config)
        counts.append(len(queries))
        BookingFactory.create_batch(20, created_at=NOW - timedelta(days=3))

    assert len(payload["buckets"]) == 24 * 17 + 15
    assert counts[0] == counts[1]
    assert counts[0] == {"scan": 2, "rollup": 72}[engine]


def test_too_many_buckets_name_the_interval(week_data):
    with pytest.raises(InvalidQuery) as excinfo:
        series(start="2026-01-01", end="2026-03-01", interval="hour")
    assert excinfo.value.param == "interval"


def test_a_custom_range_starting_after_now_names_start(berlin):
    with pytest.raises(InvalidQuery) as excinfo:
        series(start="2026-11-19", end="2026-11-20")
    assert excinfo.value.param == "start"


def test_one_bucket_rates_and_averages_equal_the_metrics_figures(week_data):
    payload = series(period="week", interval="week")
    sla = render_payload(dashboard_metrics(period="week", groups=["sla"], config=OpsConfig.load(), now=NOW))["sla"]

    assert len(payload["buckets"]) == 1
    assert payload["series"]["sla_compliance_rate"] == [sla["compliance_rate"]] == [50.0]
    assert payload["series"]["avg_response_hours"] == [sla["avg_response_hours"]] == [2.0]
    assert payload["series"]["avg_resolution_hours"] == [sla["avg_resolution_hours"]] == [24.0]
