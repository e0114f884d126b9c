"""The dashboard payload: windows in the business timezone, an engine's totals, figures shaped per docs/api.md, figures."""
import time
from collections.abc import Collection
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bookings.models import REVENUE_STATUSES, WAITING_STATUSES, BookingStatus
from complaints.models import ACTIVE_STATUSES, UNRESOLVED_STATUSES, ComplaintPriority, ComplaintStatus
from complaints.sla_state import SlaState
from ops_metrics import app_settings
from ops_metrics.constants import ALL_GROUPS, CUSTOM_PERIOD, MetricGroup, Period
from ops_metrics.engines.selection import observe_computation, select_engine
from ops_metrics.engines.totals import BookingTotals, ComplaintTotals, EventTally
from ops_metrics.models import OpsConfig
from ops_metrics.windows.figures import ZERO, growth_rate, mean_hours, money, percentage
from ops_metrics.windows.periods import Window, Windows, windows_for
from ops_metrics.windows.ranges import CustomRange, StaffFilter

FIXED_WINDOWS = ("today", "week", "month")
BOOKING_GROUPS = frozenset({MetricGroup.BOOKINGS, MetricGroup.REVENUE, MetricGroup.REALTIME})
COMPLAINT_GROUPS = frozenset({MetricGroup.COMPLAINTS, MetricGroup.SLA, MetricGroup.REALTIME})


def _count(totals: BookingTotals, window: str, statuses: Collection[str] = BookingStatus.values) -> int:
    return sum(totals.created[window][status].count for status in statuses)


def _amount(totals: BookingTotals, window: str, statuses: Collection[str] = REVENUE_STATUSES) -> Decimal:
    return money(sum((totals.created[window][status].amount for status in statuses), ZERO))


def bookings_group(totals: BookingTotals) -> dict:
    """docs/api.md, figures bookings."""
    return {
        "by_status": {status: _count(totals, "period", [status]) for status in BookingStatus.values},
        "total": _count(totals, "period"),
        **{name: _count(totals, name) for name in FIXED_WINDOWS},
        "growth_rate": growth_rate(current=_count(totals, "current"), previous=_count(totals, "previous")),
        "previous": _count(totals, "previous"),
    }


def revenue_group(totals: BookingTotals) -> dict:
    """docs/api.md, figures revenue (the currency is added by the caller)."""
    total, orders = _amount(totals, "period"), _count(totals, "period", REVENUE_STATUSES)
    return {
        "total": total,
        "by_status": {status: _amount(totals, "period", [status]) for status in BookingStatus.values},
        **{name: _amount(totals, name) for name in FIXED_WINDOWS},
        "average_order_value": money(total / orders) if orders else None,
        "growth_rate": growth_rate(current=_amount(totals, "current"), previous=_amount(totals, "previous")),
        "previous": _amount(totals, "previous"),
    }


def _created(totals: ComplaintTotals, window: str, *, priorities: Collection[str] = ComplaintPriority.values,
             statuses: Collection[str] = ComplaintStatus.values) -> int:
    return sum(n for (priority, status), n in totals.created[window].items() if priority in priorities and status in statuses)


def _backlog(totals: ComplaintTotals, *, priorities: Collection[str] = ComplaintPriority.values,
             statuses: Collection[str] = UNRESOLVED_STATUSES, states: Collection[int | None] | None = None) -> int:
    return sum(
        n for (priority, status, state), n in totals.backlog.items()
        if priority in priorities and status in statuses and (states is None or state in states)
    )


def _mean_hours(tally: EventTally) -> float | None:
    return mean_hours(total_microseconds=tally.duration_microseconds, count=tally.count)


def _mean_business_hours(tally: EventTally) -> float | None:
    """Over the rows with a stored business time only (docs/api.md, figures sla)."""
    return mean_hours(total_microseconds=tally.business_microseconds, count=tally.business_count)


def complaints_group(totals: ComplaintTotals) -> dict:
    """docs/api.md, figures complaints."""
    return {
        "by_priority": {p: _created(totals, "period", priorities=[p]) for p in ComplaintPriority.values},
        "by_status": {s: _created(totals, "period", statuses=[s]) for s in ComplaintStatus.values},
        "total": _created(totals, "period"),
        "unresolved": _created(totals, "period", statuses=UNRESOLVED_STATUSES),
        "today": _created(totals, "today"),
        "avg_resolution_hours": _mean_hours(totals.resolved),
    }


def sla_group(totals: ComplaintTotals) -> dict:
    """docs/api.md, figures sla."""
    at_risk, breached = [SlaState.AT_RISK], [SlaState.BREACHED]
    return {
        "at_risk": _backlog(totals, states=at_risk),
        "breached": _backlog(totals, states=breached),
        "by_priority": {
            p: {"at_risk": _backlog(totals, priorities=[p], states=at_risk),
                "breached": _backlog(totals, priorities=[p], states=breached)}
            for p in ComplaintPriority.values
        },
        "compliance_rate": percentage(part=totals.compliant, whole=totals.resolved.count),
        "avg_response_hours": _mean_hours(totals.responded),
        "avg_resolution_hours": _mean_hours(totals.resolved),
        "avg_response_business_hours": _mean_business_hours(totals.responded),
        "avg_resolution_business_hours": _mean_business_hours(totals.resolved),
    }


