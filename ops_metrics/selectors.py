"""Metric reads: one grouped aggregate query per table, shaped into the SPEC §4 groups."""
import operator
from collections.abc import Collection, Container, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import reduce
from typing import Any

from django.db.models import Count, Expression, F, Func, IntegerField, Model, OuterRef, Q, Subquery, Sum

from bookings.models import OPEN_STATUSES, REVENUE_STATUSES, WAITING_STATUSES, Booking, BookingStatus
from complaints.models import ACTIVE_STATUSES, UNRESOLVED_STATUSES, Complaint, ComplaintPriority, ComplaintStatus
from complaints.selectors import SlaState, sla_state
from ops_metrics.constants import MetricGroup
from ops_metrics.windows import Window, Windows
from staff.models import Staff

ZERO = Decimal("0")
_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


def rounded(value: Decimal | int, *, places: int) -> float:
    """`value` rounded half away from zero to `places` decimals, as a float (for hours and percentages)."""
    return float(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def money(value: Decimal) -> Decimal:
    """An amount quantized to cents."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def growth_rate(*, current: Decimal | int, previous: Decimal | int) -> float | None:
    """(current − previous) / previous × 100, one decimal; None when previous is 0."""
    if not previous:
        return None
    return rounded((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous), places=1)


def percentage(*, part: int, whole: int) -> float | None:
    """part / whole × 100, one decimal; None when whole is 0."""
    return rounded(Decimal(part) * 100 / Decimal(whole), places=1) if whole else None


def hours(duration: timedelta | None) -> float | None:
    """A mean duration in hours, two decimals; None when there was nothing to average."""
    if duration is None:
        return None
    return rounded(Decimal(duration // timedelta(microseconds=1)) / _MICROSECONDS_PER_HOUR, places=2)


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


def mean_hours(*, total: timedelta | None, count: int) -> float | None:
    """total / count in hours, two decimals; None when there was nothing to average.

    The exact mean is first rounded half-even to the microsecond, as PostgreSQL's avg(interval) returns it, so the
    figure matches a database avg(). (PostgreSQL divides in floating point and can land 1 µs off; that changes the
    hours only for a mean within 1 µs of an 18-second rounding edge.)
    """
    if not count:
        return None
    return hours(timedelta(microseconds=round(Fraction(total // timedelta(microseconds=1), count))))


def booking_metrics(*, windows: Windows, groups: frozenset[str], using: str) -> dict[str, dict]:
    """The bookings and revenue groups and the booking part of realtime, from one aggregate query.

    The query groups by status and by the Bucket of created_at between the windows' bounds: it returns aggregate
    rows, not data rows (at most 5 statuses × 8 buckets, whatever the data size), a count and an amount each. Every
    figure is a sum over the rows of its statuses and its window's buckets.
    """
    named = {
        "period": windows.period, "today": windows.today, "week": windows.week, "month": windows.month,
        "current": windows.comparison_current, "previous": windows.comparison_previous,
    }
    keys: dict = {}
    aggregates: dict = {"count": Count("*")}
    reasons: list[Q | None] = []
    if groups & {MetricGroup.BOOKINGS, MetricGroup.REVENUE}:
        reasons.append(_since("created_at", *named.values()))
        bounds = _bounds(*named.values())
        keys["created"] = Bucket("created_at", bounds)
    if MetricGroup.REVENUE in groups:
        aggregates["amount"] = Sum("total_amount")
    if MetricGroup.REALTIME in groups:
        reasons.append(Q(status__in=OPEN_STATUSES))
    if not groups & {MetricGroup.BOOKINGS, MetricGroup.REVENUE, MetricGroup.REALTIME}:
        return {}
    rows = _grouped_rows(Booking.objects.using(using), reasons=reasons, by=["status"], keys=keys, aggregates=aggregates)

    if keys:
        within = {name: [row for row in rows if row["created"] in _buckets(bounds, w)] for name, w in named.items()}

    def count(window: str, **only: Container) -> int:
        return _total(within[window], "count", **only) or 0

    def amount(window: str, **only: Container) -> Decimal:
        return money(_total(within[window], "amount", **only) or ZERO)

    result: dict[str, dict] = {}
    if MetricGroup.BOOKINGS in groups:
        result[MetricGroup.BOOKINGS] = {
            "by_status": {status: count("period", status={status}) for status in BookingStatus.values},
            "total": count("period"),
            **{name: count(name) for name in ("today", "week", "month")},
            "growth_rate": growth_rate(current=count("current"), previous=count("previous")),
            "previous": count("previous"),
        }
    if MetricGroup.REVENUE in groups:
        revenue = {"status": REVENUE_STATUSES}
        total, orders = amount("period", **revenue), count("period", **revenue)
        result[MetricGroup.REVENUE] = {
            "total": total,
            "by_status": {status: amount("period", status={status}) for status in BookingStatus.values},
            **{name: amount(name, **revenue) for name in ("today", "week", "month")},
            "average_order_value": money(total / orders) if orders else None,
            "growth_rate": growth_rate(current=amount("current", **revenue), previous=amount("previous", **revenue)),
            "previous": amount("previous", **revenue),
        }
    if MetricGroup.REALTIME in groups:
        result[MetricGroup.REALTIME] = {
            "active_bookings": _total(rows, "count", status={BookingStatus.IN_PROGRESS}) or 0,
            "pending_bookings": _total(rows, "count", status=WAITING_STATUSES) or 0,
        }
    return result


def complaint_metrics(
    *, windows: Windows, groups: frozenset[str], at_risk_buffer: timedelta, using: str
) -> dict[str, dict]:
    """The complaints and SLA groups and the complaint part of realtime, from one aggregate query.

    The query groups by priority, status, SLA state and the Buckets of created_at, resolved_at and first_response_at
    between the windows' bounds: it returns aggregate rows, not data rows (at most 4 × 5 × 3 × 4 × 3 × 3, whatever
    the data size; a few dozen in practice), a count and the summed resolution and response durations each. Every
    figure is a sum over the rows of its class; an average is a summed duration over a count.
    """
    period, now = windows.period, windows.now
    period_bounds = _bounds(period)
    in_period = _buckets(period_bounds, period)
    unresolved = {"status": UNRESOLVED_STATUSES}
    keys: dict = {}
    aggregates: dict = {"count": Count("*")}
    reasons: list[Q | None] = []
    if groups & {MetricGroup.COMPLAINTS, MetricGroup.SLA}:
        reasons.append(_since("resolved_at", period))
        keys["resolved"] = Bucket("resolved_at", period_bounds)
        aggregates["resolution"] = Sum(F("resolved_at") - F("created_at"))
    if MetricGroup.COMPLAINTS in groups:
        reasons.append(_since("created_at", period, windows.today))
        created_bounds = _bounds(period, windows.today)
        keys["created"] = Bucket("created_at", created_bounds)
    if MetricGroup.SLA in groups:
        reasons.append(_since("first_response_at", period))
        keys["responded"] = Bucket("first_response_at", period_bounds)
        keys["sla"] = sla_state(now=now, until=now + at_risk_buffer)
        aggregates["response"] = Sum(F("first_response_at") - F("created_at"))
    if groups & {MetricGroup.SLA, MetricGroup.REALTIME}:
        reasons.append(Q(status__in=UNRESOLVED_STATUSES))
    if not groups & {MetricGroup.COMPLAINTS, MetricGroup.SLA, MetricGroup.REALTIME}:
        return {}
    rows = _grouped_rows(
        Complaint.objects.using(using), reasons=reasons, by=["priority", "status"], keys=keys, aggregates=aggregates
    )

    def count(subset: list[dict], **only: Container) -> int:
        return _total(subset, "count", **only) or 0

    result: dict[str, dict] = {}
    if groups & {MetricGroup.COMPLAINTS, MetricGroup.SLA}:
        resolved = [row for row in rows if row["resolved"] in in_period]
        avg_resolution = mean_hours(total=_total(resolved, "resolution"), count=count(resolved))
    if MetricGroup.COMPLAINTS in groups:
        created_in_period = _buckets(created_bounds, period)
        created = [row for row in rows if row["created"] in created_in_period]
        result[MetricGroup.COMPLAINTS] = {
            "by_priority": {p: count(created, priority={p}) for p in ComplaintPriority.values},
            "by_status": {s: count(created, status={s}) for s in ComplaintStatus.values},
            "total": count(created),
            "unresolved": count(created, **unresolved),
            "today": count(rows, created=_buckets(created_bounds, windows.today)),
            "avg_resolution_hours": avg_resolution,
        }
    if MetricGroup.SLA in groups:
        open_rows = [row for row in rows if row["status"] in UNRESOLVED_STATUSES]
        responded = [row for row in rows if row["responded"] in in_period]
        at_risk, breached = {"sla": {SlaState.AT_RISK}}, {"sla": {SlaState.BREACHED}}
        result[MetricGroup.SLA] = {
            "at_risk": count(open_rows, **at_risk),
            "breached": count(open_rows, **breached),
            "by_priority": {
                p: {"at_risk": count(open_rows, priority={p}, **at_risk),
                    "breached": count(open_rows, priority={p}, **breached)}
                for p in ComplaintPriority.values
            },
            "compliance_rate": percentage(
                part=count(resolved, sla={SlaState.CLEAR, SlaState.AT_RISK}), whole=count(resolved)
            ),
            "avg_response_hours": mean_hours(total=_total(responded, "response"), count=count(responded)),
            "avg_resolution_hours": avg_resolution,
        }
    if MetricGroup.REALTIME in groups:
        result[MetricGroup.REALTIME] = {
            "active_complaints": count(rows, status=ACTIVE_STATUSES),
            "critical_complaints": count(rows, priority={ComplaintPriority.CRITICAL}, **unresolved),
        }
    return result


def _assigned_count(model: type[Model], field: str, statuses: Collection[str]) -> Subquery:
    """Correlated subquery counting `model` rows in `statuses` assigned (via `field`) to the outer staff row.

    COUNT as a plain function, so the subquery is one aggregate row (0 when none) with no GROUP BY or COALESCE.
    """
    counted = model.objects.filter(**{field: OuterRef("pk"), "status__in": statuses}).order_by()
    return Subquery(counted.values(n=Func("pk", function="COUNT")), output_field=IntegerField())


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


def staff_workload(*, using: str) -> list[dict]:
    """Open bookings and unresolved complaints per active staff member (zero rows too), heaviest first, then by name."""
    rows = _WORKLOAD_ROWS.using(using)
    workload = [
        {"staff_id": pk, "name": name, "bookings": bookings, "complaints": complaints, "total": bookings + complaints}
        for pk, name, bookings, complaints in rows
    ]
    # Summed and sorted here rather than in SQL, where ORDER BY the sum would run both subqueries twice;
    # the sort is stable, so equal totals keep the database's name order.
    return sorted(workload, key=lambda row: -row["total"])
