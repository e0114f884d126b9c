"""The scan engine: totals from one grouped aggregate query per table over the raw rows (runs on any database)."""
import operator
from collections.abc import Collection, Container, Mapping, Sequence
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    Expression,
    F,
    Func,
    IntegerField,
    Min,
    Model,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.lookups import Exact, In

from bookings.models import OPEN_STATUSES, REVENUE_STATUSES, Booking, BookingStatus
from complaints.models import (
    BUSINESS_TIME_FIELDS,
    UNRESOLVED_STATUSES,
    Complaint,
    ComplaintPriority,
    ComplaintStatus,
)
from complaints.sla_state import SlaState, sla_state
from ops_metrics.engines.totals import (
    BookingTotals,
    ComplaintSeries,
    ComplaintTotals,
    EventTally,
    StaffTally,
    StatusTally,
)
from ops_metrics.windows.figures import MICROSECOND, ZERO
from ops_metrics.windows.periods import Window
from ops_metrics.windows.ranges import StaffFilter
from staff.models import Staff

BOOKING_STAFF, COMPLAINT_STAFF = "assigned_staff", "assigned_to"


def assigned(field: str, staff: StaffFilter | None) -> Q:
    """Rows whose staff foreign key `field` is in the filter (its ids, or NULL for `none`); Q() when there is none."""
    if staff is None:
        return Q()
    conditions = [Q(**{f"{field}__in": sorted(staff.ids)})] if staff.ids else []
    if staff.unassigned:
        conditions.append(Q(**{f"{field}__isnull": True}))
    return reduce(operator.or_, conditions)


def _since(field: str, *windows: Window) -> Q | None:
    """Rows whose `field` is at or after the earliest start of `windows` (None: every row is needed)."""
    starts = [w.start for w in windows]
    if None in starts:
        return None
    return Q(**{f"{field}__gte": min(starts)})


def _scan(reasons: list[Q | None]) -> Q:
    """The rows one aggregate query must read: the union of what each figure needs, on indexed columns."""
    if None in reasons:
        return Q()
    return reduce(operator.or_, dict.fromkeys(reasons))


def _grouped_rows(queryset, *, reasons: list[Q | None], by: list[str], keys: dict, aggregates: dict) -> list[dict]:
    """One aggregate query: the rows `reasons` need, grouped by the `by` columns and the `keys` expressions."""
    return list(queryset.filter(_scan(reasons)).order_by().values(*by, **keys).annotate(**aggregates))


class Bucket(Expression):
    """Which interval cut by the ascending `bounds` holds the field's value, as a number.

    i when bounds[i-1] <= value < bounds[i]: 0 below the first bound, len(bounds) at or above the last and for NULL.
    A portable CASE compiled from the one column and plain parameters, where Case(When(...)) would resolve a lookup
    per bound; grouping by it classifies each row once against every half-open window cut by those bounds.
    """

    output_field = IntegerField()

    def __init__(self, field: str, bounds: Sequence) -> None:
        super().__init__()
        self.source = F(field)
        self.bounds = tuple(bounds)

    def get_source_expressions(self) -> list:
        return [self.source]

    def set_source_expressions(self, exprs: list) -> None:
        (self.source,) = exprs

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        column, column_params = compiler.compile(self.source)
        field = self.source.output_field
        whens, params = [], []
        for index, bound in enumerate(self.bounds):
            whens.append(f"WHEN {column} < %s THEN {index}")
            params += [*column_params, field.get_db_prep_value(bound, connection)]
        return f"CASE {' '.join(whens)} ELSE {len(self.bounds)} END", params


def _bounds(*windows: Window) -> list[datetime]:
    """The distinct bounds of `windows`, ascending, to cut buckets by."""
    return sorted({bound for window in windows for bound in (window.start, window.end) if bound is not None})


def _buckets(bounds: list[datetime], window: Window) -> range:
    """The Bucket values of rows inside `window`, whose bounds are among `bounds`."""
    first = 0 if window.start is None else bounds.index(window.start) + 1
    return range(first, bounds.index(window.end) + 1)


def _total(rows: list[dict], column: str, **only: Container) -> Any:
    """`column` summed over the grouped rows whose keys fall in `only` (e.g. status=...); None when all are NULL."""
    total, conditions = None, tuple(only.items())
    for row in rows:
        value = row[column]
        if value is None:
            continue
        for key, allowed in conditions:
            if row[key] not in allowed:
                break
        else:
            total = value if total is None else total + value
    return total


