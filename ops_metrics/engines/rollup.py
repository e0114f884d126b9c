"""The rollup engine (PostgreSQL): scan's totals from the trigger-kept summaries, whatever the history's size.

A window [a, b) is cut into: raw rows in [a, ceil15(a)) (empty when a is a local midnight, which every zone puts on a
15-minute UTC boundary), 15-minute buckets up to the first UTC midnight, whole UTC days, 15-minute buckets from the last
UTC midnight up to floor15(b), and raw rows in [floor15(b), b) through the time column's index. `all` (no start) is
every UTC day before floor15(b)'s day plus the same tail. A 15-minute piece older than the grid keeps (70 days) reads
the raw rows instead (custom ranges only: every dashboard window starts within 62 days).

Per staff member (a staff filter, the per-staff table) the whole UTC days come from the per-staff summaries and the
partial days at either end from the raw rows of those staff members. The "now" figures come from the open-work
summaries (open bookings, unresolved complaints per staff member), and the SLA states of the unresolved complaints from
the ones due by the at-risk horizon: O(staff) plus the complaints breached or at risk, whatever the backlog.
"""
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connections, transaction

from bookings.models import OPEN_STATUSES, REVENUE_STATUSES, BookingStatus
from complaints.models import ComplaintPriority, ComplaintStatus
from complaints.sla_state import SlaState
from ops_metrics.engines.totals import (
    BookingTotals,
    ComplaintSeries,
    ComplaintTotals,
    EventTally,
    StaffTally,
    StatusTally,
)
from ops_metrics.models import ResolvedOutcome
from ops_metrics.rollups.sql import (
    ALL_TIME,
    BOOKINGS,
    COMPLAINTS_CREATED,
    COMPLAINTS_RESOLVED,
    COMPLAINTS_RESPONDED,
    COMPLAINTS_TABLE,
    DAY,
    FACTS,
    FINE,
    FINE_READABLE,
    LATE_SQL,
    OPEN_BOOKINGS,
    OPEN_COMPLAINTS,
    OUTCOME_SQL,
    PER_STAFF,
    STAFF,
    STAFF_COLUMNS,
    UNASSIGNED,
    Fact,
    staff_key_sql,
)
from ops_metrics.windows.figures import ZERO
from ops_metrics.windows.periods import Window
from ops_metrics.windows.ranges import StaffFilter
from staff.models import Staff

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
QUARTER_HOUR, ONE_DAY = timedelta(minutes=15), timedelta(days=1)
RAW = "raw"
# The open-work and all-time summaries keep one bucket, the epoch's day.
OPEN_BUCKET_END = EPOCH + ONE_DAY
# Key values as the statement returns them (text).
MET = str(ResolvedOutcome.MET.value)
LATE, ON_TIME = "1", "0"
BREACHED, AT_RISK = str(SlaState.BREACHED.value), str(SlaState.AT_RISK.value)


def _floor(moment: datetime, step: timedelta) -> datetime:
    return EPOCH + (moment - EPOCH) // step * step


def _ceil(moment: datetime, step: timedelta) -> datetime:
    floor = _floor(moment, step)
    return floor if floor == moment else floor + step


def pieces(window: Window) -> list[tuple[int | str, datetime | None, datetime]]:
    """The window as (grain or RAW, start, end) pieces, in time order, none empty; start None only for a DAY piece."""
    end = window.end
    tail = _floor(end, QUARTER_HOUR)
    if window.start is None:
        first_day = None
        head: list = []
        body_start = None
    else:
        if window.start >= end:
            return []
        body_start = _ceil(window.start, QUARTER_HOUR)
        if body_start >= tail:
            return [(RAW, window.start, end)]
        head = [(RAW, window.start, body_start)]
        first_day = _ceil(body_start, ONE_DAY)
    last_day = _floor(tail, ONE_DAY)
    if first_day is None:
        body = [(DAY, None, last_day), (FINE, last_day, tail)]
    elif first_day < last_day:
        body = [(FINE, body_start, first_day), (DAY, first_day, last_day), (FINE, last_day, tail)]
    else:
        body = [(FINE, body_start, tail)]
    cut = [*head, *body, (RAW, tail, end)]
    return [(kind, start, stop) for kind, start, stop in cut if start is None or start < stop]


