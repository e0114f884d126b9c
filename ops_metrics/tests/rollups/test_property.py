"""Property: after any sequence of writes, the rollup engine equals scan field for field (and verify is clean).

Both trigger paths: statements of fewer than DIRECT_FOLD_ROWS rows write delta rows, larger ones fold directly under the
compaction lock (read committed only); every statement kind runs under READ COMMITTED and REPEATABLE READ.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F, Model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.models import Booking, BookingStatus
from complaints.models import Complaint, ComplaintPriority, ComplaintStatus
from ops_metrics.rollups.maintenance import compact
from ops_metrics.rollups.sql import DIRECT_FOLD_ROWS, FACTS, facts_of
from ops_metrics.rollups.state import summary_differences
from ops_metrics.tests.rollups.support import assert_engines_agree, assert_staff_totals_agree, pin_database_clock
from ops_metrics.windows.ranges import StaffFilter
from staff.models import Staff

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
# Stored business times (NULL: not measured, left out of the business-hours averages), unrelated to the instants: the
# summaries must sum whatever a writer stores.
maybe_durations = st.one_of(st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
amounts = st.decimals(min_value=0, max_value=Decimal("9999.99"), places=2, allow_nan=False, allow_infinity=False)
booking_fields = st.fixed_dictionaries({
    "status": st.sampled_from(BookingStatus.values), "total_amount": amounts, "created_at": instants,
})
complaint_fields = st.fixed_dictionaries({
    "priority": st.sampled_from(ComplaintPriority.values), "status": st.sampled_from(ComplaintStatus.values),
    "created_at": instants, "response_due_at": maybe_instants, "resolution_due_at": maybe_instants,
    "first_response_at": maybe_instants, "resolved_at": maybe_instants,
    "response_business_time": maybe_durations, "resolution_business_time": maybe_durations,
})
BOOKING_COLUMNS = {"status": st.sampled_from(BookingStatus.values), "total_amount": amounts, "created_at": instants}
COMPLAINT_COLUMNS = {
    "priority": st.sampled_from(ComplaintPriority.values), "status": st.sampled_from(ComplaintStatus.values),
    "created_at": instants, "response_due_at": maybe_instants, "resolution_due_at": maybe_instants,
    "first_response_at": maybe_instants, "resolved_at": maybe_instants,
    "response_business_time": maybe_durations, "resolution_business_time": maybe_durations,
}


def _column_change(columns: dict) -> st.SearchStrategy:
    return st.sampled_from(sorted(columns)).flatmap(lambda name: st.tuples(st.just(name), columns[name]))


ISOLATION_LEVELS = ("read committed", "repeatable read")
STAFF = 3
# Writes of a few rows each (update_* may reach more), none emptying a table.
SMALL_WRITES = [
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
    st.tuples(st.just("copy_bookings"), st.lists(booking_fields, min_size=1, max_size=6)),
    st.tuples(st.just("copy_complaints"), st.lists(complaint_fields, min_size=1, max_size=6)),
    st.tuples(st.just("compact")),
    # Staff: STAFF members exist in each example; index STAFF means unassigned.
    st.tuples(st.just("assign_booking"), st.integers(0, 50), st.integers(0, STAFF)),
    st.tuples(st.just("assign_complaint"), st.integers(0, 50), st.integers(0, STAFF)),
    st.tuples(st.just("delete_staff"), st.integers(0, STAFF - 1)),
    st.tuples(st.just("raw_sql"), st.sampled_from([
        "UPDATE bookings_booking SET assigned_staff_id = (SELECT id FROM staff_staff ORDER BY id "
        "OFFSET bookings_booking.id % 4 LIMIT 1)",
        "UPDATE complaints_complaint SET assigned_to_id = (SELECT id FROM staff_staff ORDER BY id "
        "OFFSET complaints_complaint.id % 4 LIMIT 1)",
    ])),
]
small_writes = st.one_of(*SMALL_WRITES)
operations = st.one_of(
    *SMALL_WRITES,
    st.tuples(st.just("raw_sql"), st.sampled_from([
        "UPDATE complaints_complaint SET resolved_at = NULL, status = 'open' WHERE id % 2 = 0",
        "UPDATE complaints_complaint SET first_response_at = created_at + interval '90 minutes' WHERE id % 3 = 1",
        "UPDATE complaints_complaint SET response_due_at = response_due_at + interval '1 day' WHERE id % 2 = 1",
        "UPDATE bookings_booking SET created_at = created_at - interval '7 hours 3 minutes' WHERE id % 2 = 0",
        "INSERT INTO bookings_booking (reference, customer_name, status, payment_status, total_amount, created_at,"
        " updated_at) SELECT 'RAW-' || id || '-' || left(md5(random()::text), 12), 'x', 'completed', 'paid', 3.33,"
        " created_at + interval '1 hour', now() FROM bookings_booking WHERE id % 3 = 0",
        "DELETE FROM complaints_complaint WHERE id % 4 = 3",
        "UPDATE complaints_complaint SET resolution_business_time = (resolved_at - created_at) / 3 WHERE id % 2 = 0",
        "UPDATE complaints_complaint SET response_business_time = NULL WHERE id % 3 = 0",
    ])),
    st.tuples(st.just("truncate"), st.sampled_from(["complaints_complaint", "bookings_booking, complaints_complaint"])),
)


def _nth(model, index: int):
    rows = list(model.objects.order_by("pk").values_list("pk", flat=True))
    return model.objects.get(pk=rows[index % len(rows)]) if rows else None


def _booking_row(fields: dict, reference: str) -> dict:
    return {"reference": reference, "customer_name": "x", "payment_status": "paid", "updated_at": NOWS[-1], **fields}


def _complaint_row(fields: dict) -> dict:
    return {"subject": "x", "updated_at": NOWS[-1], **fields}


def _copy(model: type[Model], rows: list[dict]) -> int:
    """One COPY ... FROM STDIN statement (psycopg's copy) of `rows`; returns how many."""
    columns = list(rows[0])
    statement = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
    return len(rows)


def _truncate(tables: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses to run with FK checks pending
        cursor.execute(f"TRUNCATE {tables}")


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
    elif kind == "copy_bookings":
        _copy(Booking, [_booking_row(fields, f"C-{counter[0]}-{i}") for i, fields in enumerate(args[0])])
    elif kind == "copy_complaints":
        _copy(Complaint, [_complaint_row(fields) for fields in args[0]])
    elif kind == "truncate":
        _truncate(args[0])
    elif kind == "raw_sql":
        with connection.cursor() as cursor:
            cursor.execute(args[0])
    elif kind == "compact":
        compact(using="default")
    elif kind in ("assign_booking", "assign_complaint"):
        model, field = (Booking, "assigned_staff") if kind == "assign_booking" else (Complaint, "assigned_to")
        row, members = _nth(model, args[0]), list(Staff.objects.order_by("pk"))
        if row is not None:
            setattr(row, field, members[args[1]] if args[1] < len(members) else None)
            row.save()
    elif kind == "delete_staff":
        members = list(Staff.objects.order_by("pk"))
        if args[0] < len(members):
            members[args[0]].delete()  # their work becomes unassigned


@contextmanager
def _rolled_back(isolation: str) -> Iterator[None]:
    """One transaction at `isolation` (its first statement), rolled back: each example starts from empty tables."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation.upper()}")
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone()[0] == isolation
            cursor.execute("SELECT setseed(0.5)")  # the triggers' chance compaction (random()) replays alike
        pin_database_clock(NOWS[-1])  # March is then older than the 15-minute grid keeps: raw rows serve its days
        Staff.objects.bulk_create(Staff(name=f"S{i}") for i in range(STAFF))
        yield
        transaction.set_rollback(True)


EXAMPLE_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("isolation", ISOLATION_LEVELS)
@settings(max_examples=10, **EXAMPLE_SETTINGS)
@given(sequence=st.lists(operations, min_size=1, max_size=25))
def test_rollup_equals_scan_after_any_writes(isolation, sequence):
    with _rolled_back(isolation):
        counter = [0]
        for operation in sequence:
            _apply(operation, counter)
        assert summary_differences(using="default") == {}
        for now in NOWS:
            for timezone in TIMEZONES:
                assert_engines_agree(now=now, timezone=timezone)
            for staff in _staff_filters():
                assert_engines_agree(now=now, timezone="Europe/Berlin", staff=staff)
            assert_staff_totals_agree(now=now, timezone="Asia/Kathmandu")


def _staff_filters() -> list[StaffFilter]:
    """One member with the unassigned work, and the other members (when any are left)."""
    ids = list(Staff.objects.order_by("pk").values_list("pk", flat=True))
    filters = [StaffFilter(ids=frozenset(ids[:1]), unassigned=True)]
    return filters + [StaffFilter(ids=frozenset(ids[1:]))] if ids[1:] else filters


# Rows per mass statement: over the direct-fold threshold, so that in read committed the statement folds its own rows.
MASS = DIRECT_FOLD_ROWS + 200
TIME_COLUMNS = {"created_at", "response_due_at", "resolution_due_at", "first_response_at", "resolved_at"}
shifts = st.builds(lambda minutes, micros: timedelta(minutes=minutes, microseconds=micros),
                   st.integers(-3 * 24 * 60, 3 * 24 * 60), st.integers(0, 999_999))


def _change(columns: dict, name: str) -> st.SearchStrategy:
    """A new value for every row, or (dates) a shift of each row's own value."""
    values = columns[name].map(lambda value: ("set", value))
    return st.one_of(values, shifts.map(lambda delta: ("shift", delta))) if name in TIME_COLUMNS else values


def _mass_rows(samples: list[dict]) -> Iterator[tuple[int, dict]]:
    """MASS rows cycling through `samples`, their dates spread over two days (same shift for a row's dates)."""
    for index in range(MASS):
        shift = timedelta(minutes=37 * (index % 80))
        fields = samples[index % len(samples)]
        yield index, {name: value + shift if isinstance(value, datetime) else value for name, value in fields.items()}


def _folded(model: type[Model]) -> list[tuple[str, str]]:
    """A digest of each folded (keyed) summary table that follows `model`'s table."""
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(
            f"SELECT '{fact.table}', md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {fact.table} t"
            for fact in facts_of(model._meta.db_table)
        ))
        return cursor.fetchall()


def _rows(tables: list[str]) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(f"(SELECT count(*) FROM {table})" for table in tables))
        return cursor.fetchone()[0]


