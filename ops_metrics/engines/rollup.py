"""The rollup engine (PostgreSQL): scan's totals from the trigger-kept summaries, whatever the history's size.

A window [a, b) is cut into: raw rows in [a, ceil15(a)) (empty when a is a local midnight, which every zone puts on a
15-minute UTC boundary), 15-minute buckets up to the first UTC midnight, whole UTC days, 15-minute buckets from the last
UTC midnight up to floor15(b), and raw rows in [floor15(b), b) through the time column's index. `all` (no start) is
every UTC day before floor15(b)'s day plus the same tail. A 15-minute piece older than the grid keeps (70 days) reads
the raw rows instead (custom ranges only: every dashboard window starts within 62 days). The bookings' open backlog
is the summaries' all-time counts per status; the other "now" figures (unresolved complaints and their SLA state,
staff workload) come from scan, whose queries for them read only the open backlog.
"""
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connections, transaction

from bookings.models import OPEN_STATUSES, BookingStatus
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.engines import scan
from ops_metrics.engines.totals import BookingTotals, ComplaintSeries, ComplaintTotals, EventTally, StatusTally
from ops_metrics.models import (
    BookingRollup,
    ComplaintCreatedRollup,
    ComplaintResolvedRollup,
    ComplaintRespondedRollup,
    ResolvedOutcome,
)
from ops_metrics.rollups.sql import (
    DAY,
    FACTS,
    FINE,
    FINE_READABLE,
    OUTCOME_SQL,
    Fact,
)
from ops_metrics.windows.figures import ZERO
from ops_metrics.windows.periods import Window
from ops_metrics.windows.ranges import StaffFilter

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
QUARTER_HOUR, ONE_DAY = timedelta(minutes=15), timedelta(days=1)
RAW = "raw"
FACT_OF = {fact.model: fact for fact in FACTS}
RESOLVED, RESPONDED = FACT_OF[ComplaintResolvedRollup], FACT_OF[ComplaintRespondedRollup]


def _floor(moment: datetime, step: timedelta) -> datetime:
    return EPOCH + (moment - EPOCH) // step * step


def _ceil(moment: datetime, step: timedelta) -> datetime:
    floor = _floor(moment, step)
    return floor if floor == moment else floor + step


def _unfiltered(staff: StaffFilter | None) -> None:
    """The summaries have no staff dimension yet: engine selection sends filtered computations to scan."""
    if staff is not None:
        raise ValueError("The rollup engine cannot filter by staff; select_engine chooses scan for that.")


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


def _range(column: str, start: datetime | None, end: datetime) -> tuple[str, list]:
    if start is None:
        return f"{column} < %s", [end]
    return f"{column} >= %s AND {column} < %s", [start, end]


def _padded(expressions: list[str]) -> str:
    keys = [f"({expr})::text" for expr in expressions] + ["NULL::text"] * (2 - len(expressions))
    return ", ".join(f"{key} AS k{i}" for i, key in enumerate(keys, 1))


# Every SELECT of a statement has the same columns: p, k1, k2, n and one x<i> per summed column of the widest fact.
SUMS = max(len(fact.sums) for fact in FACTS)


def _values(count: str, expressions: list[str]) -> str:
    """The n and x1..x<SUMS> columns: the count and the summed expressions, padded with zeros."""
    padded = [*expressions, *["0"] * (SUMS - len(expressions))]
    return ", ".join([f"{count}::numeric AS n", *(f"({expr})::numeric AS x{i}" for i, expr in enumerate(padded, 1))])