def _range(column: str, start: datetime | None, end: datetime | None) -> tuple[str, list]:
    if start is None:
        return f"{column} < %s", [end]
    if end is None:
        return f"{column} >= %s", [start]
    return f"{column} >= %s AND {column} < %s", [start, end]


def _others(fact: Fact) -> dict[str, str]:
    """The fact's keys other than the staff member, name → SQL over the raw rows."""
    return {name: expr for name, expr in fact.keys.items() if name != STAFF}


# Every SELECT of a statement has the same columns: p, s (the staff member, NULL when not read per staff), k1..k<KEYS>,
# n and one x<i> per summed column of the widest fact.
KEYS = max(len(_others(fact)) for fact in FACTS)
SUMS = max(len(fact.sums) for fact in FACTS)


def _keys(staff: str, expressions: list[str]) -> str:
    keys = [f"({expr})::text" for expr in expressions] + ["NULL::text"] * (KEYS - len(expressions))
    return ", ".join([f"{staff}::bigint AS s", *(f"{key} AS k{i}" for i, key in enumerate(keys, 1))])


def _values(count: str, expressions: list[str]) -> str:
    """The n and x1..x<SUMS> columns: the count and the summed expressions, padded with zeros."""
    padded = [*expressions, *["0"] * (SUMS - len(expressions))]
    return ", ".join([f"{count}::numeric AS n", *(f"({expr})::numeric AS x{i}" for i, expr in enumerate(padded, 1))])


@dataclass(frozen=True)
class PerStaff:
    """Read per staff member (each row keeps its staff member, UNASSIGNED for none); only `only`'s, or everyone's."""

    only: StaffFilter | None = None

    def summary_condition(self) -> tuple[str, list]:
        if self.only is None:
            return "TRUE", []
        return f"{STAFF} = ANY(%s)", [[*sorted(self.only.ids), *([UNASSIGNED] if self.only.unassigned else [])]]

    def raw_condition(self, source: str) -> tuple[str, list]:
        if self.only is None:
            return "TRUE", []
        column = STAFF_COLUMNS[source]
        conditions, params = [], []
        if self.only.ids:
            conditions.append(f"{column} = ANY(%s)")
            params.append(sorted(self.only.ids))
        if self.only.unassigned:
            conditions.append(f"{column} IS NULL")
        return f"({' OR '.join(conditions) or 'FALSE'})", params


def _raw_staff(staff: PerStaff | None, source: str) -> tuple[str, str, list]:
    """A raw SELECT's staff column, condition and its params (NULL, TRUE when not read per staff)."""
    if staff is None:
        return "NULL", "TRUE", []
    return (staff_key_sql(source), *staff.raw_condition(source))


def _per_staff(staff: StaffFilter | None) -> PerStaff | None:
    return None if staff is None else PerStaff(staff)


def _whole_days_apart(window: Window) -> list[tuple[int | str, datetime | None, datetime]]:
    """The window's pieces with every run of non-DAY pieces merged into one RAW piece (what per-staff reads cut)."""
    merged: list = []
    for kind, start, end in pieces(window):
        if kind != DAY and merged and merged[-1][0] == RAW:
            merged[-1] = (RAW, merged[-1][1], end)
        else:
            merged.append((DAY, start, end) if kind == DAY else (RAW, start, end))
    return merged


