"""The rollup engine (PostgreSQL): scan's totals from the trigger-kept summaries, whatever the history's size.

A window [a, b) is cut into: raw rows in [a, ceil15(a)) (empty when a is a local midnight, which every zone puts on a
15-minute UTC boundary), 15-minute buckets up to the first UTC midnight, whole UTC days, 15-minute buckets from the last
UTC midnight up to floor15(b), and raw rows in [floor15(b), b) through the time column's index. `all` (no start) is
every UTC day before floor15(b)'s day plus the same tail. The "now" figures (backlog, SLA state of unresolved
complaints, staff workload) come from scan, whose queries for them read only the open backlog.
"""
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connections

from bookings.models import BookingStatus
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.engines import scan
from ops_metrics.engines.totals import BookingTotals, ComplaintTotals, EventTally, StatusTally
from ops_metrics.figures import ZERO
from ops_metrics.rollups import (
    DAY,
    FACTS,
    FINE,
    OUTCOME_SQL,
    BookingRollup,
    ComplaintCreatedRollup,
    ComplaintResolvedRollup,
    ComplaintRespondedRollup,
    Fact,
    ResolvedOutcome,
)
from ops_metrics.windows import Window

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
QUARTER_HOUR, ONE_DAY = timedelta(minutes=15), timedelta(days=1)
RAW = "raw"
# The fact number of the raw "resolved, response still pending, not yet due" rows (compliant at this `now`).
PENDING_OK = len(FACTS)
FACT_NUMBER = {fact.model: number for number, fact in enumerate(FACTS)}
FACT_OF = {fact.model: fact for fact in FACTS}


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


def _range(column: str, start: datetime | None, end: datetime) -> tuple[str, list]:
    if start is None:
        return f"{column} < %s", [end]
    return f"{column} >= %s AND {column} < %s", [start, end]


def _padded(expressions: list[str]) -> str:
    keys = [f"({expr})::text" for expr in expressions] + ["NULL::text"] * (2 - len(expressions))
    return ", ".join(f"{key} AS k{i}" for i, key in enumerate(keys, 1))


def _parts(fact: Fact, number: int, window_number: int, window: Window) -> list[tuple[str, list]]:
    """SELECTs of (fact, window, key1, key2, count, summed) rows whose sums are the fact's totals over `window`."""
    summed = next(iter(fact.sums), None)
    parts = []
    for kind, start, end in pieces(window):
        if kind == RAW:
            condition, params = _range(fact.time, start, end)
            keys, count, value, source = list(fact.keys.values()), "1", fact.sums.get(summed, "0"), fact.source
        else:
            condition, params = _range("bucket", start, end)
            condition = f"grain = {kind:d} AND {condition}"
            keys, count, value, source = list(fact.keys), "count", summed or "0", fact.table
        parts.append((
            f"SELECT {number} AS f, {window_number} AS w, {_padded(keys)}, {count}::numeric AS n, "
            f"({value})::numeric AS x FROM {source} WHERE {condition}",
            params,
        ))
    return parts


def _pending_ok(window_number: int, window: Window, now: datetime) -> tuple[str, list]:
    """Raw rows resolved in `window` whose only open question, the response, is not due before `now`.

    Bounded by the complaints whose response is due at or after now (the due-times index), whatever the history.
    """
    condition, params = _range("resolved_at", window.start, window.end)
    return (
        f"SELECT {PENDING_OK} AS f, {window_number} AS w, NULL::text, NULL::text, 1::numeric AS n, 0::numeric AS x "
        f"FROM complaints_complaint WHERE response_due_at >= %s AND first_response_at IS NULL AND {condition} "
        f"AND ({OUTCOME_SQL}) = {ResolvedOutcome.RESPONSE_PENDING:d}",
        [now, *params],
    )