def _delta_rows(model: type[Model]) -> int:
    return _rows([fact.delta for fact in facts_of(model._meta.db_table)])


def _mass(model: type[Model], statement, *, isolation: str) -> None:
    """Run one statement of ≥ DIRECT_FOLD_ROWS rows of `model`'s table and check which trigger path it took."""
    folded = _folded(model)
    assert statement() >= DIRECT_FOLD_ROWS
    if isolation == "read committed":
        assert _delta_rows(model) == 0, "folded directly, the pending deltas with it"
    else:
        assert _folded(model) == folded, "no fold outside read committed: delta rows only"
    assert summary_differences(using="default") == {}


def _update(model: type[Model], name: str, change: tuple) -> int:
    how, value = change
    return model.objects.update(**{name: F(name) + value if how == "shift" else value})


def _raw(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("isolation", ISOLATION_LEVELS)
@settings(max_examples=2, **EXAMPLE_SETTINGS)
@given(data=st.data())
def test_statements_of_a_thousand_rows_and_more_keep_the_summaries_exact(isolation, data):
    """bulk_create, COPY, QuerySet.update of every tracked column, DELETE, TRUNCATE, each of at least MASS rows, with
    small writes between them: the summaries equal the raw rows after each, rollup equals scan."""
    bookings = data.draw(st.lists(booking_fields, min_size=1, max_size=4), label="booking samples")
    complaints = data.draw(st.lists(complaint_fields, min_size=1, max_size=4), label="complaint samples")
    later = {
        "copy bookings": (Booking, lambda: _copy(Booking, [_booking_row(f, f"C-{i}") for i, f in _mass_rows(bookings)])),
        "copy complaints": (Complaint, lambda: _copy(Complaint, [_complaint_row(f) for _, f in _mass_rows(complaints)])),
    }
    for model, columns in ((Booking, BOOKING_COLUMNS), (Complaint, COMPLAINT_COLUMNS)):
        for name in columns:
            change = data.draw(_change(columns, name), label=f"{model.__name__}.{name}")
            later[f"update {model.__name__}.{name}"] = (model, lambda m=model, n=name, c=change: _update(m, n, c))
    statements = [
        (Booking, lambda: len(Booking.objects.bulk_create(
            Booking(**_booking_row(fields, f"B-{i}")) for i, fields in _mass_rows(bookings)))),
        (Complaint, lambda: len(Complaint.objects.bulk_create(
            Complaint(**_complaint_row(fields)) for _, fields in _mass_rows(complaints)))),
        *(later[name] for name in data.draw(st.permutations(sorted(later)), label="order")),
    ]
    deletes = [
        (Complaint, lambda: Complaint.objects.update(booking=None)),  # no tracked column: +new and −old cancel out
        # The small writes in between may have pointed new complaints at bookings again: unlink them first.
        (Booking, lambda: (_raw("UPDATE complaints_complaint SET booking_id = NULL WHERE booking_id IS NOT NULL"),
                           _raw(f"DELETE FROM bookings_booking WHERE id IN (SELECT id FROM bookings_booking "
                                f"ORDER BY id LIMIT {MASS})"))[1]),
        (Complaint, lambda: _raw("DELETE FROM complaints_complaint WHERE id % 7 <> 0")),
    ]
    with _rolled_back(isolation):
        counter = [0]
        for index, (model, statement) in enumerate([*statements, *deletes]):
            for operation in data.draw(st.lists(small_writes, max_size=2), label="small writes"):
                _apply(operation, counter)
            _mass(model, statement, isolation=isolation)
            if index == len(statements) - 1:
                for now in NOWS:
                    assert_engines_agree(now=now, timezone="Europe/Berlin")
        assert_engines_agree(now=NOWS[0], timezone="Asia/Kathmandu")
        _truncate("bookings_booking, complaints_complaint")
        assert _rows([table for fact in FACTS for table in (fact.table, fact.delta)]) == 0
        assert summary_differences(using="default") == {}
