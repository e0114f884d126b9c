"""GET /api/v1/ops/dashboard/timeseries: access, redaction through a warm cache, every 400, audit, ETag."""
import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from ops_metrics.constants import ALL_SERIES, AuditAction, ResourceType
from ops_metrics.models import OpsAuditLog

URL = "/api/v1/ops/dashboard/timeseries"
UTC = ZoneInfo("UTC")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # a Thursday
READER_SERIES = [metric for metric in ALL_SERIES if metric != "revenue"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(frozen):
    BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("100.00"),
                   created_at=datetime(2026, 11, 24, 9, tzinfo=UTC))
    BookingFactory(status=BookingStatus.COMPLETED, total_amount=Decimal("50.00"),
                   created_at=datetime(2026, 11, 26, 9, tzinfo=UTC))
    ComplaintFactory(created_at=datetime(2026, 11, 25, 9, tzinfo=UTC))


def audit_rows() -> list[tuple]:
    return list(OpsAuditLog.objects.order_by("id").values_list("user__username", "action", "resource_type", "period",
                                                               "include"))


def test_admin_gets_every_series_columnar(admin_client_api, data):
    response = admin_client_api.get(URL, {"period": "week"})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["period", "interval", "timezone", "window", "generated_at", "buckets", "series", "redacted"]
    assert body["buckets"] == ["2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z",
                               "2026-11-26T00:00:00Z"]
    assert body["series"]["bookings_created"] == [0, 1, 0, 1]
    assert body["series"]["revenue"] == ["0.00", "100.00", "0.00", "50.00"]
    assert body["series"]["complaints_created"] == [0, 0, 1, 0]
    assert list(body["series"]) == list(ALL_SERIES)
    assert response["ETag"]
    assert audit_rows() == [("ops_admin_user", AuditAction.VIEW_TIMESERIES, ResourceType.DASHBOARD_TIMESERIES,
                             "week", list(ALL_SERIES))]


def test_reader_by_default_gets_what_they_may_see(reader_client_api, data):
    body = reader_client_api.get(URL, {"period": "week"}).json()

    assert list(body["series"]) == READER_SERIES
    assert body["redacted"] == []


def test_reader_asking_for_revenue_through_a_warm_cache_gets_it_redacted(admin_client_api, reader_client_api, data):
    admin = admin_client_api.get(URL, {"period": "week", "metrics": "revenue,bookings_created"})
    assert admin["X-Cache"] == "miss"

    reader = reader_client_api.get(URL, {"period": "week", "metrics": "revenue,bookings_created"})
    again = reader_client_api.get(URL, {"period": "week", "metrics": "revenue,bookings_created"})

    assert reader.status_code == 200
    assert list(reader.json()["series"]) == ["bookings_created"]
    assert reader.json()["redacted"] == ["revenue"]
    assert "\"revenue\":[" not in reader.content.decode()
    assert again["X-Cache"] == "hit"
    assert reader["ETag"] != admin["ETag"]


def test_compare_adds_previous(admin_client_api, data):
    body = admin_client_api.get(URL, {"period": "today", "compare": "true", "metrics": "bookings_created"}).json()

    assert len(body["buckets"]) == 11
    assert body["previous"]["buckets"][0] == "2026-11-25T00:00:00Z"
    assert len(body["previous"]["series"]["bookings_created"]) == 11


def test_custom_range(admin_client_api, data):
    body = admin_client_api.get(URL, {"start": "2026-11-24", "end": "2026-11-26", "metrics": "bookings_created"}).json()

    assert body["period"] == "custom"
    assert body["interval"] == "hour"
    assert body["window"] == {"start": "2026-11-24T00:00:00Z", "end": "2026-11-26T00:00:00Z"}
    assert sum(body["series"]["bookings_created"]) == 1


