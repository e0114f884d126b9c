"""GET /api/v1/ops/dashboard/records: the rows behind each figure, counts equal to /metrics, paging, CSV, access."""
import csv
import io

import pytest
from django.utils.http import urlencode

from bookings.factories import BookingFactory
from bookings.models import Booking
from complaints.models import Complaint
from ops_metrics.constants import AuditAction, ResourceType
from ops_metrics.models import OpsAuditLog
from ops_metrics.reports.records import FIGURE_NAMES
from ops_metrics.tests.reports.test_dashboard import NOW, at, dataset  # noqa: F401 (the fixture and the pinned clock)
from staff.models import Staff

URL = "/api/v1/ops/dashboard/records"
METRICS = "/api/v1/ops/dashboard/metrics"
TIMESERIES = "/api/v1/ops/dashboard/timeseries"
STAFF = "/api/v1/ops/dashboard/staff"

pytestmark = pytest.mark.django_db


def booking_ids(*created) -> list[int]:
    return [Booking.objects.get(created_at=moment).pk for moment in created]


def complaint_ids(*created) -> list[int]:
    return [Complaint.objects.get(created_at=moment).pk for moment in created]


def page(client, **query) -> dict:
    response = client.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_bookings_of_the_week_newest_first(admin_client_api, dataset):  # noqa: F811
    body = page(admin_client_api, figure="bookings.total", period="week")

    assert body["count"] == 4
    assert [row["id"] for row in body["results"]] == booking_ids(
        at(2026, 11, 18), at(2026, 11, 17, 23, 59, 59, 999999), at(2026, 11, 16, 9), at(2026, 11, 16)
    )
    first = body["results"][0]
    assert list(first) == ["id", "reference", "customer_name", "status", "payment_status", "assigned_staff",
                           "scheduled_for", "created_at", "total_amount"]
    assert first["assigned_staff"] == {"id": dataset["zed"].pk, "name": "Zed"}
    assert (first["status"], first["total_amount"]) == ("confirmed", "0.10")
    assert body["results"][1]["assigned_staff"] is None
    assert body["window"] == {"start": "2026-11-16T00:00:00+01:00", "end": "2026-11-18T14:30:00+01:00"}
    assert body["generated_at"] == "2026-11-18T13:30:00Z"
    assert (body["next"], body["previous"]) == (None, None)


@pytest.mark.parametrize(
    ("figure", "created", "states"),
    [
        ("sla.breached", [at(2026, 11, 18, 9), at(2026, 11, 16, 8)], ["breached", "breached"]),  # c1, c4
        ("sla.at_risk", [at(2026, 11, 18, 13), at(2026, 11, 1, 10)], ["at_risk", "at_risk"]),  # c2, c9
        ("sla.by_priority.low.breached", [at(2026, 11, 16, 8)], ["breached"]),  # c4
        ("realtime.critical_complaints", [at(2026, 11, 18, 9)], ["breached"]),  # c1
        # resolved this week: c10 met, c7 breached, c5 met, c6 breached
        ("sla.resolved", [at(2026, 11, 17, 23, 59, 59, 999999), at(2026, 11, 17, 8), at(2026, 11, 16, 12),
                          at(2026, 11, 10, 10)], ["ok", "breached", "ok", "breached"]),
        # today: c2 at risk, c1 breached, c8 with no due times
        ("complaints.total", [at(2026, 11, 18, 13), at(2026, 11, 18, 9), at(2026, 11, 18)],
         ["at_risk", "breached", "untracked"]),
    ],
)
def test_complaints_behind_a_figure_with_their_sla_state(reader_client_api, dataset, figure, created, states):  # noqa: F811
    period = "today" if figure == "complaints.total" else "week"
    body = page(reader_client_api, figure=figure, period=period)

    assert [row["id"] for row in body["results"]] == complaint_ids(*created)
    assert [row["sla_state"] for row in body["results"]] == states
    assert body["count"] == len(created)
    assert list(body["results"][0]) == [
        "id", "subject", "priority", "status", "assigned_to", "booking_reference", "created_at", "response_due_at",
        "resolution_due_at", "first_response_at", "resolved_at", "sla_state",
    ]


def test_pending_bookings_now_whatever_their_date(reader_client_api, dataset):  # noqa: F811
    body = page(reader_client_api, figure="realtime.pending_bookings", period="today")

    # b1, b3, b8 (created last week: "now" figures are not period-filtered)
    assert [row["id"] for row in body["results"]] == booking_ids(at(2026, 11, 18), at(2026, 11, 16, 9),
                                                                 at(2026, 11, 11, 14, 30))
    assert body["window"]["start"] is None
    assert all("total_amount" not in row for row in body["results"])  # a reader sees no amounts


