"""dashboard_metrics on both engines: every field of every group on hand-built data, per period, DST, query counts."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from bookings.factories import BookingFactory
from bookings.models import Booking, BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import Complaint, ComplaintPriority, ComplaintStatus
from ops_metrics.constants import ALL_GROUPS
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics as compute_metrics
from staff.factories import StaffFactory

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 18, 14, 30, tzinfo=BERLIN)  # Wednesday, CET (+01:00) = 13:30 UTC
BUFFER = timedelta(minutes=60)
ONE_MICROSECOND = timedelta(microseconds=1)

pytestmark = pytest.mark.usefixtures("engine")


def at(*args: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(*args, tzinfo=tz)


def dashboard_metrics(*, period: str, groups: list[str], now: datetime = NOW, config: OpsConfig | None = None) -> dict:
    """The computation with the stored config (loaded first unless given)."""
    return compute_metrics(period=period, groups=groups, config=config or OpsConfig.load(), now=now)


def booking(created_at: datetime, status: str, amount: str, staff=None) -> Booking:
    return BookingFactory(created_at=created_at, status=status, total_amount=Decimal(amount), assigned_staff=staff)


def complaint(created_at: datetime, priority: str, status: str, *, response_due, resolution_due,
              first_response_at=None, resolved_at=None, staff=None) -> Complaint:
    return ComplaintFactory(
        created_at=created_at, priority=priority, status=status, response_due_at=response_due,
        resolution_due_at=resolution_due, first_response_at=first_response_at, resolved_at=resolved_at,
        assigned_to=staff,
    )


@pytest.fixture
def dataset(configure, time_machine):
    """Bookings b1..b10, complaints c1..c10 and five staff members around NOW (figures worked out per test)."""
    time_machine.move_to(NOW, tick=False)
    configure(timezone="Europe/Berlin", sla_at_risk_buffer_minutes=60)
    zed, alice, bob = StaffFactory(name="Zed"), StaffFactory(name="Alice"), StaffFactory(name="Bob")
    carol, dave = StaffFactory(name="Carol"), StaffFactory(name="Dave", is_active=False)
    s = BookingStatus
    booking(at(2026, 11, 18), s.CONFIRMED, "0.10", zed)  # b1: exactly local midnight: today
    booking(at(2026, 11, 17, 23, 59, 59, 999999), s.COMPLETED, "0.20")  # b2: one microsecond before: not today
    booking(at(2026, 11, 16, 9), s.PENDING, "50.00", bob)  # b3
    booking(at(2026, 11, 16), s.CANCELLED, "30.00")  # b4: Monday 00:00: this week
    booking(at(2026, 11, 15, 23), s.IN_PROGRESS, "100.00", alice)  # b5: Sunday: last week, this month
    booking(at(2026, 11, 2, 10), s.COMPLETED, "200.00", alice)  # b6: done, not a load
    booking(at(2026, 11, 10, 12), s.COMPLETED, "40.00")  # b7: in last week's comparison window
    booking(at(2026, 11, 11, 14, 30), s.CONFIRMED, "1000.00", dave)  # b8: at last week's window end: excluded
    booking(at(2026, 10, 20), s.COMPLETED, "500.00")  # b9: October, after the month comparison's end
    booking(at(2026, 10, 5), s.COMPLETED, "1340.30")  # b10: in October's comparison window

    p, st = ComplaintPriority, ComplaintStatus
    complaint(  # c1: both targets unmet and overdue: breached
        at(2026, 11, 18, 9), p.CRITICAL, st.OPEN, response_due=at(2026, 11, 18, 10),
        resolution_due=at(2026, 11, 18, 13), staff=alice,
    )
    complaint(  # c2: response due exactly now + buffer: at risk
        at(2026, 11, 18, 13), p.HIGH, st.OPEN, response_due=NOW + BUFFER, resolution_due=at(2026, 11, 20), staff=bob,
    )
    complaint(  # c3: response met; resolution due now + buffer + 1µs: neither at risk nor breached
        at(2026, 11, 17, 10), p.MEDIUM, st.IN_PROGRESS, response_due=at(2026, 11, 17, 12),
        resolution_due=NOW + BUFFER + ONE_MICROSECOND, first_response_at=at(2026, 11, 17, 11), staff=dave,
    )
    complaint(  # c4: response met late (breached) although resolution is at risk: breached only
        at(2026, 11, 16, 8), p.LOW, st.ESCALATED, response_due=at(2026, 11, 16, 9),
        resolution_due=NOW + timedelta(minutes=30), first_response_at=at(2026, 11, 16, 10), staff=zed,
    )
    complaint(  # c5: both met: compliant; 1 h to respond, 24 h to resolve
        at(2026, 11, 16, 12), p.MEDIUM, st.RESOLVED, response_due=at(2026, 11, 16, 20),
        resolution_due=at(2026, 11, 18, 12), first_response_at=at(2026, 11, 16, 13),
        resolved_at=at(2026, 11, 17, 12), staff=carol,
    )
    complaint(  # c6: created last week, both met late this week: 144 h and 192 h
        at(2026, 11, 10, 10), p.HIGH, st.CLOSED, response_due=at(2026, 11, 10, 14),
        resolution_due=at(2026, 11, 11, 10), first_response_at=at(2026, 11, 16, 10), resolved_at=at(2026, 11, 18, 10),
    )
    complaint(  # c7: resolved in 1.5 h without a response, whose due time has passed: breached
        at(2026, 11, 17, 8), p.CRITICAL, st.RESOLVED, response_due=at(2026, 11, 17, 9),
        resolution_due=at(2026, 11, 17, 12), resolved_at=at(2026, 11, 17, 9, 30), staff=zed,
    )
    c8 = complaint(  # c8: exactly local midnight (today), untracked targets
        at(2026, 11, 18), p.LOW, st.OPEN, response_due=None, resolution_due=None, staff=zed,
    )
    Complaint.objects.filter(pk=c8.pk).update(response_due_at=None, resolution_due_at=None)
    complaint(  # c9: response due exactly now, unmet: not breached yet, at risk
        at(2026, 11, 1, 10), p.MEDIUM, st.OPEN, response_due=NOW, resolution_due=at(2026, 11, 25), staff=zed,
    )
    complaint(  # c10: one microsecond before midnight; responded exactly at the due time: met
        at(2026, 11, 17, 23, 59, 59, 999999), p.LOW, st.RESOLVED, response_due=at(2026, 11, 18),
        resolution_due=at(2026, 11, 20), first_response_at=at(2026, 11, 18), resolved_at=at(2026, 11, 18, 1),
    )
    return {"zed": zed, "alice": alice, "bob": bob, "carol": carol}


def test_week_payload_every_field(dataset):
    payload = dashboard_metrics(period="week", groups=list(ALL_GROUPS))

    assert list(payload) == [
        "period", "timezone", "window", "comparison", "generated_at", *ALL_GROUPS, "redacted",
    ]
    assert payload["period"] == "week"
    assert payload["timezone"] == "Europe/Berlin"
    assert payload["window"] == {"start": at(2026, 11, 16), "end": NOW}
    assert payload["window"]["start"].isoformat() == "2026-11-16T00:00:00+01:00"
    assert payload["comparison"] == {
        "current": {"start": at(2026, 11, 16), "end": NOW},
        "previous": {"start": at(2026, 11, 9), "end": at(2026, 11, 11, 14, 30)},
    }
    assert payload["comparison"]["previous"]["end"].isoformat() == "2026-11-11T14:30:00+01:00"
    assert payload["generated_at"] == NOW and payload["generated_at"].tzinfo is UTC
    assert payload["redacted"] == []

    # b1 b2 b3 b4 this week; b7 in last week's comparison window (b8 sits on its excluded end).
    assert payload["bookings"] == {
        "by_status": {"pending": 1, "confirmed": 1, "in_progress": 0, "completed": 1, "cancelled": 1},
        "total": 4,
        "today": 1,
        "week": 4,
        "month": 8,
        "growth_rate": 300.0,  # (4 - 1) / 1
        "previous": 1,
    }
    revenue = payload["revenue"]
    assert revenue == {
        "total": Decimal("0.30"),  # 0.10 + 0.20, cent-exact
        "by_status": {
            "pending": Decimal("50.00"), "confirmed": Decimal("0.10"), "in_progress": Decimal("0.00"),
            "completed": Decimal("0.20"), "cancelled": Decimal("30.00"),
        },
        "today": Decimal("0.10"),
        "week": Decimal("0.30"),
        "month": Decimal("1340.30"),  # 0.10 + 0.20 + 100 + 200 + 40 + 1000
        "average_order_value": Decimal("0.15"),
        "growth_rate": -99.3,  # (0.30 - 40) / 40 = -99.25, half away from zero
        "previous": Decimal("40.00"),
        "currency": "USD",
    }
    assert all(str(v) == f"{v:.2f}" for v in (revenue["total"], revenue["by_status"]["in_progress"]))

    assert payload["complaints"] == {
        "by_priority": {"low": 3, "medium": 2, "high": 1, "critical": 2},
        "by_status": {"open": 3, "in_progress": 1, "resolved": 3, "closed": 0, "escalated": 1},
        "total": 8,
        "unresolved": 5,
        "today": 3,  # c1, c2 and c8 (at midnight); not c10 (1µs before)
        "avg_resolution_hours": 54.63,  # (24 + 192 + 1.5 + 1h1µs) / 4 = 54.625, half up
    }
    assert payload["sla"] == {
        "at_risk": 2,  # c2 (due at now + buffer), c9 (due at now)
        "breached": 2,  # c1 (overdue), c4 (responded late)
        "by_priority": {
            "low": {"at_risk": 0, "breached": 1},
            "medium": {"at_risk": 1, "breached": 0},
            "high": {"at_risk": 1, "breached": 0},
            "critical": {"at_risk": 0, "breached": 1},
        },
        "compliance_rate": 50.0,  # resolved this week: c5 and c10 clean, c6 and c7 breached
        "avg_response_hours": 29.6,  # (1 + 2 + 1 + 144 + 1µs) / 5
        "avg_resolution_hours": 54.63,
        # The default policies have no calendar: save() stored elapsed time as the business time.
        "avg_response_business_hours": 29.6,
        "avg_resolution_business_hours": 54.63,
    }
    z, a, b, c = (dataset[name].pk for name in ("zed", "alice", "bob", "carol"))
    assert payload["realtime"] == {
        "active_bookings": 1,  # b5
        "pending_bookings": 3,  # b1, b3, b8 (whatever their date)
        "active_complaints": 5,  # c1 c2 c8 c9 open, c3 in progress (c4 escalated is not "active")
        "critical_complaints": 1,  # c1 (c7 is resolved)
        "staff_workload": [
            {"staff_id": z, "name": "Zed", "bookings": 1, "complaints": 3, "total": 4},
            {"staff_id": a, "name": "Alice", "bookings": 1, "complaints": 1, "total": 2},
            {"staff_id": b, "name": "Bob", "bookings": 1, "complaints": 1, "total": 2},
            {"staff_id": c, "name": "Carol", "bookings": 0, "complaints": 0, "total": 0},
        ],
    }


def test_today_period(dataset):
    payload = dashboard_metrics(period="today", groups=list(ALL_GROUPS), now=NOW)
    assert payload["window"] == {"start": at(2026, 11, 18), "end": NOW}
    assert payload["comparison"]["previous"] == {"start": at(2026, 11, 17), "end": at(2026, 11, 17, 14, 30)}
    bookings = payload["bookings"]
    assert bookings["by_status"] == {"pending": 0, "confirmed": 1, "in_progress": 0, "completed": 0, "cancelled": 0}
    assert (bookings["total"], bookings["previous"], bookings["growth_rate"]) == (1, 0, None)  # from zero
    assert (bookings["today"], bookings["week"], bookings["month"]) == (1, 4, 8)  # fixed, whatever the period
    revenue = payload["revenue"]
    assert (revenue["total"], revenue["average_order_value"]) == (Decimal("0.10"), Decimal("0.10"))
    assert (revenue["previous"], revenue["growth_rate"]) == (Decimal("0.00"), None)
    complaints = payload["complaints"]
    assert (complaints["total"], complaints["unresolved"], complaints["today"]) == (3, 3, 3)
    assert complaints["by_priority"] == {"low": 1, "medium": 0, "high": 1, "critical": 1}
    assert complaints["avg_resolution_hours"] == 96.5  # c6 192 h, c10 1 h
    sla = payload["sla"]
    assert (sla["compliance_rate"], sla["avg_response_hours"]) == (50.0, 0.0)  # c10 responded 1µs after creation
    assert (sla["at_risk"], sla["breached"]) == (2, 2)  # "now" figures ignore the period


def test_month_period(dataset):
    payload = dashboard_metrics(period="month", groups=["bookings", "revenue", "complaints"], now=NOW)
    assert payload["comparison"]["previous"] == {"start": at(2026, 10, 1), "end": at(2026, 10, 18, 14, 30)}
    assert payload["bookings"]["by_status"] == {
        "pending": 1, "confirmed": 2, "in_progress": 1, "completed": 3, "cancelled": 1,
    }
    assert (payload["bookings"]["total"], payload["bookings"]["previous"]) == (8, 1)  # b10 only
    assert payload["bookings"]["growth_rate"] == 700.0
    revenue = payload["revenue"]
    assert revenue["total"] == Decimal("1340.30")
    assert revenue["by_status"]["confirmed"] == Decimal("1000.10")
    assert revenue["average_order_value"] == Decimal("223.38")  # 1340.30 / 6
    assert (revenue["previous"], revenue["growth_rate"]) == (Decimal("1340.30"), 0.0)  # flat
    assert payload["complaints"]["total"] == 10


def test_all_period_compares_months(dataset):
    payload = dashboard_metrics(period="all", groups=["bookings", "revenue"], now=NOW)
    assert payload["window"] == {"start": None, "end": NOW}
    assert payload["comparison"]["current"] == {"start": at(2026, 11, 1), "end": NOW}
    bookings, revenue = payload["bookings"], payload["revenue"]
    assert bookings["by_status"] == {"pending": 1, "confirmed": 2, "in_progress": 1, "completed": 5, "cancelled": 1}
    assert (bookings["total"], bookings["previous"], bookings["growth_rate"]) == (10, 1, 700.0)
    assert revenue["total"] == Decimal("3180.60")
    assert revenue["average_order_value"] == Decimal("397.58")  # 3180.60 / 8 = 397.575, half up
    assert (revenue["previous"], revenue["growth_rate"]) == (Decimal("1340.30"), 0.0)


def test_only_requested_groups_in_canonical_order(dataset):
    payload = dashboard_metrics(period="week", groups=["realtime", "sla"], now=NOW)
    assert list(payload) == ["period", "timezone", "window", "comparison", "generated_at", "sla", "realtime", "redacted"]


@pytest.mark.parametrize(("period", "groups"), [("year", ["bookings"]), ("week", ["bookings", "profit"])])
def test_unknown_period_or_group_is_a_value_error(db, period, groups):
    with pytest.raises(ValueError):
        dashboard_metrics(period=period, groups=groups, now=NOW)


def test_empty_database_gives_zeroes_and_nulls(configure):
    configure(timezone="Europe/Berlin")
    payload = dashboard_metrics(period="week", groups=list(ALL_GROUPS), now=NOW)
    assert payload["bookings"]["growth_rate"] is None
    assert payload["revenue"]["total"] == Decimal("0.00") and str(payload["revenue"]["total"]) == "0.00"
    assert payload["revenue"]["average_order_value"] is None
    assert payload["complaints"]["avg_resolution_hours"] is None
    assert (payload["sla"]["compliance_rate"], payload["sla"]["avg_response_hours"]) == (None, None)
    assert payload["realtime"]["staff_workload"] == []


@pytest.mark.parametrize(
    ("tz_name", "now", "midnight_utc", "hours_so_far"),
    [
        ("Europe/Berlin", at(2026, 3, 29, 23, 30), datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 22.5),  # 23 h day
        ("Europe/Berlin", at(2026, 10, 25, 23, 30), datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 24.5),  # 25 h day
        ("America/New_York", at(2026, 3, 8, 23, 30, tz=NEW_YORK), datetime(2026, 3, 8, 5, 0, tzinfo=UTC), 22.5),
        ("America/New_York", at(2026, 11, 1, 23, 30, tz=NEW_YORK), datetime(2026, 11, 1, 4, 0, tzinfo=UTC), 24.5),
    ],
)
def test_today_on_dst_days_counts_from_local_midnight(configure, tz_name, now, midnight_utc, hours_so_far):
    configure(timezone=tz_name)
    booking(midnight_utc, BookingStatus.PENDING, "1.00")  # exactly local midnight: today
    booking(midnight_utc - ONE_MICROSECOND, BookingStatus.PENDING, "2.00")  # yesterday 23:59:59.999999
    booking(now - ONE_MICROSECOND, BookingStatus.CONFIRMED, "4.00")
    payload = dashboard_metrics(period="today", groups=["bookings", "revenue"], now=now)
    assert payload["window"]["start"] == midnight_utc
    # Local datetimes sharing a tzinfo subtract by wall clock, so measure elapsed time in UTC.
    start, end = (payload["window"][k].astimezone(UTC) for k in ("start", "end"))
    assert (end - start) / timedelta(hours=1) == hours_so_far
    assert payload["window"]["start"].utcoffset() != payload["window"]["end"].utcoffset()
    assert (payload["bookings"]["total"], payload["bookings"]["today"]) == (2, 2)
    assert payload["revenue"]["by_status"]["pending"] == Decimal("1.00")
    assert payload["revenue"]["total"] == Decimal("4.00")
    # Yesterday's comparison window ends at 23:30, before the booking at 23:59:59.999999.
    assert (payload["bookings"]["previous"], payload["bookings"]["growth_rate"]) == (0, None)


def test_week_and_month_counts_across_dst_in_new_york(configure):
    configure(timezone="America/New_York")
    now = at(2026, 11, 4, 10, tz=NEW_YORK)  # Wednesday; 1 November (EDT) began the month, Monday 2nd (EST) the week
    booking(datetime(2026, 11, 2, 5, 0, tzinfo=UTC), BookingStatus.PENDING, "1.00")  # Mon 00:00 EST
    booking(datetime(2026, 11, 2, 4, 59, 59, 999999, tzinfo=UTC), BookingStatus.PENDING, "1.00")
    booking(datetime(2026, 11, 1, 4, 0, tzinfo=UTC), BookingStatus.PENDING, "1.00")  # 1 Nov 00:00 EDT
    booking(datetime(2026, 11, 1, 3, 59, 59, 999999, tzinfo=UTC), BookingStatus.PENDING, "1.00")
    bookings = dashboard_metrics(period="week", groups=["bookings"], now=now)["bookings"]
    assert (bookings["week"], bookings["month"], bookings["total"]) == (1, 3, 1)


def test_cent_exact_sums_never_float(configure):
    configure(timezone="UTC")
    for amount in ("0.10", "0.20", "0.10", "0.20", "0.10", "0.20", "0.01"):
        booking(NOW - timedelta(hours=1), BookingStatus.COMPLETED, amount)
    revenue = dashboard_metrics(period="today", groups=["revenue"], now=NOW)["revenue"]
    assert revenue["total"] == Decimal("0.91") and isinstance(revenue["total"], Decimal)
    assert revenue["average_order_value"] == Decimal("0.13")  # 0.91 / 7
    assert all(isinstance(v, Decimal) for v in revenue["by_status"].values())


def _metrics_queries(period: str, groups: list[str]) -> list[str]:
    config = OpsConfig.load()  # read before counting, so only metrics queries are counted
    with CaptureQueriesContext(connections["default"]) as ctx:
        dashboard_metrics(period=period, groups=groups, now=NOW, config=config)
    return [q["sql"] for q in ctx.captured_queries]


def _bulk_data(size: int) -> None:
    staff = StaffFactory.create_batch(3)
    Booking.objects.bulk_create(
        Booking(reference=f"BULK-{size}-{i}", customer_name="x", status=BookingStatus.values[i % 5],
                total_amount=Decimal("9.99"), assigned_staff=staff[i % 3], created_at=NOW - timedelta(hours=i))
        for i in range(size)
    )
    Complaint.objects.bulk_create(
        Complaint(subject="x", priority=ComplaintPriority.values[i % 4], status=ComplaintStatus.values[i % 5],
                  assigned_to=staff[i % 3], created_at=NOW - timedelta(hours=i), response_due_at=NOW,
                  resolution_due_at=NOW + timedelta(hours=i - 100), first_response_at=NOW - timedelta(minutes=i),
                  resolved_at=NOW - timedelta(minutes=i) if i % 2 else None)
        for i in range(size)
    )


# What each group may read: its raw table and the summaries that follow it (the rollup engine's).
GROUP_SOURCES = {
    "bookings": ("bookings_booking", "ops_rollup_booking", "ops_rollup_open_booking", "ops_rollup_staff_booking"),
    "complaints": ("complaints_complaint", "ops_rollup_complaint", "ops_rollup_open_complaint",
                   "ops_rollup_staff_complaint"),
    "staff": ("staff_staff",),
}


def _sources(sql: str) -> set[str]:
    """The kinds of table (bookings, complaints, staff) a query reads."""
    return {kind for kind, tables in GROUP_SOURCES.items() if any(f'"{table}' in sql or f" {table}" in sql
                                                                   for table in tables)}


@pytest.mark.parametrize(
    ("groups", "kinds"),
    [
        (["bookings"], {"bookings"}),
        (["revenue"], {"bookings"}),
        (["bookings", "revenue"], {"bookings"}),
        (["complaints"], {"complaints"}),
        (["sla"], {"complaints"}),
        (["complaints", "sla"], {"complaints"}),
        (["realtime"], {"bookings", "complaints", "staff"}),
        (list(ALL_GROUPS), {"bookings", "complaints", "staff"}),
    ],
)
@pytest.mark.parametrize("period", ["today", "all"])
def test_query_count_is_constant_and_only_requested_tables_are_read(configure, groups, kinds, period):
    configure(timezone="Europe/Berlin")
    counts = []
    for size in (5, 200):
        _bulk_data(size)
        queries = _metrics_queries(period, groups)
        counts.append(len(queries))
        assert set().union(*(_sources(sql) for sql in queries)) == kinds
    assert counts[0] == counts[1]


@pytest.fixture
def replica(db, settings):
    """A second alias for the test database, standing in for a read replica (OPS_METRICS_DATABASE points at it)."""
    connections.settings["replica"] = {**connections["default"].settings_dict, "TEST": {"MIRROR": "default"}}
    replica = connections["replica"]
    # Its own wrapper, so its own query log, but default's session underneath (as a test mirror is meant to
    # behave), so the rows of the test's uncommitted transaction are visible to it.
    connections["default"].ensure_connection()
    replica.connection = connections["default"].connection
    settings.OPS_METRICS_DATABASE = "replica"
    yield replica
    replica.connection = None  # default's session is not the replica's to close
    del connections["replica"]
    del connections.settings["replica"]


def test_metrics_queries_run_on_the_ops_metrics_database_alias(replica, configure):
    configure(timezone="Europe/Berlin")
    staff = StaffFactory(name="Replica Ruth")
    booking(NOW - timedelta(hours=1), BookingStatus.IN_PROGRESS, "12.34", staff)
    complaint(NOW - timedelta(hours=1), ComplaintPriority.CRITICAL, ComplaintStatus.OPEN,
              response_due=NOW - timedelta(minutes=1), resolution_due=NOW + BUFFER, staff=staff)
    config = OpsConfig.load()  # the config row is read from default by the caller
    with CaptureQueriesContext(connections["default"]) as on_default, CaptureQueriesContext(replica) as on_replica:
        payload = dashboard_metrics(period="today", groups=list(ALL_GROUPS), now=NOW, config=config)
    assert on_default.captured_queries == []
    assert on_replica.captured_queries
    assert payload["revenue"]["total"] == Decimal("12.34")
    assert (payload["sla"]["breached"], payload["realtime"]["critical_complaints"]) == (1, 1)
    assert payload["realtime"]["staff_workload"][0]["total"] == 2