def test_etag_gives_304(admin_client_api, data):
    first = admin_client_api.get(URL, {"period": "month"})

    second = admin_client_api.get(URL, {"period": "month"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 304


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"metrics": ""}, "metrics"),
        ({"metrics": "profit"}, "metrics"),
        ({"metrics": "revenue,revenue"}, "metrics"),
        ({"metrics": "revenue,,bookings_created"}, "metrics"),
        ({"period": "year"}, "period"),
        ({"interval": "minute"}, "interval"),
        ({"compare": "maybe"}, "compare"),
        ({"period": "all", "compare": "true"}, "compare"),
        ({"period": "week", "start": "2026-11-01", "end": "2026-11-02"}, "period"),
        ({"start": "2026-11-01"}, "end"),
        ({"end": "2026-11-01"}, "start"),
        ({"start": "2026-11-02", "end": "2026-11-01"}, "end"),
        ({"start": "2026-11-01", "end": "2026-11-01"}, "end"),
        ({"start": "2022-11-01", "end": "2025-11-02"}, "end"),
        ({"start": "2026-11-01", "end": "2026-11-02T00:00:00+00:00"}, "end"),
        ({"start": "2026-11-01T00:00:00", "end": "2026-11-02T00:00:00+00:00"}, "start"),
        ({"start": "yesterday", "end": "2026-11-02"}, "start"),
        ({"start": "2026-11-27", "end": "2026-11-28"}, "start"),
        ({"start": "2026-01-01", "end": "2026-11-01", "interval": "hour"}, "interval"),
    ],
)
def test_invalid_queries_are_400_naming_the_parameter(admin_client_api, frozen, params, param):
    response = admin_client_api.get(URL, params)

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [param]
    assert body["valid"]["interval"] == ["hour", "day", "week", "month"]
    assert audit_rows()[-1][1:3] == (AuditAction.VIEW_TIMESERIES_DENIED, ResourceType.DASHBOARD_TIMESERIES)
    assert len(audit_rows()) == 1


def test_a_plus_sent_unencoded_reads_as_an_offset(admin_client_api, data):
    response = admin_client_api.get(f"{URL}?start=2026-11-24T00:00:00+00:00&end=2026-11-25T00:00:00+00:00")

    assert response.status_code == 200
    assert response.json()["window"]["start"] == "2026-11-24T00:00:00Z"


def test_refusals(anonymous_client_api, plain_client_api, frozen):
    assert anonymous_client_api.get(URL).status_code == 401
    assert plain_client_api.get(URL, {"period": "week", "metrics": "revenue"}).status_code == 403
    assert audit_rows() == [("plain_user", AuditAction.VIEW_TIMESERIES_DENIED, ResourceType.DASHBOARD_TIMESERIES,
                             "week", ["revenue"])]


