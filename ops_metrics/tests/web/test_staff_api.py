"""GET /api/v1/ops/dashboard/staff: per-staff rows by hand, their sums against /metrics, ordering, access, CSV."""
import csv
import io
from decimal import Decimal

import pytest
from django.db.models import Sum

from bookings.models import Booking
from complaints.models import UNRESOLVED_STATUSES, Complaint
from ops_metrics.constants import AuditAction, ResourceType
from ops_metrics.models import OpsAuditLog
from ops_metrics.reports.staff import ORDERINGS
from ops_metrics.tests.reports.test_dashboard import NOW, dataset  # noqa: F401 (the fixture and the pinned clock)
from staff.models import Staff

URL = "/api/v1/ops/dashboard/staff"
METRICS = "/api/v1/ops/dashboard/metrics"
TIMESERIES = "/api/v1/ops/dashboard/timeseries"

pytestmark = pytest.mark.django_db


def rows(client, **query) -> list[dict]:
    response = client.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()["rows"]


def test_one_staff_members_week_by_hand(admin_client_api, dataset):  # noqa: F811
    zed = dataset["zed"].pk
    row = next(row for row in rows(admin_client_api, period="week") if row["staff"] and row["staff"]["id"] == zed)

    assert row == {
        "staff": {"id": zed, "name": "Zed"},
        "bookings": 1, "bookings_completed": 0,  # b1
        "complaints": 3,  # c4 c7 c8
        "complaints_resolved": 1, "compliance_rate": 0.0,  # c7, breached
        "avg_response_hours": 2.0,  # c4: 08:00 → 10:00
        "avg_resolution_hours": 1.5,  # c7
        "at_risk": 1, "breached": 1,  # c9; c4
        "open_bookings": 1, "open_complaints": 3,  # b1; c4 c8 c9
        "revenue": "0.10",
    }


def test_rows_active_staff_inactive_with_work_and_unassigned(reader_client_api, dataset):  # noqa: F811
    listed = rows(reader_client_api, period="week")

    names = [row["staff"] and row["staff"]["name"] for row in listed]
    assert names == ["Alice", "Bob", "Carol", "Dave", "Zed", None]  # Dave is inactive but holds b8 and c3
    assert (listed[2]["bookings"], listed[2]["open_complaints"]) == (0, 0)  # Carol: no bookings, c5 resolved
    assert all("revenue" not in row for row in listed)


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize("period", ["today", "week", "month", "all"])
def test_the_rows_sum_to_the_unfiltered_figures(admin_client_api, dataset, period):  # noqa: F811
    listed = rows(admin_client_api, period=period)
    metrics = admin_client_api.get(METRICS, {"period": period}).json()
    series = admin_client_api.get(TIMESERIES, {"period": period, "metrics": "complaints_resolved"}).json()

    def total(field):
        if field == "revenue":
            return sum((Decimal(row[field]) for row in listed), Decimal(0))
        return sum(row[field] for row in listed)

    assert total("bookings") == metrics["bookings"]["total"]
    assert total("bookings_completed") == metrics["bookings"]["by_status"]["completed"]
    assert total("complaints") == metrics["complaints"]["total"]
    assert total("at_risk") == metrics["sla"]["at_risk"]
    assert total("breached") == metrics["sla"]["breached"]
    assert total("open_bookings") == metrics["realtime"]["active_bookings"] + metrics["realtime"]["pending_bookings"]
    assert total("open_complaints") == Complaint.objects.filter(status__in=UNRESOLVED_STATUSES).count()
    assert total("complaints_resolved") == sum(series["series"]["complaints_resolved"])
    assert total("revenue") == Decimal(metrics["revenue"]["total"])


def test_staff_filter(reader_client_api, dataset):  # noqa: F811
    listed = rows(reader_client_api, period="all", staff=f"{dataset['zed'].pk},none")

    assert [row["staff"] and row["staff"]["name"] for row in listed] == ["Zed", None]
    assert listed[1]["bookings"] == Booking.objects.filter(assigned_staff=None).count()