class _Statement:
    """The distinct pieces of every window, each one SELECT of one statement (one snapshot), summed per key.

    Windows share pieces (every window ending at now shares the raw tail; today's buckets are in the week's and the
    month's too): each piece is read once and counted for every window it belongs to.
    """

    def __init__(self) -> None:
        self.selects: list[tuple[str, list]] = []
        self.numbers: dict[tuple, int] = {}
        # SELECT number → its (keys, count, sums) rows, every staff member's together.
        self.rows: dict[int, list[tuple[tuple[str | None, ...], int, tuple[Decimal, ...]]]] = {}

    def _select(self, identity: tuple, sql: str, params: list) -> int:
        if identity not in self.numbers:
            self.numbers[identity] = len(self.selects)
            self.selects.append((f"SELECT {len(self.selects)} AS p, {sql}", params))
        return self.numbers[identity]

    def _raw(self, fact: Fact, start: datetime | None, end: datetime | None, staff: PerStaff | None,
             guard: tuple[str, list] = ("TRUE", []), *, keyed: bool = True, sign: int = 1) -> int:
        """The SELECT of the fact's raw rows in [start, end) (per staff member: `staff`), while `guard` holds, counted
        with `sign`."""
        condition, params = _range(fact.time, start, end)
        staff_sql, staff_condition, staff_params = _raw_staff(staff, fact.source)
        return self._select(
            (fact.table, RAW, start, end, staff, guard[0], keyed, sign),
            f"{_keys(staff_sql, list(_others(fact).values()) if keyed else [])}, "
            f"{_values(str(sign), [f'{sign} * ({expr})' for expr in fact.sums.values()])} "
            f"FROM {fact.source} WHERE {condition} AND {fact.where} AND {staff_condition} AND {guard[0]}",
            [*params, *staff_params, *guard[1]],
        )

    def _summary(self, fact: Fact, kind: int, start: datetime | None, end: datetime, staff: PerStaff | None,
                 guard: tuple[str, list] = ("TRUE", []), *, keyed: bool = True) -> list[int]:
        """The SELECTs of the fact's folded rows and not yet folded deltas of one grain in [start, end) (`keyed`: per
        key, else summed over the keys)."""
        condition, params = _range("bucket", start, end)
        staff_sql, staff_condition, staff_params = "NULL", "TRUE", []
        if staff is not None:
            staff_sql = STAFF
            staff_condition, staff_params = staff.summary_condition()
        return [
            self._select(
                (source, kind, start, end, staff, keyed),
                f"{_keys(staff_sql, list(_others(fact)) if keyed else [])}, {_values('count', list(fact.sums))} "
                f"FROM {source} WHERE grain = {kind:d} AND {condition} AND {staff_condition} AND {guard[0]}",
                [*params, *staff_params, *guard[1]],
            )
            for source in (fact.table, fact.delta)
        ]

    def window(self, fact: Fact, window: Window, staff: PerStaff | None = None, *, keyed: bool = True) -> list[int]:
        """The numbers of the SELECTs whose rows add up to the fact's totals in `window` (per staff member: `staff`;
        `keyed`: per key, else summed over the keys, which only a per-staff read offers)."""
        if staff is not None and window.start is None:
            # All time, less the rows at or after the end (rows dated ahead of now: none, as a rule).
            return [*self._summary(ALL_TIME[fact.model], DAY, None, OPEN_BUCKET_END, staff, keyed=keyed),
                    self._raw(fact, window.end, None, staff, keyed=keyed, sign=-1)]
        if staff is not None:
            per_staff = PER_STAFF[fact.model]
            numbers = []
            for kind, start, end in _whole_days_apart(window):
                if kind == DAY:
                    numbers += self._summary(per_staff, DAY, start, end, staff, keyed=keyed)
                else:
                    numbers.append(self._raw(fact, start, end, staff, keyed=keyed))
            return numbers
        numbers = []
        for kind, start, end in pieces(window):
            if kind == RAW:
                numbers.append(self._raw(fact, start, end, None))
            elif kind == DAY:
                numbers += self._summary(fact, DAY, start, end, None)
            else:
                # A 15-minute piece reads the grid while the grid keeps that day, else the raw rows: one of the two
                # guards holds, evaluated once per statement against the database's clock.
                numbers += self._summary(fact, FINE, start, end, None, (f"%s >= {FINE_READABLE}", [start]))
                numbers.append(self._raw(fact, start, end, None, (f"%s < {FINE_READABLE}", [start])))
        return numbers

    def open_work(self, fact: Fact, staff: PerStaff | None, *, keyed: bool = True) -> list[int]:
        """The SELECTs whose rows add up to an open-work fact's counts now (OPEN_BOOKINGS, OPEN_COMPLAINTS)."""
        return self._summary(fact, DAY, None, OPEN_BUCKET_END, staff, keyed=keyed)

    def sla_due(self, now: datetime, until: datetime, staff: PerStaff | None) -> list[int]:
        """Unresolved complaints with no target achieved late and an unmet target due by `until`, by SlaState.

        Two index-only range scans of the unmet due times (complaint_response_unmet_idx, complaint_resolution_unmet_idx),
        each row in one of them: bounded by the complaints breached or at risk now, whatever the backlog.
        """
        response_due = "(first_response_at IS NULL AND response_due_at <= %s)"
        breached = "(first_response_at IS NULL AND response_due_at < %s) OR (resolved_at IS NULL AND resolution_due_at < %s)"
        state = f"CASE WHEN {breached} THEN {SlaState.BREACHED:d} ELSE {SlaState.AT_RISK:d} END"
        staff_sql, staff_condition, staff_params = _raw_staff(staff, COMPLAINTS_TABLE)
        arms = (
            (response_due, [until]),
            (f"resolved_at IS NULL AND resolution_due_at <= %s AND NOT coalesce({response_due}, false)", [until, until]),
        )
        return [
            self._select(
                ("sla_due", index, now, until, staff),
                f"{_keys(staff_sql, ['priority', 'status', state])}, {_values('1', [])} FROM {COMPLAINTS_TABLE} "
                f"WHERE {OPEN_COMPLAINTS.where} AND {condition} AND ({LATE_SQL}) = 0 AND {staff_condition}",
                [now, now, *condition_params, *staff_params],
            )
            for index, (condition, condition_params) in enumerate(arms)
        ]

    def pending_ok(self, window: Window, now: datetime, staff: PerStaff | None = None) -> int:
        """Raw rows resolved in `window` whose only open question, the response, is not due before `now`.

        Bounded by the complaints whose response is due at or after now (the due-times index), whatever the history.
        """
        condition, params = _range("resolved_at", window.start, window.end)
        staff_sql, staff_condition, staff_params = _raw_staff(staff, COMPLAINTS_TABLE)
        return self._select(
            ("pending_ok", window, now, staff),
            f"{_keys(staff_sql, [])}, {_values('1', [])} FROM {COMPLAINTS_TABLE} "
            f"WHERE response_due_at >= %s AND first_response_at IS NULL AND {condition} "
            f"AND ({OUTCOME_SQL}) = {ResolvedOutcome.RESPONSE_PENDING:d} AND {staff_condition}",
            [now, *params, *staff_params],
        )

    def _union(self) -> tuple[str, list]:
        """Every SELECT grouped by itself (its own p), as one UNION ALL: many small hash aggregates, where one GROUP BY
        over the whole union sorted every row of it (the per-staff table of a month: 160 against 260 ms at 1M)."""
        keys = ", ".join(f"k{i}" for i in range(1, KEYS + 1))
        sums = ", ".join(f"sum(x{i}) AS x{i}" for i in range(1, SUMS + 1))
        sql = " UNION ALL ".join(
            f"(SELECT p, s, {keys}, sum(n) AS n, {sums} FROM ({select}) AS a GROUP BY p, s, {keys})"
            for select, _ in self.selects
        )
        return sql, [param for _, select_params in self.selects for param in select_params]

    def run(self, *, using: str) -> None:
        if not self.selects:
            return
        sql, params = self._union()
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            for p, _, *rest in cursor.fetchall():
                keys_found, n, x = tuple(rest[:KEYS]), rest[KEYS], tuple(rest[KEYS + 1:])
                self.rows.setdefault(p, []).append((keys_found, int(n), x))

    def per_staff(self, columns: dict[str, tuple[str, list]], *, using: str) -> dict[int, dict[str, Decimal]]:
        """Staff member → the `columns` (name → an aggregate over the union's rows, its params), summed in SQL."""
        sql, params = self._union()
        outer = ", ".join(f"{expression} AS {name}" for name, (expression, _) in columns.items())
        outer_params = [param for _, column_params in columns.values() for param in column_params]
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT s, {outer} FROM ({sql}) AS u GROUP BY s", [*outer_params, *params])
            return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in cursor.fetchall()}

    def rows_of(self, numbers: list[int]) -> Iterator[tuple[tuple[str | None, ...], int, tuple[Decimal, ...]]]:
        """The (keys, count, sums) rows of the SELECTs `numbers`."""
        for number in set(numbers):
            yield from self.rows.get(number, ())

    def total(self, numbers: list[int], *keys: str | None) -> tuple[int, tuple[Decimal, ...] | None]:
        """(count, the fact's sums in order) over the SELECTs `numbers` for one key (None: every key; sums None: no row).

        `keys` match k1, k2, ... in order.
        """
        count, summed = 0, None
        prefix = len(keys) if None not in keys else None
        for found, n, x in self.rows_of(numbers):
            if prefix is not None:
                if found[:prefix] != keys:
                    continue
            elif any(key is not None and key != value for key, value in zip(keys, found, strict=False)):
                continue
            count = count + n
            summed = x if summed is None else tuple(a + b for a, b in zip(summed, x, strict=True))
        return count, summed


