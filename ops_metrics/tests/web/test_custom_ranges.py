"""Custom ranges (docs/api.md, custom ranges): parsing, windows and comparison, and the metrics endpoint with start/end."""
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from ops_metrics.constants import AuditAction, ResourceType
from ops_metrics.models import OpsAuditLog, OpsConfig
from ops_metrics.web.params import CustomRange, InvalidQuery, parse_range
from ops_metrics.windows.periods import Window, custom_windows

BERLIN = ZoneInfo("Europe/Berlin")
URL = "/api/v1/ops/dashboard/metrics"
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


def test_dates_compare_with_the_same_number_of_local_days_before():
    w = custom_windows(custom=CustomRange(date(2026, 10, 20), date(2026, 10, 27)), now=NOW, tz=BERLIN)

    assert w.period == Window(datetime(2026, 10, 19, 22, tzinfo=UTC), datetime(2026, 10, 26, 23, tzinfo=UTC))
    # 7 local days before, across the DST change: 13 Oct 00:00+02:00 → 20 Oct 00:00+02:00
    assert w.comparison_previous == Window(
        datetime(2026, 10, 12, 22, tzinfo=UTC), datetime(2026, 10, 19, 22, tzinfo=UTC)
    )
    assert w.comparison_current == w.period


def test_a_clipped_end_keeps_its_wall_clock_position_in_the_comparison():
    w = custom_windows(custom=CustomRange(date(2026, 11, 20), date(2026, 12, 1)), now=NOW, tz=BERLIN)

    assert w.period.end == NOW
    # 11 local days earlier, ending at 11:30 local like now
    assert w.comparison_previous == Window(
        datetime(2026, 11, 8, 23, tzinfo=UTC), datetime(2026, 11, 15, 10, 30, tzinfo=UTC)
    )


def test_timestamps_compare_with_the_same_duration_before():
    start = datetime(2026, 11, 24, 8, tzinfo=BERLIN)
    w = custom_windows(custom=CustomRange(start, datetime(2026, 11, 24, 20, tzinfo=BERLIN)), now=NOW, tz=BERLIN)

    assert w.comparison_previous == Window(
        datetime(2026, 11, 23, 19, tzinfo=UTC), datetime(2026, 11, 24, 7, tzinfo=UTC)
    )


def test_a_range_starting_at_or_after_now_is_refused():
    with pytest.raises(InvalidQuery) as excinfo:
        custom_windows(custom=CustomRange(date(2026, 11, 27), date(2026, 11, 28)), now=NOW, tz=BERLIN)
    assert excinfo.value.param == "start"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-11-01", "2026-11-02", CustomRange(date(2026, 11, 1), date(2026, 11, 2))),
        ("2026-11-01T08:00:00Z", "2026-11-01T10:00:00+01:00",
         CustomRange(datetime(2026, 11, 1, 8, tzinfo=UTC), datetime(2026, 11, 1, 10, tzinfo=ZoneInfo("Etc/GMT-1")))),
        ("2023-02-28", "2026-02-28", CustomRange(date(2023, 2, 28), date(2026, 2, 28))),  # exactly 3 years
    ],
)
def test_valid_ranges(start, end, expected):
    parsed = parse_range(period=[], start=[start], end=[end])
    assert (parsed.start, parsed.end) == (expected.start, expected.end)


@pytest.mark.parametrize(
    ("period", "start", "end", "param"),
    [
        (["week"], ["2026-11-01"], ["2026-11-02"], "period"),
        ([], ["2026-11-01"], [], "end"),
        ([], [], ["2026-11-01"], "start"),
        ([], ["2026-11-02"], ["2026-11-02"], "end"),
        ([], ["2023-02-28"], ["2026-03-01"], "end"),  # a day over 3 years
        ([], ["2026-11-01"], ["2026-11-02T00:00:00Z"], "end"),
        ([], ["2026-11-01T00:00"], ["2026-11-02T00:00:00Z"], "start"),
        ([], ["2026-13-01"], ["2026-11-02"], "start"),
        ([], ["2026-11-01", "2026-11-02"], ["2026-11-03"], "start"),
    ],
)
def test_invalid_ranges_name_the_parameter(period, start, end, param):
    with pytest.raises(InvalidQuery) as excinfo:
        parse_range(period=period, start=start, end=end)
    assert excinfo.value.param == param


@pytest.fixture
def frozen_berlin(db):
    OpsConfig.objects.update_or_create(pk=1, defaults={"timezone": "Europe/Berlin"})
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_metrics_endpoint_with_dates(admin_client_api, frozen_berlin):
    confirmed = {"status": BookingStatus.CONFIRMED}
    BookingFactory(**confirmed, total_amount=Decimal("40.00"), created_at=datetime(2026, 11, 3, 9, tzinfo=UTC))
    BookingFactory(**confirmed, total_amount=Decimal("10.00"), created_at=datetime(2026, 10, 28, tzinfo=UTC))

    response = admin_client_api.get(URL, {"start": "2026-11-01", "end": "2026-11-08", "include": "bookings,revenue"})

    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "custom"
    assert body["window"] == {"start": "2026-11-01T00:00:00+01:00", "end": "2026-11-08T00:00:00+01:00"}
    assert body["comparison"]["previous"] == {"start": "2026-10-25T00:00:00+02:00", "end": "2026-11-01T00:00:00+01:00"}
    assert body["bookings"]["total"] == 1
    assert body["bookings"]["previous"] == 1
    assert body["bookings"]["growth_rate"] == 0.0
    assert body["revenue"]["total"] == "40.00"
    assert body["revenue"]["growth_rate"] == 300.0
    assert OpsAuditLog.objects.get().period == "custom"


@pytest.mark.django_db
def test_metrics_endpoint_refuses_a_future_range_with_a_denied_row(admin_client_api, frozen_berlin):
    response = admin_client_api.get(URL, {"start": "2026-12-01", "end": "2026-12-02"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]
    row = OpsAuditLog.objects.get()
    assert (row.action, row.resource_type, row.period) == (
        AuditAction.VIEW_METRICS_DENIED, ResourceType.DASHBOARD_METRICS, "custom"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "param"),
    [({"period": "week", "start": "2026-11-01", "end": "2026-11-02"}, "period"), ({"start": "2026-11-01"}, "end"),
     ({"start": "2020-01-01", "end": "2026-01-01"}, "end"), ({"start": "soon", "end": "2026-01-01"}, "start")],
)
def test_metrics_endpoint_bad_ranges(admin_client_api, frozen_berlin, params, param):
    response = admin_client_api.get(URL, params)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]