@pytest.mark.parametrize("ordering", [o for o in ORDERINGS if "revenue" not in o])
def test_every_field_sorts_both_ways_nulls_last(reader_client_api, dataset, ordering):  # noqa: F811
    listed = rows(reader_client_api, period="week", ordering=ordering)
    field = ordering.removeprefix("-")
    if field == "staff":
        names = [row["staff"] and row["staff"]["name"] for row in listed]
        expected = ["Alice", "Bob", "Carol", "Dave", "Zed"]
        assert names == (expected[::-1] if ordering.startswith("-") else expected) + [None]
        return
    values = [row[field] for row in listed if row[field] is not None]
    assert values == sorted(values, reverse=ordering.startswith("-"))
    assert [row[field] for row in listed[len(values):]] == [None] * (len(listed) - len(values))


def test_revenue_ordering_for_admins_only(admin_client_api, reader_client_api, dataset):  # noqa: F811
    amounts = [Decimal(row["revenue"]) for row in rows(admin_client_api, period="month", ordering="-revenue")]
    refused = reader_client_api.get(URL, {"ordering": "revenue"})

    assert amounts == sorted(amounts, reverse=True) and amounts[0] > 0
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["ordering"]


@pytest.mark.parametrize(("query", "param"), [
    ({"ordering": "name"}, "ordering"), ({"ordering": "--bookings"}, "ordering"), ({"period": "year"}, "period"),
    ({"staff": "x"}, "staff"), ({"start": "2026-11-01"}, "end"),
])
def test_bad_queries_are_400_naming_the_parameter(reader_client_api, dataset, query, param):  # noqa: F811
    response = reader_client_api.get(URL, query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]
    assert OpsAuditLog.objects.get().action == AuditAction.VIEW_STAFF_DENIED


def test_audit_cache_and_etag(reader_client_api, reader_user, dataset):  # noqa: F811
    first = reader_client_api.get(URL, {"period": "week"})
    second = reader_client_api.get(URL, {"period": "week"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (first["X-Cache"], second["X-Cache"], second.status_code) == ("miss", "hit", 304)
    assert first.json()["redacted"] == ["revenue"]
    assert [(row.action, row.resource_type, row.period) for row in OpsAuditLog.objects.order_by("id")] == [
        (AuditAction.VIEW_STAFF, ResourceType.DASHBOARD_STAFF, "week")
    ] * 2


def test_a_reader_never_gets_an_admins_cached_revenue(admin_client_api, reader_client_api, dataset):  # noqa: F811
    assert "revenue" in rows(admin_client_api, period="week")[0]
    assert "revenue" not in rows(reader_client_api, period="week")[0]


def test_csv(admin_client_api, dataset):  # noqa: F811
    Staff.objects.filter(name="Carol").update(name="=cmd|' /C calc'!A0")
    response = admin_client_api.get(URL, {"period": "week", "format": "csv"})

    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][:3] == ["staff_id", "staff_name", "bookings"] and table[0][-1] == "revenue"
    assert len(table) == 1 + 6
    assert "'=cmd|' /C calc'!A0" in [line[1] for line in table]
    assert table[-1][:2] == ["", ""]  # the unassigned row
    assert sum(Decimal(line[-1]) for line in table[1:]) == Booking.objects.filter(
        created_at__gte=NOW.replace(day=16, hour=0, minute=0), status__in=["confirmed", "in_progress", "completed"]
    ).aggregate(total=Sum("total_amount"))["total"]


def test_records_and_staff_share_the_ops_throttle(reader_client_api, settings, dataset):  # noqa: F811
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "2/min"}}
    statuses = [reader_client_api.get(URL).status_code,
                reader_client_api.get("/api/v1/ops/dashboard/records", {"figure": "sla.breached"}).status_code,
                reader_client_api.get(URL).status_code]

    assert statuses == [200, 200, 429]
    assert OpsAuditLog.objects.order_by("-id").first().action == AuditAction.VIEW_STAFF_DENIED