def booking_totals(
    *, windows: Mapping[str, Window], amounts: bool, backlog: bool, using: str, staff: StaffFilter | None = None
) -> BookingTotals:
    """As scan.booking_totals, from the summaries (the open backlog from the open-work summary)."""
    statement, per_staff = _Statement(), _per_staff(staff)
    selects = {name: statement.window(BOOKINGS, window, per_staff) for name, window in windows.items()}
    open_selects = statement.open_work(OPEN_BOOKINGS, per_staff) if backlog else []
    statement.run(using=using)
    created = {}
    for name, numbers in selects.items():
        created[name] = {}
        for status in BookingStatus.values:
            count, sums = statement.total(numbers, status)
            created[name][status] = StatusTally(count=count, amount=_amount(sums, amounts=amounts))
    open_backlog = {status: statement.total(open_selects, status)[0] for status in OPEN_STATUSES} if backlog else {}
    return BookingTotals(created=created, backlog=open_backlog)


def _amount(sums: tuple[Decimal, ...] | None, *, amounts: bool) -> Decimal:
    """The bookings' summed amount (their fact's first sum), zero when not asked for or when there is no row."""
    return sums[0] if amounts and sums is not None else ZERO


def _event_tally(fact: Fact, total: tuple[int, tuple[Decimal, ...] | None]) -> EventTally:
    """An event fact's totals (its sums: duration_us, business_us, business_count; rollups/sql.py, FACTS)."""
    count, sums = total
    summed = {name: int(value) for name, value in zip(fact.sums, sums or [0] * len(fact.sums), strict=True)}
    return EventTally(count=count, duration_microseconds=summed["duration_us"],
                      business_count=summed["business_count"], business_microseconds=summed["business_us"])