def test_timeseries_csv_one_row_per_bucket(admin_client_api, data):
    response = admin_client_api.get(URL, {"period": "week", "metrics": "bookings_created,revenue,avg_response_hours",
                                          "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="ops-timeseries-week-2026-11-23-2026-11-26-day.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["start", "end", "bookings_created", "revenue", "avg_response_hours"],
        ["2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", "0", "0.00", ""],
        ["2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z", "1", "100.00", ""],
        ["2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z", "0", "0.00", ""],
        ["2026-11-26T00:00:00Z", "2026-11-26T10:30:00Z", "1", "50.00", ""],
    ]


def test_timeseries_csv_by_accept_header_with_the_comparison(admin_client_api, data):
    response = admin_client_api.get(URL, {"period": "today", "compare": "true", "metrics": "bookings_created"},
                                    HTTP_ACCEPT="text/csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["window"] for row in rows] == ["current"] * 11 + ["previous"] * 11
    assert rows[10] == {"window": "current", "start": "2026-11-26T10:00:00Z", "end": "2026-11-26T10:30:00Z",
                        "bookings_created": "0"}
    assert rows[-1]["end"] == "2026-11-25T10:30:00Z"
    assert sum(int(row["bookings_created"]) for row in rows if row["window"] == "current") == 1


def test_csv_and_json_have_different_etags(admin_client_api, data):
    as_json = admin_client_api.get(URL, {"period": "week"})
    as_csv = admin_client_api.get(URL, {"period": "week", "format": "csv"})

    assert as_json["ETag"] != as_csv["ETag"]
    assert "Accept" in as_csv["Vary"]
    assert admin_client_api.get(URL, {"period": "week", "format": "csv"},
                                HTTP_IF_NONE_MATCH=as_csv["ETag"]).status_code == 304


def test_a_csv_400_is_a_flattened_row(admin_client_api, frozen):
    response = admin_client_api.get(URL, {"interval": "minute", "format": "csv"})

    assert response.status_code == 400
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["errors.interval"].startswith("Unknown interval 'minute'")
    assert "Content-Disposition" not in response


def test_metrics_csv_one_column_per_figure(admin_client_api, data):
    response = admin_client_api.get("/api/v1/ops/dashboard/metrics", {"period": "week", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ops-metrics-week-2026-11-23-2026-11-26.csv"'
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["bookings.total"] == "2"
    assert row["bookings.by_status.confirmed"] == "1"
    assert row["revenue.total"] == "150.00"
    assert row["sla.by_priority.critical.breached"] == "0"
    assert row["window.start"] == "2026-11-23T00:00:00Z"
    assert row["comparison.previous.end"] == "2026-11-19T10:30:00Z"
    assert row["complaints.avg_resolution_hours"] == ""
    assert row["redacted"] == ""


def test_the_browsable_api_still_renders(admin_user, data):
    client = Client()
    client.force_login(admin_user)

    response = client.get(URL, {"period": "week"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"Ops dashboard time series" in response.content


def test_an_unknown_format_is_ignored_like_any_unknown_parameter(admin_client_api, data):
    response = admin_client_api.get(URL, {"period": "week", "format": "xml"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_throttled_and_unsupported_requests_leave_denied_rows(admin_client_api, frozen, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "2/min"}}
    assert admin_client_api.post(f"{URL}?period=today").status_code == 405
    assert admin_client_api.get(URL, {"metrics": "revenue"}).status_code == 200
    assert admin_client_api.get(URL, {"period": "week", "metrics": "revenue"}).status_code == 429

    assert audit_rows() == [
        ("ops_admin_user", AuditAction.VIEW_TIMESERIES_DENIED, ResourceType.DASHBOARD_TIMESERIES, "today", []),
        ("ops_admin_user", AuditAction.VIEW_TIMESERIES, ResourceType.DASHBOARD_TIMESERIES, "all", ["revenue"]),
        ("ops_admin_user", AuditAction.VIEW_TIMESERIES_DENIED, ResourceType.DASHBOARD_TIMESERIES, "week",
         ["revenue"]),
    ]


def test_a_complaint_write_leaves_booking_series_cached(admin_client_api, data, django_capture_on_commit_callbacks):
    bookings = {"period": "week", "metrics": "bookings_created"}
    complaints = {"period": "week", "metrics": "complaints_created"}
    admin_client_api.get(URL, bookings)
    admin_client_api.get(URL, complaints)

    with django_capture_on_commit_callbacks(execute=True):
        ComplaintFactory(created_at=datetime(2026, 11, 26, 10, tzinfo=UTC))

    assert admin_client_api.get(URL, bookings)["X-Cache"] == "hit"
    after = admin_client_api.get(URL, complaints)
    assert after["X-Cache"] == "miss"
    assert after.json()["series"]["complaints_created"] == [0, 0, 1, 1]


def test_queries_differing_in_range_interval_or_comparison_do_not_share_entries(admin_client_api, data):
    queries = [
        {"period": "week"}, {"period": "week", "interval": "hour"}, {"period": "week", "compare": "true"},
        {"start": "2026-11-20", "end": "2026-11-26"}, {"start": "2026-11-21", "end": "2026-11-26"},
    ]

    assert [admin_client_api.get(URL, query)["X-Cache"] for query in queries] == ["miss"] * 5
    assert [admin_client_api.get(URL, query)["X-Cache"] for query in queries] == ["hit"] * 5