def _microseconds(duration: timedelta | None) -> int:
    return 0 if duration is None else duration // MICROSECOND


def _event_tally(rows: list[dict], event: str) -> EventTally:
    """The tally of the grouped rows' `event` aggregates (see _event_aggregates)."""
    return EventTally(
        count=_total(rows, "count") or 0,
        duration_microseconds=_microseconds(_total(rows, event)),
        business_count=_total(rows, f"{event}_business_count") or 0,
        business_microseconds=_microseconds(_total(rows, f"{event}_business")),
    )


def _event_aggregates(event: str, *, field: str, business_field: str) -> dict:
    """(field − created_at) summed, and the stored business time to the event summed and counted where not NULL."""
    return {
        event: Sum(F(field) - F("created_at")),
        f"{event}_business": Sum(business_field),
        f"{event}_business_count": Count(business_field),
    }


def booking_totals(
    *, windows: Mapping[str, Window], amounts: bool, backlog: bool, using: str, staff: StaffFilter | None = None
) -> BookingTotals:
    """Bookings created in each window per status (amounts summed when asked) and the open backlog, in one query.

    The query groups by status and by the Bucket of created_at between the windows' bounds: it returns aggregate
    rows, not data rows (at most 5 statuses × (2 × windows + 1) buckets, whatever the data size).
    """
    keys: dict = {}
    aggregates: dict = {"count": Count("*")}
    reasons: list[Q | None] = []
    if windows:
        reasons.append(_since("created_at", *windows.values()))
        bounds = _bounds(*windows.values())
        keys["created"] = Bucket("created_at", bounds)
    if amounts:
        aggregates["amount"] = Sum("total_amount")
    if backlog:
        reasons.append(Q(status__in=OPEN_STATUSES))
    if not reasons:
        return BookingTotals(created={}, backlog={})
    bookings = Booking.objects.using(using).filter(assigned(BOOKING_STAFF, staff))
    rows = _grouped_rows(bookings, reasons=reasons, by=["status"], keys=keys, aggregates=aggregates)

    created = {}
    for name, window in windows.items():
        in_window = [row for row in rows if row["created"] in _buckets(bounds, window)]
        created[name] = {
            status: StatusTally(
                count=_total(in_window, "count", status={status}) or 0,
                amount=(_total(in_window, "amount", status={status}) if amounts else None) or ZERO,
            )
            for status in BookingStatus.values
        }
    open_backlog = {status: _total(rows, "count", status={status}) or 0 for status in OPEN_STATUSES} if backlog else {}
    return BookingTotals(created=created, backlog=open_backlog)


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
    """Complaints created per window, resolved and responded in a window, and the unresolved backlog, in one query.

    `sla_at` = (now, now + at-risk buffer) classifies resolved and unresolved rows by SlaState. The query groups by
    priority, status, SLA state and the Buckets of created_at, resolved_at and first_response_at between the windows'
    bounds: aggregate rows, not data rows (a few dozen in practice, whatever the data size).
    """
    keys: dict = {}
    aggregates: dict = {"count": Count("*")}
    reasons: list[Q | None] = []
    if resolved_in is not None:
        reasons.append(_since("resolved_at", resolved_in))
        resolved_bounds = _bounds(resolved_in)
        keys["resolved"] = Bucket("resolved_at", resolved_bounds)
        aggregates.update(
            _event_aggregates("resolution", field="resolved_at", business_field="resolution_business_time")
        )
    if created:
        reasons.append(_since("created_at", *created.values()))
        created_bounds = _bounds(*created.values())
        keys["created"] = Bucket("created_at", created_bounds)
    if responded_in is not None:
        reasons.append(_since("first_response_at", responded_in))
        responded_bounds = _bounds(responded_in)
        keys["responded"] = Bucket("first_response_at", responded_bounds)
        aggregates.update(
            _event_aggregates("response", field="first_response_at", business_field="response_business_time")
        )
    if sla_at is not None:
        now, until = sla_at
        keys["sla"] = sla_state(now=now, until=until)
    if backlog:
        reasons.append(Q(status__in=UNRESOLVED_STATUSES))
    if not reasons:
        return ComplaintTotals(created={}, resolved=None, responded=None, compliant=None, backlog={})
    rows = _grouped_rows(
        Complaint.objects.using(using).filter(assigned(COMPLAINT_STAFF, staff)), reasons=reasons,
        by=["priority", "status"], keys=keys, aggregates=aggregates,
    )

    created_counts = {}
    for name, window in created.items():
        in_window = [row for row in rows if row["created"] in _buckets(created_bounds, window)]
        created_counts[name] = {
            (priority, status): _total(in_window, "count", priority={priority}, status={status}) or 0
            for priority in ComplaintPriority.values for status in ComplaintStatus.values
        }
    resolved = responded = compliant = None
    if resolved_in is not None:
        resolved_rows = [row for row in rows if row["resolved"] in _buckets(resolved_bounds, resolved_in)]
        resolved = _event_tally(resolved_rows, "resolution")
        if sla_at is not None:
            compliant = _total(resolved_rows, "count", sla={SlaState.CLEAR, SlaState.AT_RISK}) or 0
    if responded_in is not None:
        responded = _event_tally(
            [row for row in rows if row["responded"] in _buckets(responded_bounds, responded_in)], "response"
        )
    open_backlog: dict[tuple[str, str, int | None], int] = {}
    if backlog:
        for row in rows:
            if row["status"] in UNRESOLVED_STATUSES:
                key = (row["priority"], row["status"], row.get("sla"))
                open_backlog[key] = open_backlog.get(key, 0) + row["count"]
    return ComplaintTotals(
        created=created_counts, resolved=resolved, responded=responded, compliant=compliant, backlog=open_backlog
    )