class _Statement:
    """The distinct pieces of every window, each one SELECT of one statement (one snapshot), summed per key.

    Windows share pieces (every window ending at now shares the raw tail; today's buckets are in the week's and the
    month's too): each piece is read once and counted for every window it belongs to.
    """

    def __init__(self) -> None:
        self.selects: list[tuple[str, list]] = []
        self.numbers: dict[tuple, int] = {}
        self.rows: dict[int, list[tuple[str | None, str | None, int, tuple[Decimal, ...]]]] = {}

    def _select(self, identity: tuple, sql: str, params: list) -> int:
        if identity not in self.numbers:
            self.numbers[identity] = len(self.selects)
            self.selects.append((f"SELECT {len(self.selects)} AS p, {sql}", params))
        return self.numbers[identity]

    def window(self, fact: Fact, window: Window) -> list[int]:
        """The numbers of the SELECTs whose (key1, key2, count, sums) rows add up to the fact's totals in `window`."""
        raw_values, summary_values = _values("1", list(fact.sums.values())), _values("count", list(fact.sums))
        numbers = []
        for kind, start, end in pieces(window):
            if kind == RAW:
                condition, params = _range(fact.time, start, end)
                numbers.append(self._select(
                    (fact.table, kind, start, end),
                    f"{_padded(list(fact.keys.values()))}, {raw_values} FROM {fact.source} WHERE {condition}",
                    params,
                ))
                continue
            condition, params = _range("bucket", start, end)
            # A 15-minute piece reads the grid while the grid keeps that day, else the raw rows: one of the two
            # guards holds, evaluated once per statement against the database's clock.
            guard, other = ("TRUE", "FALSE") if kind == DAY else (f"%s >= {FINE_READABLE}", f"%s < {FINE_READABLE}")
            guard_params = [] if kind == DAY else [start]
            for source in (fact.table, fact.delta):  # folded rows and the deltas not folded yet
                numbers.append(self._select(
                    (source, kind, start, end),
                    f"{_padded(list(fact.keys))}, {summary_values} "
                    f"FROM {source} WHERE grain = {kind:d} AND {condition} AND {guard}",
                    [*params, *guard_params],
                ))
            if kind == FINE:
                raw_condition, raw_params = _range(fact.time, start, end)
                numbers.append(self._select(
                    (fact.table, RAW, "old day", start, end),
                    f"{_padded(list(fact.keys.values()))}, {raw_values} FROM {fact.source} "
                    f"WHERE {raw_condition} AND {other}",
                    [*raw_params, start],
                ))
        return numbers

    def every_row(self, fact: Fact) -> list[int]:
        """The SELECTs whose rows add up to the fact's totals over all rows: every UTC-day bucket, folded and delta."""
        return [
            self._select(
                (source, "every row"),
                f"{_padded(list(fact.keys))}, {_values('count', [])} FROM {source} WHERE grain = {DAY}",
                [],
            )
            for source in (fact.table, fact.delta)
        ]

    def pending_ok(self, window: Window, now: datetime) -> int:
        """Raw rows resolved in `window` whose only open question, the response, is not due before `now`.

        Bounded by the complaints whose response is due at or after now (the due-times index), whatever the history.
        """
        condition, params = _range("resolved_at", window.start, window.end)
        return self._select(
            ("pending_ok", window, now),
            f"NULL::text AS k1, NULL::text AS k2, {_values('1', [])} FROM complaints_complaint "
            f"WHERE response_due_at >= %s AND first_response_at IS NULL AND {condition} "
            f"AND ({OUTCOME_SQL}) = {ResolvedOutcome.RESPONSE_PENDING:d}",
            [now, *params],
        )

    def run(self, *, using: str) -> None:
        if not self.selects:
            return
        sql = " UNION ALL ".join(f"({select})" for select, _ in self.selects)
        params = [param for _, select_params in self.selects for param in select_params]
        sums = ", ".join(f"sum(x{i})" for i in range(1, SUMS + 1))
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT p, k1, k2, sum(n), {sums} FROM ({sql}) AS u GROUP BY 1, 2, 3", params)
            for p, k1, k2, n, *x in cursor.fetchall():
                self.rows.setdefault(p, []).append((k1, k2, int(n), tuple(x)))

    def total(
        self, numbers: list[int], k1: str | None = None, k2: str | None = None
    ) -> tuple[int, tuple[Decimal, ...] | None]:
        """(count, the fact's sums in order) over the SELECTs `numbers` for one key (None: every key; sums None: no row)."""
        count, summed = 0, None
        for number in set(numbers):
            for key1, key2, n, x in self.rows.get(number, ()):
                if (k1 is None or key1 == k1) and (k2 is None or key2 == k2):
                    count = count + n
                    summed = x if summed is None else tuple(a + b for a, b in zip(summed, x, strict=True))
        return count, summed


