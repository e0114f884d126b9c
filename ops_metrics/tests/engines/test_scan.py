"""The scan engine: SLA rules edge by edge, buckets, averages as PostgreSQL rounds them, the staff workload."""
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Avg, F
from django.test.utils import CaptureQueriesContext

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import Complaint, ComplaintPriority, ComplaintStatus
from ops_metrics.constants import ALL_GROUPS
from ops_metrics.engines.scan import Bucket, staff_workload
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics
from ops_metrics.windows.figures import hours
from staff.factories import StaffFactory

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
BUFFER = timedelta(minutes=60)
MICRO = timedelta(microseconds=1)
UTC_CONFIG = OpsConfig(timezone="UTC", sla_at_risk_buffer_minutes=60)


@pytest.fixture(autouse=True)
def _scan_engine(settings) -> None:
    """This module tests the scan engine, whatever OPS_METRICS_ENGINE says."""
    settings.OPS_METRICS_ENGINE = "scan"


def _sla() -> dict:
    return dashboard_metrics(period="all", groups=["sla"], config=UTC_CONFIG, now=NOW)["sla"]


def _open(priority=ComplaintPriority.MEDIUM, status=ComplaintStatus.OPEN, **fields) -> Complaint:
    return ComplaintFactory(priority=priority, status=status, created_at=NOW - timedelta(hours=5), **fields)


@pytest.mark.parametrize(
    ("response_due", "first_response_at", "expected"),
    [
        (NOW + BUFFER, None, "at_risk"),  # upper buffer edge: included
        (NOW + BUFFER + MICRO, None, "neither"),  # just beyond the buffer
        (NOW, None, "at_risk"),  # due exactly now: not yet breached, at risk
        (NOW - MICRO, None, "breached"),  # overdue by a microsecond
        (NOW - timedelta(hours=2), NOW - timedelta(hours=3), "neither"),  # met on time
        (NOW - timedelta(hours=2), NOW - timedelta(hours=2), "neither"),  # met exactly at the due time
        (NOW - timedelta(hours=2), NOW - timedelta(hours=2) + MICRO, "breached"),  # met late
        (NOW + timedelta(minutes=30), NOW - timedelta(hours=1), "neither"),  # met early: no longer at risk
    ],
)
def test_sla_response_target_edges(db, response_due, first_response_at, expected):
    _open(response_due_at=response_due, resolution_due_at=NOW + timedelta(days=3), first_response_at=first_response_at)
    sla = _sla()
    assert (sla["at_risk"], sla["breached"]) == {"at_risk": (1, 0), "breached": (0, 1), "neither": (0, 0)}[expected]


def test_untracked_targets_are_never_at_risk_or_breached(db):
    complaint = _open(response_due_at=NOW - timedelta(days=1), resolution_due_at=NOW)
    Complaint.objects.filter(pk=complaint.pk).update(response_due_at=None, resolution_due_at=None)
    sla = _sla()
    assert (sla["at_risk"], sla["breached"], sla["compliance_rate"]) == (0, 0, None)


def test_breached_wins_over_at_risk_and_resolved_complaints_are_not_now_figures(db):
    _open(  # response breached, resolution at risk: breached only
        priority=ComplaintPriority.HIGH, response_due_at=NOW - timedelta(hours=1), resolution_due_at=NOW + BUFFER,
    )
    _open(  # overdue but resolved: not in the "now" figures; counted in compliance instead
        status=ComplaintStatus.RESOLVED, response_due_at=NOW - timedelta(hours=4),
        resolution_due_at=NOW - timedelta(hours=3), first_response_at=NOW - timedelta(hours=4, minutes=30),
        resolved_at=NOW - timedelta(hours=1),
    )
    _open(  # escalated counts as unresolved
        priority=ComplaintPriority.CRITICAL, status=ComplaintStatus.ESCALATED,
        response_due_at=NOW + timedelta(minutes=1), resolution_due_at=NOW + timedelta(hours=3),
    )
    sla = _sla()
    assert (sla["at_risk"], sla["breached"]) == (1, 1)
    assert sla["by_priority"] == {
        "low": {"at_risk": 0, "breached": 0},
        "medium": {"at_risk": 0, "breached": 0},
        "high": {"at_risk": 0, "breached": 1},
        "critical": {"at_risk": 1, "breached": 0},
    }
    assert sla["compliance_rate"] == 0.0  # the one resolved complaint was resolved 2 h late
    assert sla["avg_response_hours"] == 0.5  # responded 30 min after creation
    assert sla["avg_resolution_hours"] == 4.0


def test_resolved_without_response_is_judged_against_now(db):
    # Resolved 30 min before its response target fell due, and that due time has now passed: breached.
    _open(
        status=ComplaintStatus.CLOSED, response_due_at=NOW - timedelta(minutes=10),
        resolution_due_at=NOW + timedelta(hours=5), resolved_at=NOW - timedelta(minutes=40),
    )
    # Resolved with the response target still in the future: compliant.
    _open(
        status=ComplaintStatus.RESOLVED, response_due_at=NOW + timedelta(minutes=10),
        resolution_due_at=NOW + timedelta(hours=5), resolved_at=NOW - timedelta(minutes=40),
    )
    assert _sla()["compliance_rate"] == 50.0


