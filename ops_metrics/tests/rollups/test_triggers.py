"""Rollup summaries: every writer keeps them exact, the engine equals scan; rebuild, verify, compact, selection."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import import_module
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test import override_settings

from bookings.factories import BookingFactory
from bookings.models import Booking, BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import Complaint, ComplaintPriority, ComplaintStatus
from ops_metrics.engines import rollup, scan
from ops_metrics.engines.rollup import EPOCH, RAW, pieces
from ops_metrics.engines.selection import select_engine
from ops_metrics.models import (
    OpenBookingRollup,
    OpenComplaintRollup,
    StaffBookingRollup,
    StaffBookingTotal,
    StaffComplaintCreatedRollup,
    StaffComplaintCreatedTotal,
    StaffComplaintResolvedRollup,
    StaffComplaintResolvedTotal,
    StaffComplaintRespondedRollup,
    StaffComplaintRespondedTotal,
)
from ops_metrics.rollups.maintenance import compact, mark_stale, rebuild
from ops_metrics.rollups.sql import (
    COMPACT_PROBABILITY,
    DAY,
    DIRECT_FOLD_ROWS,
    FINE,
    BookingRollup,
    ComplaintResolvedRollup,
    ComplaintRespondedRollup,
)
from ops_metrics.rollups.state import rollups_current, summary_differences
from ops_metrics.rollups.triggers import SOURCE_MODELS
from ops_metrics.tests.rollups.support import assert_engines_agree, pin_database_clock
from ops_metrics.windows.periods import Window

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the summaries exist only on PostgreSQL")

NOW = datetime(2026, 11, 18, 13, 37, 12, 345678, tzinfo=UTC)
H = timedelta(hours=1)


def _complaint(created_at: datetime, **fields) -> Complaint:
    fields.setdefault("response_due_at", created_at + 4 * H)
    fields.setdefault("resolution_due_at", created_at + 24 * H)
    return ComplaintFactory(created_at=created_at, **fields)


@pytest.fixture
def history(db):
    """A few bookings and complaints around NOW, some exactly on bucket edges, some after NOW."""
    for hours in (0, 0.25, 1, 13.62, 24, 24 * 3.5, 24 * 20, 24 * 40, 24 * 400, -2):
        BookingFactory(created_at=NOW - hours * H, status=BookingStatus.values[int(hours) % 5],
                       total_amount=Decimal("10.05") + Decimal(int(hours)))
    for index, hours in enumerate((0.5, 3, 26, 24 * 9, 24 * 45, 24 * 500)):
        created = NOW - hours * H
        _complaint(created, priority=ComplaintPriority.values[index % 4], status=ComplaintStatus.RESOLVED,
                   first_response_at=created + (index % 3) * 3 * H if index % 2 else None,
                   resolved_at=created + (index + 1) * 5 * H)
        _complaint(created, status=ComplaintStatus.OPEN)


@pytest.fixture(autouse=True)
def _database_clock(request):
    if "db" in request.fixturenames or "history" in request.fixturenames:
        request.getfixturevalue("db")
        pin_database_clock(NOW)


def _deltas(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}_delta")
        return cursor.fetchone()[0]


def _assert_exact() -> None:
    assert summary_differences(using="default") == {}


def test_pieces_cut_a_window_into_raw_head_fine_days_fine_raw_tail():
    start, end = datetime(2026, 11, 10, 23, 10, 5, tzinfo=UTC), datetime(2026, 11, 14, 6, 40, 1, tzinfo=UTC)
    assert pieces(Window(start, end)) == [
        (RAW, start, datetime(2026, 11, 10, 23, 15, tzinfo=UTC)),
        (FINE, datetime(2026, 11, 10, 23, 15, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC)),
        (DAY, datetime(2026, 11, 11, tzinfo=UTC), datetime(2026, 11, 14, tzinfo=UTC)),
        (FINE, datetime(2026, 11, 14, tzinfo=UTC), datetime(2026, 11, 14, 6, 30, tzinfo=UTC)),
        (RAW, datetime(2026, 11, 14, 6, 30, tzinfo=UTC), end),
    ]
    assert pieces(Window(None, end)) == [
        (DAY, None, datetime(2026, 11, 14, tzinfo=UTC)),
        (FINE, datetime(2026, 11, 14, tzinfo=UTC), datetime(2026, 11, 14, 6, 30, tzinfo=UTC)),
        (RAW, datetime(2026, 11, 14, 6, 30, tzinfo=UTC), end),
    ]
    # Kathmandu's midnight (+05:45) is on the 15-minute grid: no raw head.
    midnight = datetime(2026, 11, 14, tzinfo=ZoneInfo("Asia/Kathmandu")).astimezone(UTC)
    assert [kind for kind, _, _ in pieces(Window(midnight, end))] == [FINE, RAW]
    assert pieces(Window(end, end)) == []
    assert pieces(Window(end - timedelta(minutes=1), end)) == [(RAW, end - timedelta(minutes=1), end)]


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"])
def test_engine_equals_scan_field_for_field(history, timezone):
    _assert_exact()
    for now in (NOW, NOW - 3 * H, NOW + 48 * H):
        assert_engines_agree(now=now, timezone=timezone)


def test_orm_writes_queryset_update_bulk_create_raw_sql_and_deletes_keep_the_summaries_exact(history):
    booking = Booking.objects.first()
    booking.status, booking.total_amount, booking.created_at = BookingStatus.CANCELLED, Decimal("99.99"), NOW - 50 * H
    booking.save()
    Booking.objects.filter(status=BookingStatus.PENDING).update(status=BookingStatus.CONFIRMED)
    Booking.objects.update(payment_status="paid")  # no tracked column: cancels out
    Complaint.objects.filter(resolved_at__isnull=False).update(resolved_at=None, status=ComplaintStatus.OPEN)
    Complaint.objects.filter(first_response_at__isnull=True).update(first_response_at=NOW - H)
    Complaint.objects.filter(priority=ComplaintPriority.LOW).update(response_due_at=NOW - 100 * H)
    Booking.objects.bulk_create(
        Booking(reference=f"BULK-{i}", customer_name="x", total_amount=Decimal("1.01"), created_at=NOW - i * H)
        for i in range(30)
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_complaint SET resolved_at = created_at + interval '7 hours' WHERE id % 2 = 0")
        cursor.execute("DELETE FROM bookings_booking WHERE id % 3 = 0")
    Booking.objects.filter(pk__in=Booking.objects.values("pk")[:2]).delete()  # complaints' FK: SET_NULL
    Complaint.objects.filter(pk=Complaint.objects.values("pk")[:1]).delete()
    _assert_exact()
    assert_engines_agree(now=NOW, timezone="Europe/Berlin")


def test_business_time_writes_keep_the_summaries_exact_and_null_counts_in_neither_sum(history):
    Complaint.objects.filter(priority=ComplaintPriority.LOW).update(response_business_time=None)
    Complaint.objects.filter(resolved_at__isnull=False).update(resolution_business_time=F("resolved_at") - F("created_at") - H)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_complaint SET response_business_time = interval '17 minutes 3.000001 seconds' "
                       "WHERE id % 2 = 0 AND first_response_at IS NOT NULL")
    Complaint.objects.bulk_create([
        Complaint(subject="bulk", created_at=NOW - 5 * H, first_response_at=NOW - 4 * H, resolved_at=NOW - 2 * H,
                  response_business_time=timedelta(minutes=7), resolution_business_time=None),
    ])
    _assert_exact()
    compact(using="default")
    _assert_exact()
    measured = Complaint.objects.filter(resolved_at__isnull=False, resolution_business_time__isnull=False)
    folded = ComplaintResolvedRollup.objects.filter(grain=DAY)
    assert measured.count() == Complaint.objects.filter(resolved_at__isnull=False).count() - 1  # the bulk row: NULL
    assert sum(folded.values_list("business_count", flat=True)) == measured.count()
    assert sum(folded.values_list("business_us", flat=True)) == sum(
        (c.resolution_business_time for c in measured), timedelta()) // timedelta(microseconds=1)
    for now in (NOW, NOW + 48 * H):
        assert_engines_agree(now=now, timezone="Europe/Berlin")


def test_copy_keeps_the_summaries_exact(db):
    with connection.cursor() as cursor, cursor.cursor.copy(
        "COPY bookings_booking (reference, customer_name, status, payment_status, total_amount, created_at, "
        "updated_at) FROM STDIN"
    ) as copy:
        for i in range(50):
            copy.write_row((f"COPY-{i}", "x", "completed", "paid", Decimal("2.50"), NOW - i * 7 * H, NOW))
    _assert_exact()
    compact(using="default")
    assert sum(BookingRollup.objects.filter(grain=DAY).values_list("count", flat=True)) == 50


def test_truncate_empties_the_summaries(history):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE bookings_booking, complaints_complaint")
    _assert_exact()
    assert not BookingRollup.objects.exists()
    assert not ComplaintResolvedRollup.objects.exists()
    assert _deltas("ops_rollup_booking") == _deltas("ops_rollup_complaint_resolved") == 0


def test_resolved_with_response_pending_turns_breached_when_now_passes_its_due_time(db):
    created = NOW - 10 * H
    _complaint(created, status=ComplaintStatus.RESOLVED, resolved_at=NOW - H, response_due_at=NOW + H,
               resolution_due_at=NOW + 5 * H)
    for now, rate in ((NOW, 100.0), (NOW + H, 100.0), (NOW + H + timedelta(microseconds=1), 0.0)):
        assert_engines_agree(now=now, timezone="UTC")
        totals = rollup.complaint_totals(created={}, resolved_in=Window(None, now), responded_in=None,
                                         sla_at=(now, now + H), backlog=False, using="default")
        assert totals.compliant == (1 if rate else 0)


def test_a_timezone_change_needs_no_rebuild(history):
    for timezone in ("Europe/Berlin", "Pacific/Auckland", "Asia/Kathmandu"):
        with override_settings(OPS_METRICS_ENGINE="auto"):
            assert select_engine(using="default") is rollup
        assert_engines_agree(now=NOW, timezone=timezone)


def test_auto_selects_scan_until_a_rebuild_marks_the_summaries_current(history):
    with override_settings(OPS_METRICS_ENGINE="auto"):
        assert select_engine(using="default") is rollup
        mark_stale(using="default")
        assert not rollups_current(using="default")
        assert select_engine(using="default") is scan
        rebuild(using="default")
        assert select_engine(using="default") is rollup
    with override_settings(OPS_METRICS_ENGINE="scan"):
        assert select_engine(using="default") is scan
    with override_settings(OPS_METRICS_ENGINE="rollup"):
        mark_stale(using="default")
        assert select_engine(using="default") is rollup


def test_rebuild_recomputes_what_writes_without_triggers_left_behind(history):
    with connection.cursor() as cursor:
        # As a restore or a logical-replication apply worker writes: with the triggers off.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE bookings_booking SET status = 'cancelled', total_amount = total_amount + 1")
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert "ops_rollup_booking" in summary_differences(using="default")
    rebuild(using="default", progress=False)
    _assert_exact()
    assert _deltas("ops_rollup_booking") == 0
    assert_engines_agree(now=NOW, timezone="America/St_Johns")


def test_compact_folds_deltas_into_one_row_per_key_and_changes_no_total(history):
    for booking in Booking.objects.all():
        booking.status = BookingStatus.COMPLETED
        booking.save()
    compact(using="default")
    assert _deltas("ops_rollup_booking") == 0
    assert not BookingRollup.objects.filter(count=0, amount=0).exists()
    _assert_exact()
    assert_engines_agree(now=NOW, timezone="UTC")


def _no_chance_compaction_next() -> None:
    """Seed random() so that the next statement's draw does not fold the deltas in by chance (COMPACT_PROBABILITY)."""
    with connection.cursor() as cursor:
        for seed in (0.1, 0.2, 0.3, 0.4, 0.5):
            cursor.execute("SELECT setseed(%s), random()", [seed])
            if cursor.fetchone()[1] >= COMPACT_PROBABILITY:
                cursor.execute("SELECT setseed(%s)", [seed])
                return
    raise AssertionError("no seed found")


