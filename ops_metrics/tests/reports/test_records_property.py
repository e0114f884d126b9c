"""Property: on any data, after any reassignments and staff deletions, the records of every figure count (and, for
revenue, sum to) exactly the metrics figure of the same window and staff filter, and the records' `count` (the
engine's) is that too, on both engines."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.models import Booking, BookingStatus
from complaints.models import Complaint, ComplaintPriority, ComplaintStatus
from ops_metrics.constants import ALL_GROUPS
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics
from ops_metrics.reports.records import FIGURE_NAMES, RecordsQuery, figure_totals, select_records
from ops_metrics.windows.figures import money
from ops_metrics.windows.ranges import StaffFilter
from staff.models import Staff

NOW = datetime(2026, 11, 18, 13, 30, tzinfo=UTC)
PERIODS = ("today", "week", "month", "all")
# The figures that are paths of the metrics payload (sla.resolved and the workload cells are checked elsewhere).
PATH_FIGURES = [name for name in FIGURE_NAMES if name != "sla.resolved" and not name.startswith("realtime.staff_")]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("engine")]

moments = st.integers(-40 * 24 * 60, 0).map(lambda minutes: NOW + timedelta(minutes=minutes))
optional_after = st.one_of(st.none(), st.integers(1, 5 * 24 * 60))
bookings = st.tuples(st.sampled_from(BookingStatus.values), st.integers(0, 99_999), moments, st.integers(0, 3))
complaints = st.tuples(
    st.sampled_from(ComplaintPriority.values), st.sampled_from(ComplaintStatus.values), moments, st.integers(0, 3),
    optional_after, optional_after, st.integers(-600, 3000), st.integers(-600, 6000),
)
writes = st.lists(st.tuples(st.sampled_from(["reassign_booking", "reassign_complaint", "delete_staff"]),
                            st.integers(0, 50), st.integers(0, 3)), max_size=6)


def _load(staff: list[Staff], booking_rows: list, complaint_rows: list) -> None:
    def who(index: int) -> Staff | None:
        return staff[index] if index < len(staff) else None  # the last index: unassigned

    Booking.objects.bulk_create(
        Booking(reference=f"P-{i}", customer_name="x", status=status, total_amount=Decimal(cents) / 100,
                assigned_staff=who(index), created_at=created)
        for i, (status, cents, created, index) in enumerate(booking_rows)
    )
    Complaint.objects.bulk_create(
        Complaint(subject="x", priority=priority, status=status, created_at=created, assigned_to=who(index),
                  first_response_at=min(created + timedelta(minutes=responded), NOW) if responded else None,
                  resolved_at=min(created + timedelta(minutes=resolved), NOW) if resolved else None,
                  response_due_at=created + timedelta(minutes=due_response),
                  resolution_due_at=created + timedelta(minutes=due_resolution))
        for priority, status, created, index, responded, resolved, due_response, due_resolution in complaint_rows
    )


def _apply(staff: list[Staff], write: tuple[str, int, int]) -> None:
    kind, row, index = write
    target = staff[index] if index < len(staff) else None
    if kind == "delete_staff":
        if target is not None and target.pk is not None:
            target.delete()  # their work becomes unassigned
        return
    model, field = (Booking, "assigned_staff") if kind == "reassign_booking" else (Complaint, "assigned_to")
    pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
    if pks and (target is None or Staff.objects.filter(pk=target.pk).exists()):
        model.objects.filter(pk=pks[row % len(pks)]).update(**{field: target})


def _figure(payload: dict, name: str):
    value = payload
    for key in name.split("."):
        value = value[key]
    return value


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(booking_rows=st.lists(bookings, max_size=12), complaint_rows=st.lists(complaints, max_size=12),
       changes=writes, chosen=st.sets(st.integers(0, 3), max_size=3))
def test_records_count_every_figure_exactly(configure, booking_rows, complaint_rows, changes, chosen):
    Booking.objects.all().delete()
    Complaint.objects.all().delete()
    Staff.objects.all().delete()
    configure(timezone="Europe/Berlin")
    staff = [Staff.objects.create(name=f"S{i}") for i in range(3)]
    _load(staff, booking_rows, complaint_rows)
    for change in changes:
        _apply(staff, change)
    alive = {member.pk for member in staff if Staff.objects.filter(pk=member.pk).exists()}
    ids = frozenset(staff[i].pk for i in chosen if i < 3 and staff[i].pk in alive)
    filters = [None, StaffFilter(ids=ids, unassigned=3 in chosen)] if ids or 3 in chosen else [None]
    config = OpsConfig.load()

    for period in PERIODS:
        for staff_filter in filters:
            payload = dashboard_metrics(period=period, groups=ALL_GROUPS, config=config, now=NOW, staff=staff_filter)
            for name in PATH_FIGURES:
                query = RecordsQuery(figure=name, period=period, custom=None, staff=staff_filter)
                selection = select_records(query=query, config=config, now=NOW)
                listed = selection.rows.order_by().aggregate(n=Count("*"), amount=Sum("total_amount", default=0)) \
                    if selection.figure.table == "bookings" else {"n": selection.rows.order_by().count()}
                shown = money(listed["amount"]) if name.startswith("revenue.") else listed["n"]
                assert shown == _figure(payload, name), (name, period, staff_filter)
                assert figure_totals(selection) == (listed["n"], shown if name.startswith("revenue.") else None)
