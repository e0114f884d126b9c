"""The usual way such endpoints are written: one ORM query per figure."""
import operator
from datetime import datetime, timedelta
from decimal import Decimal
from functools import reduce

from django.db.models import Avg, F, Q, Sum

from bookings.models import OPEN_STATUSES, REVENUE_STATUSES, WAITING_STATUSES, Booking, BookingStatus
from complaints.models import ACTIVE_STATUSES, UNRESOLVED_STATUSES, Complaint, ComplaintPriority, ComplaintStatus
from ops_metrics.windows.figures import growth_rate, hours, money, percentage
from ops_metrics.windows.periods import Window, Windows
from staff.models import Staff

# The SLA rules of docs/api.md, figures as plain ORM predicates: the naive reference states them independently of the engine.
SLA_TARGETS = (("response_due_at", "first_response_at"), ("resolution_due_at", "resolved_at"))


def target_breached_q(*, due: str, achieved: str, now: datetime) -> Q:
    """The target is tracked and was met after its due time, or is unmet with its due time passed (due == now is not)."""
    return Q(**{f"{due}__isnull": False}) & (
        Q(**{f"{achieved}__gt": F(due)}) | Q(**{f"{achieved}__isnull": True, f"{due}__lt": now})
    )


def target_not_breached_q(*, due: str, achieved: str, now: datetime) -> Q:
    """Exact complement of `target_breached_q`, spelled positively so NULLs cannot fall through."""
    return (
        Q(**{f"{due}__isnull": True})
        | Q(**{f"{achieved}__lte": F(due)})
        | Q(**{f"{achieved}__isnull": True, f"{due}__gte": now})
    )


def target_at_risk_q(*, due: str, achieved: str, now: datetime, until: datetime) -> Q:
    """The target is unmet and due within [now, until], both edges included."""
    return Q(**{f"{achieved}__isnull": True, f"{due}__gte": now, f"{due}__lte": until})


def sla_breached_q(*, now: datetime) -> Q:
    """At least one target of the complaint is breached at `now`."""
    return reduce(operator.or_, (target_breached_q(due=d, achieved=a, now=now) for d, a in SLA_TARGETS))


def sla_clean_q(*, now: datetime) -> Q:
    """No target of the complaint is breached at `now`."""
    return reduce(operator.and_, (target_not_breached_q(due=d, achieved=a, now=now) for d, a in SLA_TARGETS))


def sla_at_risk_q(*, now: datetime, until: datetime) -> Q:
    """No target is breached and at least one is unmet and due within [now, until]."""
    at_risk = (target_at_risk_q(due=d, achieved=a, now=now, until=until) for d, a in SLA_TARGETS)
    return sla_clean_q(now=now) & reduce(operator.or_, at_risk)


def _in(field: str, window: Window) -> Q:
    if window.start is None:
        return Q(**{f"{field}__lt": window.end})
    return Q(**{f"{field}__gte": window.start, f"{field}__lt": window.end})


def naive_metrics(*, windows: Windows, buffer: timedelta, currency: str) -> dict:
    """Every group of the payload, one query per figure."""
    b, c = Booking.objects, Complaint.objects
    period, now = windows.period, windows.now
    fixed = {"today": windows.today, "week": windows.week, "month": windows.month}
    revenue = Q(status__in=REVENUE_STATUSES)

    def amount(q: Q) -> Decimal:
        return money(b.filter(q).aggregate(s=Sum("total_amount"))["s"] or Decimal(0))

    def avg_hours(event: str) -> float | None:
        return hours(c.filter(_in(event, period)).aggregate(a=Avg(F(event) - F("created_at")))["a"])

    current, previous = _in("created_at", windows.comparison_current), _in("created_at", windows.comparison_previous)
    revenue_total = amount(_in("created_at", period) & revenue)
    revenue_count = b.filter(_in("created_at", period) & revenue).count()
    unresolved = c.filter(status__in=UNRESOLVED_STATUSES)
    breached, at_risk = sla_breached_q(now=now), sla_at_risk_q(now=now, until=now + buffer)
    resolved = c.filter(_in("resolved_at", period))
    previous_count = b.filter(previous).count()
    previous_amount = amount(previous & revenue)
    workload = []
    for staff in Staff.objects.filter(is_active=True):
        n_bookings = b.filter(assigned_staff=staff, status__in=OPEN_STATUSES).count()
        n_complaints = c.filter(assigned_to=staff, status__in=UNRESOLVED_STATUSES).count()
        workload.append({
            "staff_id": staff.pk, "name": staff.name, "bookings": n_bookings, "complaints": n_complaints,
            "total": n_bookings + n_complaints,
        })
    workload.sort(key=lambda row: (-row["total"], row["name"], row["staff_id"]))
    return {
        "bookings": {
            "by_status": {s: b.filter(_in("created_at", period), status=s).count() for s in BookingStatus.values},
            "total": b.filter(_in("created_at", period)).count(),
            **{name: b.filter(_in("created_at", w)).count() for name, w in fixed.items()},
            "growth_rate": growth_rate(current=b.filter(current).count(), previous=previous_count),
            "previous": previous_count,
        },
        "complaints": {
            "by_priority": {p: c.filter(_in("created_at", period), priority=p).count() for p in ComplaintPriority.values},
            "by_status": {s: c.filter(_in("created_at", period), status=s).count() for s in ComplaintStatus.values},
            "total": c.filter(_in("created_at", period)).count(),
            "unresolved": c.filter(_in("created_at", period), status__in=UNRESOLVED_STATUSES).count(),
            "today": c.filter(_in("created_at", windows.today)).count(),
            "avg_resolution_hours": avg_hours("resolved_at"),
        },
        "sla": {
            "at_risk": unresolved.filter(at_risk).count(),
            "breached": unresolved.filter(breached).count(),
            "by_priority": {
                p: {"at_risk": unresolved.filter(at_risk, priority=p).count(),
                    "breached": unresolved.filter(breached, priority=p).count()}
                for p in ComplaintPriority.values
            },
            "compliance_rate": percentage(part=resolved.filter(sla_clean_q(now=now)).count(), whole=resolved.count()),
            "avg_response_hours": avg_hours("first_response_at"),
            "avg_resolution_hours": avg_hours("resolved_at"),
        },
        "revenue": {
            "total": revenue_total,
            "by_status": {s: amount(_in("created_at", period) & Q(status=s)) for s in BookingStatus.values},
            **{name: amount(_in("created_at", w) & revenue) for name, w in fixed.items()},
            "average_order_value": money(revenue_total / revenue_count) if revenue_count else None,
            "growth_rate": growth_rate(current=amount(current & revenue), previous=previous_amount),
            "previous": previous_amount,
            "currency": currency,
        },
        "realtime": {
            "active_bookings": b.filter(status=BookingStatus.IN_PROGRESS).count(),
            "pending_bookings": b.filter(status__in=WAITING_STATUSES).count(),
            "active_complaints": c.filter(status__in=ACTIVE_STATUSES).count(),
            "critical_complaints": unresolved.filter(priority=ComplaintPriority.CRITICAL).count(),
            "staff_workload": workload,
        },
    }