def _in_bounds(field: str, bounds: Sequence[datetime]) -> Q:
    return Q(**{f"{field}__gte": bounds[0], f"{field}__lt": bounds[-1]})


def booking_series(
    *, bounds: Sequence[datetime], amounts: bool, using: str, staff: StaffFilter | None = None
) -> list[dict[str, StatusTally]]:
    """Bookings created in each bucket [bounds[i], bounds[i+1]) per status (every status), in one query.

    `bounds` ascend strictly (at least two); the result has one entry per bucket, len(bounds) − 1 in all. Amounts are
    summed when asked, else zero. One grouped query by status and the Bucket of created_at: at most
    5 × len(bounds) aggregate rows, whatever the data size. Another engine implements the same signature.
    """
    aggregates: dict = {"count": Count("*")}
    if amounts:
        aggregates["amount"] = Sum("total_amount")
    rows = _grouped_rows(
        Booking.objects.using(using).filter(assigned(BOOKING_STAFF, staff)), reasons=[_in_bounds("created_at", bounds)],
        by=["status"],
        keys={"bucket": Bucket("created_at", bounds)}, aggregates=aggregates,
    )
    series = [{status: StatusTally(count=0, amount=ZERO) for status in BookingStatus.values}
              for _ in range(len(bounds) - 1)]
    for row in rows:
        series[row["bucket"] - 1][row["status"]] = StatusTally(count=row["count"], amount=row.get("amount") or ZERO)
    return series