def test_bucket_cuts_half_open_intervals_and_puts_null_last(db):
    start, end = NOW - timedelta(days=1), NOW
    for resolved_at in (start - MICRO, start, end - MICRO, end, None):
        ComplaintFactory(subject=str(resolved_at), resolved_at=resolved_at)
    buckets = dict(Complaint.objects.values_list("subject", Bucket("resolved_at", [start, end])))
    assert buckets == {str(start - MICRO): 0, str(start): 1, str(end - MICRO): 1, str(end): 2, "None": 2}


@pytest.mark.perf_contract(reason="the grouped query shape is what keeps a cold computation to a few aggregates")
def test_each_table_is_read_by_one_grouped_query_of_a_few_aggregates(db):
    config = OpsConfig(timezone="Europe/Berlin", sla_at_risk_buffer_minutes=60)
    with CaptureQueriesContext(connection) as ctx:
        dashboard_metrics(period="week", groups=list(ALL_GROUPS), config=config, now=NOW)
    bookings_sql, complaints_sql, _workload_sql = (query["sql"] for query in ctx.captured_queries)
    # Windows are buckets of the grouping, not one filtered aggregate each.
    assert "FILTER" not in bookings_sql + complaints_sql
    assert bookings_sql.endswith("GROUP BY 1, 2")
    assert (bookings_sql.count("COUNT("), bookings_sql.count("SUM(")) == (1, 1)
    assert complaints_sql.endswith("GROUP BY 1, 2, 3, 4, 5, 6")
    # count(*); elapsed and business time to resolution and to response summed, business times counted
    assert (complaints_sql.count("COUNT("), complaints_sql.count("SUM(")) == (3, 4)


def test_average_hours_round_the_mean_to_the_microsecond_as_postgresql_does(db):
    def resolved_after(*durations: timedelta) -> None:
        Complaint.objects.all().delete()
        Complaint.objects.bulk_create(
            Complaint(subject="avg", status=ComplaintStatus.RESOLVED, created_at=NOW - timedelta(days=5),
                      resolved_at=NOW - timedelta(days=5) + duration)
            for duration in durations
        )

    def ours() -> float | None:
        return dashboard_metrics(period="all", groups=["complaints"], config=UTC_CONFIG, now=NOW)["complaints"][
            "avg_resolution_hours"]

    def postgresql() -> float | None:
        return hours(Complaint.objects.aggregate(avg=Avg(F("resolved_at") - F("created_at")))["avg"])

    # Mean 17.9999995 s: the database rounds it to 18 s, which is 0.005 h and so rounds up to 0.01.
    resolved_after(timedelta(seconds=18), timedelta(seconds=18) - MICRO)
    assert ours() == postgresql() == 0.01
    # Spanning days, with microseconds: the mean of the sums matches the database's average.
    resolved_after(*(timedelta(days=d, hours=h, microseconds=u) for d, h, u in
                     [(0, 5, 1), (1, 0, 7), (2, 23, 999_999), (0, 0, 3), (3, 12, 500_000), (1, 1, 1), (0, 17, 0)]))
    assert ours() == postgresql() == 32.29  # 226 h / 7


def test_staff_workload_ties_zero_load_and_inactive_staff(db):
    bea, abe, cy = StaffFactory(name="Bea"), StaffFactory(name="Abe"), StaffFactory(name="Cy")
    idle = StaffFactory(name="Idle")
    gone = StaffFactory(name="Gone", is_active=False)
    for status in BookingStatus.values:  # only pending, confirmed and in progress load someone
        BookingFactory(status=status, assigned_staff=bea)
    for status in ComplaintStatus.values:  # only open, in progress and escalated load someone
        ComplaintFactory(status=status, assigned_to=abe)
    BookingFactory(status=BookingStatus.PENDING, assigned_staff=cy)
    ComplaintFactory(status=ComplaintStatus.OPEN, assigned_to=cy)
    ComplaintFactory(status=ComplaintStatus.ESCALATED, assigned_to=cy)
    ComplaintFactory(status=ComplaintStatus.OPEN, assigned_to=cy)
    BookingFactory(status=BookingStatus.PENDING, assigned_staff=gone)
    BookingFactory(status=BookingStatus.PENDING)  # unassigned

    with CaptureQueriesContext(connection) as ctx:
        rows = staff_workload(using="default")
    assert len(ctx.captured_queries) == 1
    assert rows == [
        {"staff_id": cy.pk, "name": "Cy", "bookings": 1, "complaints": 3, "total": 4},
        {"staff_id": abe.pk, "name": "Abe", "bookings": 0, "complaints": 3, "total": 3},  # tie: by name
        {"staff_id": bea.pk, "name": "Bea", "bookings": 3, "complaints": 0, "total": 3},
        {"staff_id": idle.pk, "name": "Idle", "bookings": 0, "complaints": 0, "total": 0},
    ]