def _totals(parts: list[tuple[str, list]], *, using: str) -> dict[tuple, tuple[int, Decimal]]:
    """One statement (one snapshot) for all parts: (fact, window, key1, key2) → (count, summed)."""
    if not parts:
        return {}
    sql = " UNION ALL ".join(f"({part})" for part, _ in parts)
    params = [param for _, part_params in parts for param in part_params]
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT f, w, k1, k2, sum(n), sum(x) FROM ({sql}) AS u GROUP BY 1, 2, 3, 4", params)
        return {(f, w, k1, k2): (int(n), x) for f, w, k1, k2, n, x in cursor.fetchall()}


def booking_totals(*, windows: Mapping[str, Window], amounts: bool, backlog: bool, using: str) -> BookingTotals:
    """As scan.booking_totals: created tallies from the summaries, the open backlog from scan."""
    number = FACT_NUMBER[BookingRollup]
    names = list(windows)
    parts = [
        part for index, name in enumerate(names)
        for part in _parts(FACT_OF[BookingRollup], number, index, windows[name])
    ]
    rows = _totals(parts, using=using)
    created = {}
    for index, name in enumerate(names):
        created[name] = {}
        for status in BookingStatus.values:
            count, amount = rows.get((number, index, status, None), (0, None))
            created[name][status] = StatusTally(count=count, amount=(amount if amounts else None) or ZERO)
    open_backlog = scan.booking_totals(windows={}, amounts=False, backlog=True, using=using).backlog if backlog else {}
    return BookingTotals(created=created, backlog=open_backlog)


def _event_tally(rows: dict, number: int) -> EventTally:
    matching = [value for key, value in rows.items() if key[0] == number]
    return EventTally(
        count=sum(count for count, _ in matching), duration_microseconds=int(sum(x for _, x in matching))
    )


def complaint_totals(
    *,
    created: Mapping[str, Window],
    resolved_in: Window | None,
    responded_in: Window | None,
    sla_at: tuple[datetime, datetime] | None,
    backlog: bool,
    using: str,
) -> ComplaintTotals:
    """As scan.complaint_totals: window tallies from the summaries, the unresolved backlog (SLA states) from scan."""
    created_number, resolved_number, responded_number = (
        FACT_NUMBER[model] for model in (ComplaintCreatedRollup, ComplaintResolvedRollup, ComplaintRespondedRollup)
    )
    names = list(created)
    parts = [
        part for index, name in enumerate(names)
        for part in _parts(FACT_OF[ComplaintCreatedRollup], created_number, index, created[name])
    ]
    if resolved_in is not None:
        parts += _parts(FACT_OF[ComplaintResolvedRollup], resolved_number, 0, resolved_in)
        if sla_at is not None:
            parts.append(_pending_ok(0, resolved_in, sla_at[0]))
    if responded_in is not None:
        parts += _parts(FACT_OF[ComplaintRespondedRollup], responded_number, 0, responded_in)
    rows = _totals(parts, using=using)

    created_counts = {
        name: {
            (priority, status): rows.get((created_number, index, priority, status), (0, None))[0]
            for priority in ComplaintPriority.values for status in ComplaintStatus.values
        }
        for index, name in enumerate(names)
    }
    resolved = responded = compliant = None
    if resolved_in is not None:
        resolved = _event_tally(rows, resolved_number)
        if sla_at is not None:
            met = rows.get((resolved_number, 0, str(ResolvedOutcome.MET.value), None), (0, None))[0]
            compliant = met + rows.get((PENDING_OK, 0, None, None), (0, None))[0]
    if responded_in is not None:
        responded = _event_tally(rows, responded_number)
    open_backlog = {}
    if backlog:
        open_backlog = scan.complaint_totals(
            created={}, resolved_in=None, responded_in=None, sla_at=sla_at, backlog=True, using=using
        ).backlog
    return ComplaintTotals(
        created=created_counts, resolved=resolved, responded=responded, compliant=compliant, backlog=open_backlog
    )


def staff_workload(*, using: str) -> list[dict]:
    """As scan.staff_workload (the open backlog per staff member is a "now" figure)."""
    return scan.staff_workload(using=using)