def booking_totals(
    *, windows: Mapping[str, Window], amounts: bool, backlog: bool, using: str, staff: StaffFilter | None = None
) -> BookingTotals:
    """As scan.booking_totals, from the summaries (the open backlog included); unfiltered only."""
    _unfiltered(staff)
    statement = _Statement()
    selects = {name: statement.window(FACT_OF[BookingRollup], window) for name, window in windows.items()}
    # Every booking has a created_at, so its status counts over all day buckets are the open backlog's too.
    every_row = statement.every_row(FACT_OF[BookingRollup]) if backlog else []
    statement.run(using=using)
    created = {}
    for name, numbers in selects.items():
        created[name] = {}
        for status in BookingStatus.values:
            count, sums = statement.total(numbers, status)
            created[name][status] = StatusTally(count=count, amount=_amount(sums, amounts=amounts))
    open_backlog = {status: statement.total(every_row, status)[0] for status in OPEN_STATUSES} if backlog else {}
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
    """As scan.complaint_totals: window tallies from the summaries, the unresolved backlog (SLA states) from scan."""
    _unfiltered(staff)
    statement = _Statement()
    created_selects = {name: statement.window(FACT_OF[ComplaintCreatedRollup], w) for name, w in created.items()}
    if resolved_in is not None:
        resolved_selects = statement.window(FACT_OF[ComplaintResolvedRollup], resolved_in)
        if sla_at is not None:
            pending_ok = statement.pending_ok(resolved_in, sla_at[0])
    if responded_in is not None:
        responded_selects = statement.window(FACT_OF[ComplaintRespondedRollup], responded_in)
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
        resolved = _event_tally(RESOLVED, statement.total(resolved_selects))
        if sla_at is not None:
            met = statement.total(resolved_selects, str(ResolvedOutcome.MET.value))[0]
            compliant = met + statement.total([pending_ok])[0]
    if responded_in is not None:
        responded = _event_tally(RESPONDED, statement.total(responded_selects))
    open_backlog = {}
    if backlog:
        open_backlog = scan.complaint_totals(
            created={}, resolved_in=None, responded_in=None, sla_at=sla_at, backlog=True, using=using
        ).backlog
    return ComplaintTotals(
        created=created_counts, resolved=resolved, responded=responded, compliant=compliant, backlog=open_backlog
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
    _unfiltered(staff)
    series = []
    with _one_snapshot(using):
        for chunk in _chunks(_buckets(bounds)):
            statement = _Statement()
            selects = [statement.window(FACT_OF[BookingRollup], bucket) for bucket in chunk]
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
    _unfiltered(staff)
    met = str(ResolvedOutcome.MET.value)
    created, resolved, responded, compliant = [], [], [], []
    with _one_snapshot(using):
        for chunk in _chunks(_buckets(bounds)):
            statement = _Statement()
            created_selects = [statement.window(FACT_OF[ComplaintCreatedRollup], bucket) for bucket in chunk]
            resolved_selects = [statement.window(FACT_OF[ComplaintResolvedRollup], bucket) for bucket in chunk]
            responded_selects = [statement.window(FACT_OF[ComplaintRespondedRollup], bucket) for bucket in chunk]
            pending_ok = [statement.pending_ok(bucket, sla_at[0]) for bucket in chunk] if sla_at is not None else []
            statement.run(using=using)
            created += [statement.total(numbers)[0] for numbers in created_selects]
            resolved += [_event_tally(RESOLVED, statement.total(numbers)) for numbers in resolved_selects]
            responded += [_event_tally(RESPONDED, statement.total(numbers)) for numbers in responded_selects]
            compliant += [
                statement.total(numbers, met)[0] + statement.total([pending])[0]
                for numbers, pending in zip(resolved_selects, pending_ok, strict=True)
            ] if sla_at is not None else [0] * len(chunk)
    return ComplaintSeries(created=created, resolved=resolved, responded=responded, compliant=compliant)


def staff_workload(*, using: str, staff: StaffFilter | None = None) -> list[dict]:
    """As scan.staff_workload (the open backlog per staff member is a "now" figure)."""
    return scan.staff_workload(using=using, staff=staff)
