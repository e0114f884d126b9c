"""The staff filter on the dashboard payload and the time series, on both engines, against hand counts."""
from decimal import Decimal

import pytest

from ops_metrics.constants import ALL_GROUPS, ALL_SERIES, Interval
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics
from ops_metrics.reports.timeseries import timeseries
from ops_metrics.tests.reports.test_dashboard import NOW, dataset  # noqa: F401 (the fixture and the pinned clock)
from ops_metrics.windows.ranges import SeriesQuery, StaffFilter
from staff.models import Staff

pytestmark = pytest.mark.usefixtures("engine")


def payload(period: str, staff: StaffFilter | None) -> dict:
    return dashboard_metrics(period=period, groups=ALL_GROUPS, config=OpsConfig.load(), now=NOW, staff=staff)


def test_one_staff_member(dataset):  # noqa: F811
    zed = dataset["zed"]
    week = payload("week", StaffFilter(ids=frozenset({zed.pk})))

    assert week["bookings"]["total"] == 1  # b1
    assert week["bookings"]["by_status"] == {"pending": 0, "confirmed": 1, "in_progress": 0, "completed": 0,
                                             "cancelled": 0}
    assert week["revenue"]["total"] == Decimal("0.10")
    # c4, c7 and c8 created this week (c9 on the 1st)
    assert week["complaints"]["total"] == 3
    assert week["complaints"]["by_priority"] == {"low": 2, "medium": 0, "high": 0, "critical": 1}
    assert week["complaints"]["unresolved"] == 2
    assert (week["sla"]["at_risk"], week["sla"]["breached"]) == (1, 1)  # c9 at risk, c4 breached
    assert week["sla"]["compliance_rate"] == 0.0  # c7, resolved this week, breached
    assert week["realtime"] == {
        "active_bookings": 0, "pending_bookings": 1, "active_complaints": 2, "critical_complaints": 0,
        "staff_workload": [{"staff_id": zed.pk, "name": "Zed", "bookings": 1, "complaints": 3, "total": 4}],
    }


def test_unassigned_work(dataset):  # noqa: F811
    week = payload("week", StaffFilter(ids=frozenset(), unassigned=True))

    assert week["bookings"]["total"] == 2  # b2, b4
    assert week["complaints"]["total"] == 1  # c10
    assert (week["sla"]["at_risk"], week["sla"]["breached"]) == (0, 0)
    assert week["sla"]["compliance_rate"] == 50.0  # c6 breached, c10 met
    assert week["realtime"]["staff_workload"] == []  # `none` names no staff member
    assert week["realtime"]["pending_bookings"] == 0


def test_staff_and_unassigned_add_up(dataset):  # noqa: F811
    zed, alice = dataset["zed"], dataset["alice"]
    both = payload("all", StaffFilter(ids=frozenset({zed.pk, alice.pk}), unassigned=True))
    parts = [payload("all", StaffFilter(ids=frozenset({pk}))) for pk in (zed.pk, alice.pk)]
    parts.append(payload("all", StaffFilter(ids=frozenset(), unassigned=True)))

    assert both["bookings"]["total"] == sum(p["bookings"]["total"] for p in parts) == 8  # all but b3 (Bob), b8 (Dave)
    assert both["complaints"]["total"] == sum(p["complaints"]["total"] for p in parts) == 7
    assert [row["name"] for row in both["realtime"]["staff_workload"]] == ["Zed", "Alice"]


def test_an_inactive_staff_members_work_still_counts(dataset):  # noqa: F811
    dave = Staff.objects.get(name="Dave")
    every = payload("all", StaffFilter(ids=frozenset({dave.pk})))

    assert every["bookings"]["total"] == 1  # b8
    assert every["complaints"]["total"] == 1  # c3
    assert every["realtime"]["staff_workload"] == []  # the workload lists active staff only


def test_the_series_sum_to_the_filtered_figures(dataset):  # noqa: F811
    staff = StaffFilter(ids=frozenset({dataset["zed"].pk}), unassigned=True)
    series = timeseries(
        query=SeriesQuery(period="month", custom=None, metrics=None, interval=Interval.DAY, compare=False, staff=staff),
        metrics=ALL_SERIES, config=OpsConfig.load(), now=NOW,
    )
    month = payload("month", staff)

    assert sum(series["series"]["bookings_created"]) == month["bookings"]["total"]
    assert sum(series["series"]["complaints_created"]) == month["complaints"]["total"]
    assert sum(series["series"]["revenue"], Decimal(0)) == month["revenue"]["total"]