def test_staff_filter(reader_client_api, dataset):  # noqa: F811
    zed = dataset["zed"].pk
    body = page(reader_client_api, figure="complaints.total", period="all", staff=f"{zed},none")

    assert body["count"] == 6  # c4 c7 c8 c9 (Zed), c6 c10 (unassigned)
    assert {(row["assigned_to"] or {}).get("id") for row in body["results"]} == {zed, None}


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize("figure", FIGURE_NAMES)
def test_count_equals_the_metrics_figure(admin_client_api, dataset, figure):  # noqa: F811
    zed, alice = dataset["zed"].pk, dataset["alice"].pk
    for period, staff in [("today", ""), ("week", str(zed)), ("month", f"{alice},none"), ("all", ""), ("week", "")]:
        query = {"period": period, **({"staff": staff} if staff else {})}
        records = page(admin_client_api, figure=figure, page_size=1, **query)
        if figure == "sla.resolved":  # the base of compliance_rate: the complaints resolved in the window
            series = admin_client_api.get(TIMESERIES, {**query, "metrics": "complaints_resolved"}).json()
            assert records["count"] == sum(series["series"]["complaints_resolved"]), (period, staff)
            continue
        if figure.startswith("realtime.staff_workload."):  # per staff member: the workload cell, /staff's open_*
            column = figure.rsplit(".", 1)[1]
            rows = admin_client_api.get(STAFF, query).json()["rows"]
            assert records["count"] == sum(row[f"open_{column}"] for row in rows), (period, staff)
            workload = admin_client_api.get(METRICS, {"period": period, "staff": str(zed)}).json()
            cell = page(admin_client_api, figure=figure, page_size=1, period=period, staff=str(zed))["count"]
            assert cell == workload["realtime"]["staff_workload"][0][column]
            continue
        value = admin_client_api.get(METRICS, query).json()
        for key in figure.split("."):
            value = value[key]
        shown = records["amount"] if figure.startswith("revenue.") else records["count"]
        assert shown == value, (period, staff)


def test_paging_walks_every_row_once_both_ways(reader_client_api, dataset):  # noqa: F811
    everything = page(reader_client_api, figure="bookings.total", page_size=500)["results"]
    assert len(everything) == 10

    seen, pages, body = [], [], page(reader_client_api, figure="bookings.total", page_size=2)
    while len(pages) < 10:  # 5 pages expected: a cursor that never ends fails below instead of looping
        pages.append(body)
        seen += [row["id"] for row in body["results"]]
        assert body["count"] == 10
        if body["next"] is None:
            break
        body = reader_client_api.get(body["next"]).json()
    assert seen == [row["id"] for row in everything]
    assert len(pages) == 5 and pages[0]["previous"] is None

    back = []
    body = pages[-1]
    while body["previous"] is not None and len(back) < 20:
        body = reader_client_api.get(body["previous"]).json()
        back = [row["id"] for row in body["results"]] + back
    assert back == seen[:-2]
    assert body["results"] == pages[0]["results"]


def test_a_page_is_pinned_to_the_first_pages_instant(reader_client_api, dataset, time_machine):  # noqa: F811
    first = page(reader_client_api, figure="sla.at_risk", page_size=1)
    time_machine.move_to(NOW.replace(year=2027), tick=False)  # everything would be breached by now
    second = reader_client_api.get(first["next"]).json()

    assert second["generated_at"] == first["generated_at"]
    assert [row["sla_state"] for row in second["results"]] == ["at_risk"]


@pytest.mark.parametrize("tamper", [lambda c: c[:-2] + ("AA" if c[-2:] != "AA" else "BB"), lambda c: "x" + c,
                                    lambda c: "garbage", lambda c: c + "%00"])