@dataclass(frozen=True)
class _Backlog:
    """The SELECTs of the unresolved backlog now: open-work counts and, with SLA states, the complaints due soon."""

    open: list[int]
    due: list[int] | None

    @classmethod
    def of(cls, statement: _Statement, *, sla_at: tuple[datetime, datetime] | None, staff: PerStaff | None) -> "_Backlog":
        due = statement.sla_due(sla_at[0], sla_at[1], staff) if sla_at is not None else None
        return cls(open=statement.open_work(OPEN_COMPLAINTS, staff), due=due)

    def counts(self, statement: _Statement) -> dict[tuple[str, str, int | None], int]:
        """(priority, status, SlaState or None) → unresolved complaints, as scan's backlog (no zero counts)."""
        late: dict[tuple, int] = {}
        on_time: dict[tuple, int] = {}
        for (priority, status, is_late), n, _ in statement.rows_of(self.open):
            tally = late if is_late == LATE else on_time
            tally[priority, status] = tally.get((priority, status), 0) + n
        if self.due is None:
            found = {(*key, None): late.get(key, 0) + on_time.get(key, 0) for key in {*late, *on_time}}
        else:
            due: dict[tuple, int] = {}
            for (priority, status, state), n, _ in statement.rows_of(self.due):
                due[priority, status, state] = due.get((priority, status, state), 0) + n
            found = {}
            for key in {*late, *on_time}:
                breached, at_risk = due.get((*key, BREACHED), 0), due.get((*key, AT_RISK), 0)
                found |= {(*key, SlaState.BREACHED): late.get(key, 0) + breached, (*key, SlaState.AT_RISK): at_risk,
                          (*key, SlaState.CLEAR): on_time.get(key, 0) - breached - at_risk}
        return {key: n for key, n in found.items() if n}