def _bulk(count: int, prefix: str) -> None:
    Booking.objects.bulk_create(
        Booking(reference=f"{prefix}-{i}", customer_name="x", total_amount=Decimal("1.01"), created_at=NOW - i * H)
        for i in range(count)
    )


def test_a_statement_of_direct_fold_rows_folds_its_own_rows_in_directly_one_less_writes_deltas(db):
    _no_chance_compaction_next()
    _bulk(DIRECT_FOLD_ROWS - 1, "SMALL")
    assert _deltas("ops_rollup_booking") > 0
    assert not BookingRollup.objects.exists()
    _assert_exact()
    _bulk(DIRECT_FOLD_ROWS, "BULK")  # folds the pending deltas with its own rows
    assert _deltas("ops_rollup_booking") == 0
    days = {(NOW - i * H).date() for i in range(DIRECT_FOLD_ROWS)}
    assert BookingRollup.objects.filter(grain=DAY).count() == len(days)
    Booking.objects.filter(pk__in=Booking.objects.values("pk")[:10]).update(status=BookingStatus.CANCELLED)
    _assert_exact()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bookings_booking")
        assert cursor.fetchone()[0] == 2 * DIRECT_FOLD_ROWS - 1
        cursor.execute(f"UPDATE bookings_booking SET total_amount = total_amount + 1 WHERE id IN (SELECT id FROM "
                       f"bookings_booking ORDER BY id LIMIT {DIRECT_FOLD_ROWS})")
    assert _deltas("ops_rollup_booking") == 0
    _assert_exact()