def test_a_tampered_cursor_is_400_naming_cursor(reader_client_api, dataset, tamper):  # noqa: F811
    cursor = page(reader_client_api, figure="bookings.total", page_size=2)["next"].split("cursor=")[1]
    response = reader_client_api.get(f"{URL}?figure=bookings.total&page_size=2&cursor={tamper(cursor)}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_a_cursor_of_another_query_is_400(reader_client_api, dataset):  # noqa: F811
    cursor = page(reader_client_api, figure="bookings.total", page_size=2)["next"].split("cursor=")[1]
    response = reader_client_api.get(f"{URL}?figure=bookings.by_status.pending&page_size=2&cursor={cursor}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]
    assert OpsAuditLog.objects.latest("id").action == AuditAction.VIEW_RECORDS_DENIED


@pytest.mark.parametrize(("query", "param"), [
    ({"figure": "bookings.nope"}, "figure"),
    ({}, "figure"),
    ({"figure": "bookings.total", "page_size": "0"}, "page_size"),
    ({"figure": "bookings.total", "page_size": "501"}, "page_size"),
    ({"figure": "bookings.total", "page_size": "x"}, "page_size"),
    ({"figure": "bookings.total", "period": "year"}, "period"),
    ({"figure": "bookings.total", "staff": "999999"}, "staff"),
    ({"figure": "bookings.total", "start": "2026-11-20", "end": "2026-11-30"}, "start"),
])
def test_bad_queries_are_400_naming_the_parameter(reader_client_api, dataset, query, param):  # noqa: F811
    response = reader_client_api.get(URL, query)

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [param]
    assert body["valid"]["figure"] == FIGURE_NAMES
    assert "sla.breached" in FIGURE_NAMES and "revenue.total" in FIGURE_NAMES


def test_a_reader_asking_for_a_revenue_figure_is_refused_and_audited(reader_client_api, reader_user, dataset):  # noqa: F811
    response = reader_client_api.get(URL, {"figure": "revenue.total"})

    assert response.status_code == 403
    row = OpsAuditLog.objects.get()
    assert (row.user, row.action, row.resource_type, row.figure) == (
        reader_user, AuditAction.VIEW_RECORDS_DENIED, ResourceType.DASHBOARD_RECORDS, "revenue.total",
    )


def test_one_audit_row_per_request(admin_client_api, admin_user, dataset):  # noqa: F811
    page(admin_client_api, figure="revenue.by_status.completed", period="month", staff="none")

    row = OpsAuditLog.objects.get()
    assert (row.user, row.action, row.resource_type, row.figure, row.period, row.staff_filter) == (
        admin_user, AuditAction.VIEW_RECORDS, ResourceType.DASHBOARD_RECORDS, "revenue.by_status.completed", "month",
        "none",
    )


def test_etag_gives_304_while_the_rows_are_unchanged(reader_client_api, dataset):  # noqa: F811
    first = reader_client_api.get(URL, {"figure": "bookings.total"})
    again = reader_client_api.get(URL, {"figure": "bookings.total"}, HTTP_IF_NONE_MATCH=first["ETag"])
    BookingFactory(created_at=at(2026, 11, 18, 12))
    changed = reader_client_api.get(URL, {"figure": "bookings.total"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (again.status_code, changed.status_code) == (304, 200)


def _csv_rows(response) -> list[list[str]]:
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_is_every_row_streamed_with_formulas_neutralised(admin_client_api, dataset):  # noqa: F811
    BookingFactory(customer_name='=HYPERLINK("http://evil","x")', created_at=at(2026, 11, 18, 12))
    BookingFactory(customer_name="@SUM(A1)", created_at=at(2026, 11, 18, 11))
    BookingFactory(customer_name="-2+3", created_at=at(2026, 11, 18, 10))
    BookingFactory(customer_name="\tTab", created_at=at(2026, 11, 18, 9))
    response = admin_client_api.get(f"{URL}?{urlencode({'figure': 'bookings.total', 'page_size': 2, 'format': 'csv'})}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv_rows(response)
    assert rows[0] == ["id", "reference", "customer_name", "status", "payment_status", "assigned_staff_id",
                       "assigned_staff_name", "scheduled_for", "created_at", "total_amount"]
    assert len(rows) == 1 + 14  # every row, not a page
    assert [row[2] for row in rows[1:5]] == ["'=HYPERLINK(\"http://evil\",\"x\")", "'@SUM(A1)", "'-2+3", "'\tTab"]
    assert OpsAuditLog.objects.get().action == AuditAction.VIEW_RECORDS


def test_csv_by_accept_header_for_a_reader_has_no_amounts(reader_client_api, dataset):  # noqa: F811
    response = reader_client_api.get(URL, {"figure": "sla.breached"}, HTTP_ACCEPT="text/csv")

    rows = _csv_rows(response)
    assert rows[0][-1] == "sla_state" and len(rows) == 3
    assert "assigned_to_name" in rows[0]


def test_an_inactive_staff_members_name_is_shown(reader_client_api, dataset):  # noqa: F811
    dave = Staff.objects.get(name="Dave")
    body = page(reader_client_api, figure="complaints.total", staff=str(dave.pk))

    assert [row["assigned_to"] for row in body["results"]] == [{"id": dave.pk, "name": "Dave"}]