def complaint_totals(
    *,
    created: Mapping[str, Window],
    resolved_in: Window | None,
    responded_in: Window | None,
    sla_at: tuple[datetime, datetime] | None,
    backlog: bool,
    using: str,
    staff: StaffFilter | None = None,
) -> ComplaintTotals:
    """As scan.complaint_totals: window tallies from the summaries, the unresolved backlog from the open-work summary
    and, for SLA states, the complaints due by the at-risk horizon."""
    statement, per_staff = _Statement(), _per_staff(staff)
    created_selects = {name: statement.window(COMPLAINTS_CREATED, w, per_staff) for name, w in created.items()}
    if resolved_in is not None:
        resolved_selects = statement.window(COMPLAINTS_RESOLVED, resolved_in, per_staff)
        if sla_at is not None:
            pending_ok = statement.pending_ok(resolved_in, sla_at[0], per_staff)
    if responded_in is not None:
        responded_selects = statement.window(COMPLAINTS_RESPONDED, responded_in, per_staff)
    open_backlog = _Backlog.of(statement, sla_at=sla_at, staff=per_staff) if backlog else None
    statement.run(using=using)

    created_counts = {
        name: {
            (priority, status): statement.total(numbers, priority, status)[0]
            for priority in ComplaintPriority.values for status in ComplaintStatus.values
        }
        for name, numbers in created_selects.items()
    }
    resolved = responded = compliant = None
    if resolved_in is not None:
        resolved = _event_tally(COMPLAINTS_RESOLVED, statement.total(resolved_selects))
        if sla_at is not None:
            compliant = statement.total(resolved_selects, MET)[0] + statement.total([pending_ok])[0]
    if responded_in is not None:
        responded = _event_tally(COMPLAINTS_RESPONDED, statement.total(responded_selects))
    return ComplaintTotals(
        created=created_counts, resolved=resolved, responded=responded, compliant=compliant,
        backlog=open_backlog.counts(statement) if open_backlog is not None else {},
    )


# Buckets per statement of a series: each bucket adds a few SELECTs to a UNION ALL, which PostgreSQL plans
# recursively; a month by hour with its comparison (1,400+ buckets) in one statement exceeds its stack depth.
SERIES_CHUNK = 24


def _buckets(bounds: Sequence[datetime]) -> list[Window]:
    return [Window(start, end) for start, end in zip(bounds, bounds[1:], strict=False)]