def complaint_series(
    *, bounds: Sequence[datetime], sla_at: tuple[datetime, datetime] | None, using: str,
    staff: StaffFilter | None = None,
) -> ComplaintSeries:
    """Complaints created, resolved and first responded to in each bucket [bounds[i], bounds[i+1]), in one query.

    `bounds` ascend strictly (at least two). `sla_at` = (now, now + at-risk buffer) classifies the resolved ones by
    SlaState at now, for `compliant`. One statement: a UNION ALL of three queries grouped by the Bucket of
    created_at, resolved_at and first_response_at (and the SLA state), so at most about 5 × len(bounds) aggregate
    rows, whatever the data size. Another engine implements the same signature.
    """
    queryset = Complaint.objects.using(using).filter(assigned(COMPLAINT_STAFF, staff)).order_by()
    no_state = Value(None, output_field=IntegerField())

    no_duration = Value(None, output_field=DurationField())

    def grouped(field: str, *, state: Expression, duration: bool):
        business = BUSINESS_TIME_FIELDS.get(field)
        return queryset.filter(_in_bounds(field, bounds)).values(
            kind=Value(field), bucket=Bucket(field, bounds), state=state,
        ).annotate(
            count=Count("*"),
            duration=Sum(F(field) - F("created_at")) if duration else no_duration,
            business=Sum(business) if duration else no_duration,
            business_count=Count(business) if duration else Value(0, output_field=IntegerField()),
        )

    # The arms with a typed duration and state come first: PostgreSQL types a UNION's columns from them.
    resolved = grouped("resolved_at", state=no_state if sla_at is None else sla_state(now=sla_at[0], until=sla_at[1]),
                       duration=True)
    rows = resolved.union(
        grouped("first_response_at", state=no_state, duration=True),
        grouped("created_at", state=no_state, duration=False),
        all=True,
    )
    size = len(bounds) - 1
    counts = {field: [0] * size for field in ("created_at", "resolved_at", "first_response_at")}
    durations = {field: [0] * size for field in BUSINESS_TIME_FIELDS}
    business_counts = {field: [0] * size for field in BUSINESS_TIME_FIELDS}
    business_durations = {field: [0] * size for field in BUSINESS_TIME_FIELDS}
    compliant = [0] * size
    for row in rows:
        field, index = row["kind"], row["bucket"] - 1
        counts[field][index] += row["count"]
        if field in durations:
            durations[field][index] += row["duration"] // MICROSECOND
            business_counts[field][index] += row["business_count"]
            business_durations[field][index] += _microseconds(row["business"])
        if field == "resolved_at" and row["state"] in (SlaState.CLEAR, SlaState.AT_RISK):
            compliant[index] += row["count"]
    def tallies(field: str) -> list[EventTally]:
        return [
            EventTally(count=n, duration_microseconds=d, business_count=bn, business_microseconds=bd)
            for n, d, bn, bd in zip(
                counts[field], durations[field], business_counts[field], business_durations[field], strict=True
            )
        ]

    return ComplaintSeries(
        created=counts["created_at"], resolved=tallies("resolved_at"), responded=tallies("first_response_at"),
        compliant=compliant,
    )


def earliest_created(
    *, bookings: bool, complaints: bool, using: str, staff: StaffFilter | None = None
) -> datetime | None:
    """The earliest created_at among the bookings and/or complaints asked for (None when there are none).

    One MIN query per table, answered from the created_at index.
    """
    found = []
    if bookings:
        rows = Booking.objects.using(using).filter(assigned(BOOKING_STAFF, staff))
        found.append(rows.aggregate(first=Min("created_at"))["first"])
    if complaints:
        rows = Complaint.objects.using(using).filter(assigned(COMPLAINT_STAFF, staff))
        found.append(rows.aggregate(first=Min("created_at"))["first"])
    return min((moment for moment in found if moment is not None), default=None)


def _assigned_count(model: type[Model], field: str, statuses: Collection[str]) -> Subquery:
    """Correlated subquery counting `model` rows in `statuses` assigned (via `field`) to the outer staff row.

    COUNT as a plain function, so the subquery is one aggregate row (0 when none) with no GROUP BY or COALESCE;
    COUNT(*) rather than COUNT(id), so PostgreSQL answers from the partial index alone (an index-only scan: 6.5 ms
    instead of 80 ms over 128,000 open bookings at 10M).
    """
    counted = model.objects.filter(**{field: OuterRef("pk"), "status__in": statuses}).order_by()
    count = Func(template="COUNT(*)", output_field=IntegerField())
    return Subquery(counted.values(n=count), output_field=IntegerField())


# Parameter-free, so built once: building its two correlated subqueries cost as much as compiling the query.
# Every call evaluates a clone (`using` chains a new queryset), never this one, so no results are cached here.
_WORKLOAD_ROWS = (
    Staff.objects.filter(is_active=True)
    .order_by("name", "pk")
    .values_list(
        "pk", "name",
        _assigned_count(Booking, "assigned_staff", OPEN_STATUSES),
        _assigned_count(Complaint, "assigned_to", UNRESOLVED_STATUSES),
    )
)


def staff_workload(*, using: str, staff: StaffFilter | None = None) -> list[dict]:
    """Open bookings and unresolved complaints per active staff member (zero rows too), heaviest first, then by name.

    With a staff filter, only the staff members it names (`none` names nobody).
    """
    rows = _WORKLOAD_ROWS.using(using)
    if staff is not None:
        rows = rows.filter(pk__in=sorted(staff.ids))
    workload = [
        {"staff_id": pk, "name": name, "bookings": bookings, "complaints": complaints, "total": bookings + complaints}
        for pk, name, bookings, complaints in rows
    ]
    # Summed and sorted here rather than in SQL, where ORDER BY the sum would run both subqueries twice;
    # the sort is stable, so equal totals keep the database's name order.
    return sorted(workload, key=lambda row: -row["total"])




