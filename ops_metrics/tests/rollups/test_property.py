"""Property: after any sequence of writes, the rollup engine equals scan field for field (and verify is clean)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.models import Booking, BookingStatus
from complaints.models import Complaint, ComplaintPriority, ComplaintStatus
from ops_metrics.rollups.maintenance import compact
from ops_metrics.rollups.state import summary_differences
from ops_metrics.tests.rollups.support import assert_engines_agree, pin_database_clock

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the summaries exist only on PostgreSQL")

# Both 2026 DST changes of Europe/Berlin (29 March, 25 October, 01:00 UTC), each `now` a little after one of them.
NOWS = (
    datetime(2026, 3, 29, 9, 7, 13, 250000, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 11, 2, 0, 44, 59, 999999, tzinfo=UTC),
)
TIMEZONES = ("UTC", "Europe/Berlin", "Asia/Kathmandu", "Pacific/Auckland", "America/St_Johns")

# Instants near one of the `now`s (some after it), on and off the 15-minute and day grids.
instants = st.builds(
    lambda now, minutes, micros: now + timedelta(minutes=minutes, microseconds=micros),
    st.sampled_from(NOWS),
    st.one_of(st.integers(-45 * 24 * 60, 2 * 24 * 60), st.sampled_from([-15, -1, 0, 1, 15, -24 * 60, -34 * 24 * 60])),
    st.one_of(st.just(0), st.integers(-60_000_000, 60_000_000)),
)
maybe_instants = st.one_of(st.none(), instants)
amounts = st.decimals(min_value=0, max_value=Decimal("9999.99"), places=2, allow_nan=False, allow_infinity=False)
booking_fields = st.fixed_dictionaries({
    "status": st.sampled_from(BookingStatus.values), "total_amount": amounts, "created_at": instants,
})
complaint_fields = st.fixed_dictionaries({
    "priority": st.sampled_from(ComplaintPriority.values), "status": st.sampled_from(ComplaintStatus.values),
    "created_at": instants, "response_due_at": maybe_instants, "resolution_due_at": maybe_instants,
    "first_response_at": maybe_instants, "resolved_at": maybe_instants,
})
BOOKING_COLUMNS = {"status": st.sampled_from(BookingStatus.values), "total_amount": amounts, "created_at": instants}
COMPLAINT_COLUMNS = {
    "priority": st.sampled_from(ComplaintPriority.values), "status": st.sampled_from(ComplaintStatus.values),
    "created_at": instants, "response_due_at": maybe_instants, "resolution_due_at": maybe_instants,
    "first_response_at": maybe_instants, "resolved_at": maybe_instants,
}


def _column_change(columns: dict) -> st.SearchStrategy:
    return st.sampled_from(sorted(columns)).flatmap(lambda name: st.tuples(st.just(name), columns[name]))


operations = st.one_of(
    st.tuples(st.just("insert_booking"), booking_fields),
    st.tuples(st.just("insert_complaint"), complaint_fields),
    st.tuples(st.just("save_booking"), st.integers(0, 50), _column_change(BOOKING_COLUMNS)),
    st.tuples(st.just("save_complaint"), st.integers(0, 50), _column_change(COMPLAINT_COLUMNS)),
    st.tuples(st.just("delete_booking"), st.integers(0, 50)),
    st.tuples(st.just("delete_complaint"), st.integers(0, 50)),
    st.tuples(st.just("update_bookings"), st.integers(2, 4), _column_change(BOOKING_COLUMNS)),
    st.tuples(st.just("update_complaints"), st.integers(2, 4), _column_change(COMPLAINT_COLUMNS)),
    st.tuples(st.just("bulk_bookings"), st.lists(booking_fields, min_size=1, max_size=6)),
    st.tuples(st.just("bulk_complaints"), st.lists(complaint_fields, min_size=1, max_size=6)),
    st.tuples(st.just("raw_sql"), st.sampled_from([
        "UPDATE complaints_complaint SET resolved_at = NULL, status = 'open' WHERE id % 2 = 0",
        "UPDATE complaints_complaint SET first_response_at = created_at + interval '90 minutes' WHERE id % 3 = 1",
        "UPDATE complaints_complaint SET response_due_at = response_due_at + interval '1 day' WHERE id % 2 = 1",
        "UPDATE bookings_booking SET created_at = created_at - interval '7 hours 3 minutes' WHERE id % 2 = 0",
        "INSERT INTO bookings_booking (reference, customer_name, status, payment_status, total_amount, created_at,"
        " updated_at) SELECT 'RAW-' || id || '-' || left(md5(random()::text), 12), 'x', 'completed', 'paid', 3.33,"
        " created_at + interval '1 hour', now() FROM bookings_booking WHERE id % 3 = 0",
        "DELETE FROM complaints_complaint WHERE id % 4 = 3",
    ])),
    st.tuples(st.just("compact")),
)


def _nth(model, index: int):
    rows = list(model.objects.order_by("pk").values_list("pk", flat=True))
    return model.objects.get(pk=rows[index % len(rows)]) if rows else None


def _apply(operation: tuple, counter: list[int]) -> None:
    kind, *args = operation
    counter[0] += 1
    if kind == "insert_booking":
        Booking.objects.create(reference=f"P-{counter[0]}", customer_name="x", **args[0])
    elif kind == "insert_complaint":
        Complaint.objects.create(subject="x", booking=_nth(Booking, counter[0]), **args[0])
    elif kind in ("save_booking", "save_complaint"):
        row = _nth(Booking if kind == "save_booking" else Complaint, args[0])
        if row is not None:
            name, value = args[1]
            setattr(row, name, value)
            row.save()
    elif kind in ("delete_booking", "delete_complaint"):
        row = _nth(Booking if kind == "delete_booking" else Complaint, args[0])
        if row is not None:
            row.delete()
    elif kind in ("update_bookings", "update_complaints"):
        model = Booking if kind == "update_bookings" else Complaint
        name, value = args[1]
        model.objects.filter(pk__in=[pk for pk in model.objects.values_list("pk", flat=True) if pk % args[0]]).update(
            **{name: value}
        )
    elif kind == "bulk_bookings":
        Booking.objects.bulk_create(
            Booking(reference=f"P-{counter[0]}-{i}", customer_name="x", **fields) for i, fields in enumerate(args[0])
        )
    elif kind == "bulk_complaints":
        Complaint.objects.bulk_create(Complaint(subject="x", **fields) for fields in args[0])
    elif kind == "raw_sql":
        with connection.cursor() as cursor:
            cursor.execute(args[0])
    elif kind == "compact":
        compact(using="default")


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(operations, min_size=1, max_size=25))
def test_rollup_equals_scan_after_any_writes(sequence):
    with transaction.atomic():  # each example in a savepoint: a failing one leaves the next a clean transaction
        pin_database_clock(NOWS[-1])  # March is then older than the 15-minute grid keeps: raw rows serve its days
        Complaint.objects.all().delete()
        Booking.objects.all().delete()
        counter = [0]
        for operation in sequence:
            _apply(operation, counter)
        assert summary_differences(using="default") == {}
        for now in NOWS:
            for timezone in TIMEZONES:
                assert_engines_agree(now=now, timezone=timezone)