@contextmanager
def _one_snapshot(using: str) -> Iterator[None]:
    """One REPEATABLE READ transaction for a series' statements (inside an open transaction: that one)."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _chunks(buckets: list[Window]) -> Iterator[list[Window]]:
    for first in range(0, len(buckets), SERIES_CHUNK):
        yield buckets[first:first + SERIES_CHUNK]


def booking_series(
    *, bounds: Sequence[datetime], amounts: bool, using: str, staff: StaffFilter | None = None
) -> list[dict[str, StatusTally]]:
    """As scan.booking_series, from the summaries: each chunk of buckets one statement, all in one snapshot."""
    series, per_staff = [], _per_staff(staff)
    with _one_snapshot(using):
        for chunk in _chunks(_buckets(bounds)):
            statement = _Statement()
            selects = [statement.window(BOOKINGS, bucket, per_staff) for bucket in chunk]
            statement.run(using=using)
            for numbers in selects:
                tallies = {}
                for status in BookingStatus.values:
                    count, sums = statement.total(numbers, status)
                    tallies[status] = StatusTally(count=count, amount=_amount(sums, amounts=amounts))
                series.append(tallies)
    return series


def complaint_series(
    *, bounds: Sequence[datetime], sla_at: tuple[datetime, datetime] | None, using: str,
    staff: StaffFilter | None = None,
) -> ComplaintSeries:
    """As scan.complaint_series, from the summaries; compliance per bucket as in complaint_totals."""
    created, resolved, responded, compliant = [], [], [], []
    per_staff = _per_staff(staff)
    with _one_snapshot(using):
        for chunk in _chunks(_buckets(bounds)):
            statement = _Statement()
            created_selects = [statement.window(COMPLAINTS_CREATED, bucket, per_staff) for bucket in chunk]
            resolved_selects = [statement.window(COMPLAINTS_RESOLVED, bucket, per_staff) for bucket in chunk]
            responded_selects = [statement.window(COMPLAINTS_RESPONDED, bucket, per_staff) for bucket in chunk]
            pending_ok = [
                statement.pending_ok(bucket, sla_at[0], per_staff) for bucket in chunk
            ] if sla_at is not None else []
            statement.run(using=using)
            created += [statement.total(numbers)[0] for numbers in created_selects]
            resolved += [_event_tally(COMPLAINTS_RESOLVED, statement.total(numbers)) for numbers in resolved_selects]
            responded += [_event_tally(COMPLAINTS_RESPONDED, statement.total(numbers)) for numbers in responded_selects]
            compliant += [
                statement.total(numbers, MET)[0] + statement.total([pending])[0]
                for numbers, pending in zip(resolved_selects, pending_ok, strict=True)
            ] if sla_at is not None else [0] * len(chunk)
    return ComplaintSeries(created=created, resolved=resolved, responded=responded, compliant=compliant)


def staff_workload(*, using: str, staff: StaffFilter | None = None) -> list[dict]:
    """As scan.staff_workload, the open work per staff member from the open-work summaries (O(staff))."""
    statement = _Statement()
    everyone = PerStaff(None if staff is None else StaffFilter(ids=staff.ids))
    bookings = statement.open_work(OPEN_BOOKINGS, everyone, keyed=False)
    complaints = statement.open_work(OPEN_COMPLAINTS, everyone, keyed=False)
    found = statement.per_staff({"bookings": _summed("n", bookings), "complaints": _summed("n", complaints)},
                                using=using)
    members = Staff.objects.using(using).filter(is_active=True).order_by("name", "pk")
    if staff is not None:
        members = members.filter(pk__in=sorted(staff.ids))
    workload = []
    for pk, name in members.values_list("pk", "name"):
        counts = found.get(pk, {})
        open_bookings, open_complaints = int(counts.get("bookings", 0)), int(counts.get("complaints", 0))
        workload.append({"staff_id": pk, "name": name, "bookings": open_bookings, "complaints": open_complaints,
                         "total": open_bookings + open_complaints})
    return sorted(workload, key=lambda row: -row["total"])


def _summed(value: str, numbers: list[int], **keys: object) -> tuple[str, list]:
    """A column of Statement.per_staff: `value` summed over the rows of the SELECTs `numbers` whose keys (k1=...,
    a value or a tuple of values) match; 0 when none do."""
    conditions = [f"p IN ({', '.join(str(number) for number in sorted(set(numbers)))})" if numbers else "FALSE"]
    params: list = []
    for key, allowed in keys.items():
        values = [str(value) for value in (allowed if isinstance(allowed, tuple) else (allowed,))]
        conditions.append(f"{key} IN ({', '.join(['%s'] * len(values))})")
        params += values
    return f"coalesce(sum({value}) FILTER (WHERE {' AND '.join(conditions)}), 0)", params


def staff_totals(
    *, window: Window, sla_at: tuple[datetime, datetime], amounts: bool, using: str, staff: StaffFilter | None = None
) -> dict[int | None, StaffTally]:
    """As scan.staff_totals, from the per-staff and open-work summaries: one statement, summed per member in SQL."""
    statement, per_staff = _Statement(), PerStaff(staff)
    bookings = statement.window(BOOKINGS, window, per_staff)
    created = statement.window(COMPLAINTS_CREATED, window, per_staff, keyed=False)
    resolved = statement.window(COMPLAINTS_RESOLVED, window, per_staff)
    pending_ok = statement.pending_ok(window, sla_at[0], per_staff)
    responded = statement.window(COMPLAINTS_RESPONDED, window, per_staff)
    open_bookings = statement.open_work(OPEN_BOOKINGS, per_staff, keyed=False)
    backlog = _Backlog.of(statement, sla_at=sla_at, staff=per_staff)
    # The event facts' sums: x1 elapsed µs, x2 business µs, x3 rows with a business time (rollups/sql.py, FACTS).
    events = {"count": "n", "duration": "x1", "business": "x2", "business_count": "x3"}
    columns = {
        "bookings": _summed("n", bookings),
        "bookings_completed": _summed("n", bookings, k1=BookingStatus.COMPLETED),
        "revenue": _summed("x1", bookings, k1=tuple(REVENUE_STATUSES)) if amounts else ("0", []),
        "open_bookings": _summed("n", open_bookings),
        "complaints": _summed("n", created),
        **{f"resolved_{name}": _summed(value, resolved) for name, value in events.items()},
        "compliant": _compliant(resolved, pending_ok),
        **{f"responded_{name}": _summed(value, responded) for name, value in events.items()},
        "open_complaints": _summed("n", backlog.open),
        "late": _summed("n", backlog.open, k3=LATE),
        "breached_due": _summed("n", backlog.due, k3=BREACHED),
        "at_risk": _summed("n", backlog.due, k3=AT_RISK),
    }
    tallies = {}
    for member, found in statement.per_staff(columns, using=using).items():

        def tally(prefix: str, found: dict = found) -> EventTally:
            return EventTally(count=int(found[f"{prefix}_count"]), duration_microseconds=int(found[f"{prefix}_duration"]),
                              business_count=int(found[f"{prefix}_business_count"]),
                              business_microseconds=int(found[f"{prefix}_business"]))

        counted = StaffTally(
            bookings=int(found["bookings"]), bookings_completed=int(found["bookings_completed"]),
            revenue=found["revenue"] if amounts else ZERO, open_bookings=int(found["open_bookings"]),
            complaints=int(found["complaints"]), resolved=tally("resolved"), compliant=int(found["compliant"]),
            responded=tally("responded"), at_risk=int(found["at_risk"]),
            breached=int(found["late"] + found["breached_due"]), open_complaints=int(found["open_complaints"]),
        )
        if counted.counted:
            tallies[None if member == UNASSIGNED else member] = counted
    return tallies


def _compliant(resolved: list[int], pending_ok: int) -> tuple[str, list]:
    """Resolved complaints with no target breached now: the MET outcome, and the response-pending ones not yet due."""
    met, met_params = _summed("n", resolved, k1=MET)
    pending, pending_params = _summed("n", [pending_ok])
    return f"{met} + {pending}", [*met_params, *pending_params]