def within(field: str, window: Window) -> Q:
    """Rows whose `field` falls in `window` (half-open; no start: everything before its end)."""
    condition = Q(**{f"{field}__lt": window.end})
    return condition if window.start is None else condition & Q(**{f"{field}__gte": window.start})


def _by_staff(queryset, field: str, *, rows: Q, aggregates: dict) -> dict[int | None, dict]:
    grouped = queryset.filter(rows).order_by().values(field).annotate(**aggregates)
    return {row[field]: row for row in grouped}


def staff_totals(
    *, window: Window, sla_at: tuple[datetime, datetime], amounts: bool, using: str, staff: StaffFilter | None = None
) -> dict[int | None, StaffTally]:
    """Each staff member's (None: unassigned) tallies in `window` and open work now: one grouped query per table."""
    created = within("created_at", window)
    open_bookings = Q(status__in=OPEN_STATUSES)
    booking_aggregates = {
        "bookings": Count("pk", filter=created),
        "bookings_completed": Count("pk", filter=created & Q(status=BookingStatus.COMPLETED)),
        "open_bookings": Count("pk", filter=open_bookings),
    }
    if amounts:
        booking_aggregates["revenue"] = Sum("total_amount", filter=created & Q(status__in=REVENUE_STATUSES))
    bookings = _by_staff(Booking.objects.using(using).filter(assigned(BOOKING_STAFF, staff)), BOOKING_STAFF,
                         rows=created | open_bookings, aggregates=booking_aggregates)

    resolved, responded = within("resolved_at", window), within("first_response_at", window)
    unresolved = Q(status__in=UNRESOLVED_STATUSES)
    state = sla_state(now=sla_at[0], until=sla_at[1])
    complaints = _by_staff(
        Complaint.objects.using(using).filter(assigned(COMPLAINT_STAFF, staff)), COMPLAINT_STAFF,
        rows=created | resolved | responded | unresolved,
        aggregates={
            "complaints": Count("pk", filter=created),
            "resolved": Count("pk", filter=resolved),
            "compliant": Count("pk", filter=resolved & Q(In(state, [SlaState.CLEAR, SlaState.AT_RISK]))),
            "resolution": Sum(F("resolved_at") - F("created_at"), filter=resolved),
            "resolution_business": Sum("resolution_business_time", filter=resolved),
            "resolution_business_count": Count("resolution_business_time", filter=resolved),
            "responded": Count("pk", filter=responded),
            "response": Sum(F("first_response_at") - F("created_at"), filter=responded),
            "response_business": Sum("response_business_time", filter=responded),
            "response_business_count": Count("response_business_time", filter=responded),
            "at_risk": Count("pk", filter=unresolved & Q(Exact(state, Value(SlaState.AT_RISK)))),
            "breached": Count("pk", filter=unresolved & Q(Exact(state, Value(SlaState.BREACHED)))),
            "open_complaints": Count("pk", filter=unresolved),
        },
    )

    def events(row: dict, event: str, count: str) -> EventTally:
        return EventTally(count=row.get(count, 0), duration_microseconds=_microseconds(row.get(event)),
                          business_count=row.get(f"{event}_business_count", 0),
                          business_microseconds=_microseconds(row.get(f"{event}_business")))

    tallies = {}
    for member in {*bookings, *complaints}:
        booking, complaint = bookings.get(member, {}), complaints.get(member, {})
        tallies[member] = StaffTally(
            bookings=booking.get("bookings", 0), bookings_completed=booking.get("bookings_completed", 0),
            revenue=booking.get("revenue") or ZERO, open_bookings=booking.get("open_bookings", 0),
            complaints=complaint.get("complaints", 0), resolved=events(complaint, "resolution", "resolved"),
            compliant=complaint.get("compliant", 0), responded=events(complaint, "response", "responded"),
            at_risk=complaint.get("at_risk", 0), breached=complaint.get("breached", 0),
            open_complaints=complaint.get("open_complaints", 0),
        )
    return tallies