def realtime_group(*, bookings: BookingTotals, complaints: ComplaintTotals, workload: list[dict]) -> dict:
    """docs/api.md, figures realtime."""
    return {
        "active_bookings": bookings.backlog[BookingStatus.IN_PROGRESS],
        "pending_bookings": sum(bookings.backlog[status] for status in WAITING_STATUSES),
        "active_complaints": _backlog(complaints, statuses=ACTIVE_STATUSES),
        "critical_complaints": _backlog(complaints, priorities=[ComplaintPriority.CRITICAL]),
        "staff_workload": workload,
    }


def _local(window: Window, tz: ZoneInfo) -> dict:
    """A window's bounds in the business timezone, so rendered offsets are local."""
    return {"start": None if window.start is None else window.start.astimezone(tz), "end": window.end.astimezone(tz)}


def _booking_windows(windows: Windows) -> dict[str, Window]:
    return {
        "period": windows.period, "today": windows.today, "week": windows.week, "month": windows.month,
        "current": windows.comparison_current, "previous": windows.comparison_previous,
    }


def dashboard_metrics(
    *, period: str, groups: Collection[str], config: OpsConfig, now: datetime, custom: CustomRange | None = None,
    staff: StaffFilter | None = None,
) -> dict:
    """The docs/api.md, response payload (Python values: Decimal, aware datetimes) for exactly `groups`; `redacted` left empty.

    `period` "custom" reads the window from `custom` (docs/api.md, custom ranges); `staff` restricts every figure to
    work assigned to those staff members (docs/api.md, staff filter). ValueError for an unknown period or group,
    InvalidQuery for a custom range that starts after now; permissions are the caller's business.
    """
    unknown = [group for group in groups if group not in ALL_GROUPS]
    if unknown:
        raise ValueError(f"Unknown metric groups: {', '.join(map(str, unknown))}.")
    period = CUSTOM_PERIOD if period == CUSTOM_PERIOD else Period(period).value
    tz = config.tzinfo
    windows = windows_for(period=period, custom=custom, now=now, tz=tz)
    requested = frozenset(groups)
    using = app_settings.metrics_database()
    engine = select_engine(using=using)
    started = time.perf_counter()

    figures: dict[str, dict] = {}
    if requested & BOOKING_GROUPS:
        bookings = engine.booking_totals(
            windows=_booking_windows(windows) if requested & {MetricGroup.BOOKINGS, MetricGroup.REVENUE} else {},
            amounts=MetricGroup.REVENUE in requested,
            backlog=MetricGroup.REALTIME in requested,
            using=using,
            staff=staff,
        )
        if MetricGroup.BOOKINGS in requested:
            figures[MetricGroup.BOOKINGS] = bookings_group(bookings)
        if MetricGroup.REVENUE in requested:
            figures[MetricGroup.REVENUE] = {**revenue_group(bookings), "currency": app_settings.currency()}
    if requested & COMPLAINT_GROUPS:
        with_sla = MetricGroup.SLA in requested
        complaints = engine.complaint_totals(
            created={"period": windows.period, "today": windows.today} if MetricGroup.COMPLAINTS in requested else {},
            resolved_in=windows.period if requested & {MetricGroup.COMPLAINTS, MetricGroup.SLA} else None,
            responded_in=windows.period if with_sla else None,
            sla_at=(windows.now, windows.now + timedelta(minutes=config.sla_at_risk_buffer_minutes)) if with_sla else None,
            backlog=bool(requested & {MetricGroup.SLA, MetricGroup.REALTIME}),
            using=using,
            staff=staff,
        )
        if MetricGroup.COMPLAINTS in requested:
            figures[MetricGroup.COMPLAINTS] = complaints_group(complaints)
        if with_sla:
            figures[MetricGroup.SLA] = sla_group(complaints)
    if MetricGroup.REALTIME in requested:
        figures[MetricGroup.REALTIME] = realtime_group(
            bookings=bookings, complaints=complaints, workload=engine.staff_workload(using=using, staff=staff)
        )

    observe_computation(kind="metrics", period=period, engine=engine, seconds=time.perf_counter() - started)
    return {
        "period": period,
        "timezone": tz.key,
        "window": _local(windows.period, tz),
        "comparison": {
            "current": _local(windows.comparison_current, tz),
            "previous": _local(windows.comparison_previous, tz),
        },
        "generated_at": windows.now,
        **{group: figures[group] for group in ALL_GROUPS if group in requested},
        "redacted": [],
    }
