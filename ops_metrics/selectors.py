"""Metric reads: one conditional-aggregation query per table, shaped into the SPEC §4 groups."""
import operator
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce

from django.db.models import Avg, Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from bookings.models import OPEN_STATUSES, REVENUE_STATUSES, WAITING_STATUSES, Booking, BookingStatus
from complaints.models import ACTIVE_STATUSES, UNRESOLVED_STATUSES, Complaint, ComplaintPriority, ComplaintStatus
from complaints.selectors import sla_at_risk_q, sla_breached_q, sla_clean_q
from ops_metrics.constants import MetricGroup
from ops_metrics.windows import Window, Windows
from staff.models import Staff

ZERO = Decimal("0")
_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


def rounded(value: Decimal | int, places: int) -> float:
    """`value` rounded half away from zero to `places` decimals, as a float (for hours and percentages)."""
    return float(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def money(value: Decimal) -> Decimal:
    """An amount quantized to cents."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def growth_rate(*, current: Decimal | int, previous: Decimal | int) -> float | None:
    """(current − previous) / previous × 100, one decimal; None when previous is 0."""
    if not previous:
        return None
    return rounded((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous), 1)


def percentage(*, part: int, whole: int) -> float | None:
    """part / whole × 100, one decimal; None when whole is 0."""
    return rounded(Decimal(part) * 100 / Decimal(whole), 1) if whole else None


def hours(duration: timedelta | None) -> float | None:
    """A database-averaged duration in hours, two decimals; None when there was nothing to average."""
    if duration is None:
        return None
    return rounded(Decimal(duration // timedelta(microseconds=1)) / _MICROSECONDS_PER_HOUR, 2)


def _in(field: str, window: Window) -> Q:
    """`field` falls in the half-open window."""
    if window.start is None:
        return Q(**{f"{field}__lt": window.end})
    return Q(**{f"{field}__gte": window.start, f"{field}__lt": window.end})


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


def _duration_avg(event: str, window: Window) -> Avg:
    return Avg(F(event) - F("created_at"), filter=_in(event, window))


def _sum(condition: Q) -> Sum:
    return Sum("total_amount", filter=condition, default=ZERO)


def booking_metrics(*, windows: Windows, groups: frozenset[str], using: str) -> dict[str, dict]:
    """The bookings and revenue groups and the booking part of realtime, from one aggregate query."""
    period = windows.period
    fixed = {"today": windows.today, "week": windows.week, "month": windows.month}
    comparison = {"current": windows.comparison_current, "previous": windows.comparison_previous}
    aggregates: dict = {}
    reasons: list[Q | None] = []
    if groups & {MetricGroup.BOOKINGS, MetricGroup.REVENUE}:
        reasons.append(_since("created_at", period, *fixed.values(), *comparison.values()))
    if MetricGroup.BOOKINGS in groups:
        for status in BookingStatus.values:
            aggregates[f"bookings_{status}"] = Count("pk", filter=_in("created_at", period) & Q(status=status))
        aggregates["bookings_total"] = Count("pk", filter=_in("created_at", period))
        for name, window in (fixed | comparison).items():
            aggregates[f"bookings_{name}"] = Count("pk", filter=_in("created_at", window))
    if MetricGroup.REVENUE in groups:
        revenue = Q(status__in=REVENUE_STATUSES)
        for status in BookingStatus.values:
            aggregates[f"amount_{status}"] = _sum(_in("created_at", period) & Q(status=status))
        aggregates["revenue_total"] = _sum(_in("created_at", period) & revenue)
        aggregates["revenue_count"] = Count("pk", filter=_in("created_at", period) & revenue)
        for name, window in (fixed | comparison).items():
            aggregates[f"revenue_{name}"] = _sum(_in("created_at", window) & revenue)
    if MetricGroup.REALTIME in groups:
        reasons.append(Q(status__in=OPEN_STATUSES))
        aggregates["active_bookings"] = Count("pk", filter=Q(status=BookingStatus.IN_PROGRESS))
        aggregates["pending_bookings"] = Count("pk", filter=Q(status__in=WAITING_STATUSES))
    if not aggregates:
        return {}
    row = Booking.objects.using(using).filter(_scan(reasons)).aggregate(**aggregates)

    result: dict[str, dict] = {}
    if MetricGroup.BOOKINGS in groups:
        result[MetricGroup.BOOKINGS] = {
            "by_status": {status: row[f"bookings_{status}"] for status in BookingStatus.values},
            "total": row["bookings_total"],
            **{name: row[f"bookings_{name}"] for name in fixed},
            "growth_rate": growth_rate(current=row["bookings_current"], previous=row["bookings_previous"]),
            "previous": row["bookings_previous"],
        }
    if MetricGroup.REVENUE in groups:
        total = money(row["revenue_total"])
        count = row["revenue_count"]
        result[MetricGroup.REVENUE] = {
            "total": total,
            "by_status": {status: money(row[f"amount_{status}"]) for status in BookingStatus.values},
            **{name: money(row[f"revenue_{name}"]) for name in fixed},
            "average_order_value": money(total / count) if count else None,
            "growth_rate": growth_rate(current=row["revenue_current"], previous=row["revenue_previous"]),
            "previous": money(row["revenue_previous"]),
        }
    if MetricGroup.REALTIME in groups:
        result[MetricGroup.REALTIME] = {
            "active_bookings": row["active_bookings"],
            "pending_bookings": row["pending_bookings"],
        }
    return result


def complaint_metrics(
    *, windows: Windows, groups: frozenset[str], at_risk_buffer: timedelta, using: str
) -> dict[str, dict]:
    """The complaints and SLA groups and the complaint part of realtime, from one aggregate query."""
    period, now = windows.period, windows.now
    unresolved = Q(status__in=UNRESOLVED_STATUSES)
    aggregates: dict = {}
    reasons: list[Q | None] = []
    if groups & {MetricGroup.COMPLAINTS, MetricGroup.SLA}:
        reasons.append(_since("resolved_at", period))
        aggregates["avg_resolution"] = _duration_avg("resolved_at", period)
    if MetricGroup.COMPLAINTS in groups:
        reasons.append(_since("created_at", period, windows.today))
        created = _in("created_at", period)
        for priority in ComplaintPriority.values:
            aggregates[f"priority_{priority}"] = Count("pk", filter=created & Q(priority=priority))
        for status in ComplaintStatus.values:
            aggregates[f"status_{status}"] = Count("pk", filter=created & Q(status=status))
        aggregates["total"] = Count("pk", filter=created)
        aggregates["unresolved"] = Count("pk", filter=created & unresolved)
        aggregates["today"] = Count("pk", filter=_in("created_at", windows.today))
    if MetricGroup.SLA in groups:
        reasons += [unresolved, _since("first_response_at", period)]
        breached = unresolved & sla_breached_q(now=now)
        at_risk = unresolved & sla_at_risk_q(now=now, until=now + at_risk_buffer)
        aggregates["breached"] = Count("pk", filter=breached)
        aggregates["at_risk"] = Count("pk", filter=at_risk)
        for priority in ComplaintPriority.values:
            aggregates[f"breached_{priority}"] = Count("pk", filter=breached & Q(priority=priority))
            aggregates[f"at_risk_{priority}"] = Count("pk", filter=at_risk & Q(priority=priority))
        resolved = _in("resolved_at", period)
        aggregates["resolved"] = Count("pk", filter=resolved)
        aggregates["resolved_clean"] = Count("pk", filter=resolved & sla_clean_q(now=now))
        aggregates["avg_response"] = _duration_avg("first_response_at", period)
    if MetricGroup.REALTIME in groups:
        reasons.append(unresolved)
        aggregates["active_complaints"] = Count("pk", filter=Q(status__in=ACTIVE_STATUSES))
        aggregates["critical_complaints"] = Count("pk", filter=unresolved & Q(priority=ComplaintPriority.CRITICAL))
    if not aggregates:
        return {}
    row = Complaint.objects.using(using).filter(_scan(reasons)).aggregate(**aggregates)

    result: dict[str, dict] = {}
    if MetricGroup.COMPLAINTS in groups:
        result[MetricGroup.COMPLAINTS] = {
            "by_priority": {p: row[f"priority_{p}"] for p in ComplaintPriority.values},
            "by_status": {s: row[f"status_{s}"] for s in ComplaintStatus.values},
            "total": row["total"],
            "unresolved": row["unresolved"],
            "today": row["today"],
            "avg_resolution_hours": hours(row["avg_resolution"]),
        }
    if MetricGroup.SLA in groups:
        result[MetricGroup.SLA] = {
            "at_risk": row["at_risk"],
            "breached": row["breached"],
            "by_priority": {
                p: {"at_risk": row[f"at_risk_{p}"], "breached": row[f"breached_{p}"]} for p in ComplaintPriority.values
            },
            "compliance_rate": percentage(part=row["resolved_clean"], whole=row["resolved"]),
            "avg_response_hours": hours(row["avg_response"]),
            "avg_resolution_hours": hours(row["avg_resolution"]),
        }
    if MetricGroup.REALTIME in groups:
        result[MetricGroup.REALTIME] = {
            "active_complaints": row["active_complaints"],
            "critical_complaints": row["critical_complaints"],
        }
    return result


def _assigned_count(queryset, field: str) -> Coalesce:
    """Correlated subquery counting `queryset` rows assigned (via `field`) to the outer staff row."""
    counted = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def staff_workload(*, using: str) -> list[dict]:
    """Open bookings and unresolved complaints per active staff member (zero rows too), heaviest first, then by name."""
    rows = (
        Staff.objects.using(using)
        .filter(is_active=True)
        .annotate(
            booking_load=_assigned_count(Booking.objects.filter(status__in=OPEN_STATUSES), "assigned_staff"),
            complaint_load=_assigned_count(Complaint.objects.filter(status__in=UNRESOLVED_STATUSES), "assigned_to"),
        )
        .order_by("name", "pk")
        .values_list("pk", "name", "booking_load", "complaint_load")
    )
    workload = [
        {"staff_id": pk, "name": name, "bookings": bookings, "complaints": complaints, "total": bookings + complaints}
        for pk, name, bookings, complaints in rows
    ]
    # Summed and sorted here rather than in SQL, where ORDER BY the sum would run both subqueries twice;
    # the sort is stable, so equal totals keep the database's name order.
    return sorted(workload, key=lambda row: -row["total"])