def test_small_statements_fold_the_deltas_in_now_and_then(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.5)")
    pending = []
    for index in range(100):
        Booking.objects.create(reference=f"ONE-{index}", customer_name="x", total_amount=Decimal("2"),
                               created_at=NOW - index * H)
        pending.append(_deltas("ops_rollup_booking"))
    assert 0 < pending.count(0) < 20, "folded in by chance, about COMPACT_PROBABILITY of the statements"
    _assert_exact()


def test_verify_exits_1_naming_the_day_of_a_corrupted_summary_row(history):
    call_command("ops_rollups", "verify", "--windows", "20", "--seed", "1", stdout=StringIO())
    compact(using="default")
    day = (NOW - 24 * 40 * H).replace(hour=0, minute=0, second=0, microsecond=0)
    row = BookingRollup.objects.get(grain=DAY, bucket=day)
    row.count += 1
    row.save()
    with pytest.raises(CommandError) as error:
        call_command("ops_rollups", "verify", "--windows", "20", "--seed", "1", stdout=StringIO())
    assert error.value.returncode == 1
    assert f"ops_rollup_booking differs from the raw rows on UTC day(s): {row.bucket.date().isoformat()}" in str(
        error.value
    )
    assert "rollup and scan differ over" in str(error.value)


@pytest.mark.parametrize("model", [
    StaffBookingRollup, StaffComplaintCreatedRollup, StaffComplaintResolvedRollup, StaffComplaintRespondedRollup,
    StaffBookingTotal, StaffComplaintCreatedTotal, StaffComplaintResolvedTotal, StaffComplaintRespondedTotal,
    OpenBookingRollup, OpenComplaintRollup,
])
def test_verify_covers_the_per_staff_and_open_work_summaries(history, model):
    compact(using="default")
    call_command("ops_rollups", "verify", "--windows", "20", "--seed", "1", stdout=StringIO())
    rows = list(model.objects.order_by("bucket", "staff"))
    row = rows[len(rows) // 2]  # a day inside the random windows (an all-time row has one bucket)
    row.count += 1
    row.save()
    with pytest.raises(CommandError) as error:
        call_command("ops_rollups", "verify", "--windows", "20", "--seed", "1", stdout=StringIO())
    assert f"{model._meta.db_table} differs from the raw rows on UTC day(s): {row.bucket.date().isoformat()}" in str(
        error.value
    )
    if row.bucket == EPOCH:  # an all-time or open-work row: every unbounded random window reads it
        assert "rollup and scan differ over" in str(error.value)


@pytest.mark.parametrize("model", [ComplaintResolvedRollup, ComplaintRespondedRollup])
@pytest.mark.parametrize("column", ["business_us", "business_count"])
def test_verify_checks_the_business_time_columns(history, model, column):
    compact(using="default")
    row = model.objects.filter(grain=DAY).order_by("bucket").last()
    setattr(row, column, getattr(row, column) + 1)
    row.save()
    with pytest.raises(CommandError) as error:
        call_command("ops_rollups", "verify", "--windows", "20", "--seed", "1", stdout=StringIO())
    assert f"{model._meta.db_table} differs from the raw rows on UTC day(s): {row.bucket.date().isoformat()}" in str(
        error.value
    )


@pytest.mark.parametrize(("business_time", "current"), [(None, True), (timedelta(hours=2), False)])
def test_the_business_time_migration_marks_the_summaries_stale_only_when_a_complaint_has_one(
    db, business_time, current
):
    """Summary rows from before it hold 0 in the new columns: exact only while no complaint has a business time."""
    migration = import_module("ops_metrics.migrations.0013_rollup_business_time")
    rebuild(using="default")
    _complaint(NOW - 5 * H, first_response_at=NOW - H)
    Complaint.objects.update(response_business_time=business_time)
    migration.mark_stale_if_needed(None, SimpleNamespace(connection=connection))
    assert rollups_current(using="default") is current


def test_rebuild_command_and_status(history):
    mark_stale(using="default")
    out = StringIO()
    call_command("ops_rollups", "status", stdout=out)
    call_command("ops_rollups", "rebuild", "--if-stale", stdout=out, verbosity=0)
    call_command("ops_rollups", "rebuild", "--if-stale", stdout=out, verbosity=0)
    call_command("ops_rollups", "compact", stdout=out)
    call_command("ops_rollups", "status", stdout=out)
    assert out.getvalue().splitlines() == [
        "not current (run: ops_rollups rebuild)", "summaries rebuilt from the raw rows",
        "summaries are current: nothing to rebuild", "0 keys folded in", "current",
    ]


def test_the_migrations_installed_exactly_the_triggers_the_code_declares(db):
    """The test database is built by the migrations: a trigger body changed without `makemigrations` is OUTDATED."""
    for model in SOURCE_MODELS:
        pgids = set()
        for trigger in model._meta.triggers:
            assert trigger.get_installation_status(model) == ("INSTALLED", True), trigger.get_uri(model)
            pgids.add(trigger.get_pgid(model))
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                           [model._meta.db_table])
            assert {name for (name,) in cursor.fetchall()} == pgids  # 0005's raw triggers are gone
