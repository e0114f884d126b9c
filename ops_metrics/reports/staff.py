"""Per-staff performance (docs/api.md, per-staff performance): one grouped aggregate query per table, by assigned staff member.

Each row applies the metrics payload's definitions restricted to one staff member (or to unassigned work), so the
rows' counts add up to the unfiltered figures. Inactive staff members get a row only when some counted work is theirs:
without it the sums would not hold.
"""
import time
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.lookups import Exact, In

from bookings.models import OPEN_STATUSES, REVENUE_STATUSES, Booking, BookingStatus
from complaints.models import UNRESOLVED_STATUSES, Complaint
from complaints.sla_state import SlaState, sla_state
from ops_metrics import app_settings
from ops_metrics.engines import scan
from ops_metrics.engines.scan import BOOKING_STAFF, COMPLAINT_STAFF, assigned
from ops_metrics.engines.selection import observe_computation
from ops_metrics.models import OpsConfig
from ops_metrics.windows.figures import MICROSECOND, ZERO, mean_hours, money, percentage
from ops_metrics.windows.periods import Window, windows_for
from ops_metrics.windows.ranges import CustomRange, InvalidQuery, StaffFilter
from staff.models import Staff

COUNTS = ["bookings", "bookings_completed", "complaints", "complaints_resolved", "at_risk", "breached",
          "open_bookings", "open_complaints"]
FIELDS = ["staff", "bookings", "bookings_completed", "complaints", "complaints_resolved", "compliance_rate",
          "avg_response_hours", "avg_resolution_hours", "at_risk", "breached", "open_bookings", "open_complaints",
          "revenue"]
ADMIN_ONLY_FIELDS = ("revenue",)
ORDERINGS = [*FIELDS, *(f"-{field}" for field in FIELDS)]
DEFAULT_ORDERING = "staff"


def _within(field: str, window: Window) -> Q:
    condition = Q(**{f"{field}__lt": window.end})
    return condition if window.start is None else condition & Q(**{f"{field}__gte": window.start})


def _duration_microseconds(value: timedelta | None) -> int:
    return 0 if value is None else value // MICROSECOND


def _booking_rows(*, window: Window, amounts: bool, staff: StaffFilter | None, using: str) -> dict:
    created = _within("created_at", window)
    aggregates = {
        "bookings": Count("pk", filter=created),
        "bookings_completed": Count("pk", filter=created & Q(status=BookingStatus.COMPLETED)),
        "open_bookings": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    }
    if amounts:
        aggregates["revenue"] = Sum("total_amount", filter=created & Q(status__in=REVENUE_STATUSES))
    rows = (
        Booking.objects.using(using).filter(assigned(BOOKING_STAFF, staff)).filter(created | Q(status__in=OPEN_STATUSES))
        .order_by().values(BOOKING_STAFF).annotate(**aggregates)
    )
    return {row[BOOKING_STAFF]: row for row in rows}


def _complaint_rows(*, window: Window, now: datetime, until: datetime, staff: StaffFilter | None, using: str) -> dict:
    created, resolved, responded = (_within(f, window) for f in ("created_at", "resolved_at", "first_response_at"))
    unresolved = Q(status__in=UNRESOLVED_STATUSES)
    state = sla_state(now=now, until=until)
    rows = (
        Complaint.objects.using(using).filter(assigned(COMPLAINT_STAFF, staff))
        .filter(created | resolved | responded | unresolved)
        .order_by().values(COMPLAINT_STAFF).annotate(
            complaints=Count("pk", filter=created),
            complaints_resolved=Count("pk", filter=resolved),
            compliant=Count("pk", filter=resolved & Q(In(state, [SlaState.CLEAR, SlaState.AT_RISK]))),
            resolution=Sum(F("resolved_at") - F("created_at"), filter=resolved),
            responded=Count("pk", filter=responded),
            response=Sum(F("first_response_at") - F("created_at"), filter=responded),
            at_risk=Count("pk", filter=unresolved & Q(Exact(state, Value(SlaState.AT_RISK)))),
            breached=Count("pk", filter=unresolved & Q(Exact(state, Value(SlaState.BREACHED)))),
            open_complaints=Count("pk", filter=unresolved),
        )
    )
    return {row[COMPLAINT_STAFF]: row for row in rows}


def _row(staff: dict | None, bookings: dict, complaints: dict, *, amounts: bool) -> dict:
    resolved = complaints.get("complaints_resolved", 0)
    row = {
        "staff": staff,
        "bookings": bookings.get("bookings", 0),
        "bookings_completed": bookings.get("bookings_completed", 0),
        "complaints": complaints.get("complaints", 0),
        "complaints_resolved": resolved,
        "compliance_rate": percentage(part=complaints.get("compliant", 0), whole=resolved),
        "avg_response_hours": mean_hours(
            total_microseconds=_duration_microseconds(complaints.get("response")), count=complaints.get("responded", 0)
        ),
        "avg_resolution_hours": mean_hours(
            total_microseconds=_duration_microseconds(complaints.get("resolution")), count=resolved
        ),
        "at_risk": complaints.get("at_risk", 0),
        "breached": complaints.get("breached", 0),
        "open_bookings": bookings.get("open_bookings", 0),
        "open_complaints": complaints.get("open_complaints", 0),
    }
    if amounts:
        row["revenue"] = money(bookings.get("revenue") or ZERO)
    return row


def _name(row: dict) -> tuple:
    return (row["staff"]["name"], row["staff"]["id"])


def ordered(rows: list[dict], ordering: str) -> list[dict]:
    """`rows` sorted by `ordering` (`field` or `-field`), ties by name; rows without a value (a null rate, or the
    unassigned row when sorting by `staff`) last either way. InvalidQuery for a field the rows do not have."""
    field, descending = ordering.removeprefix("-"), ordering.startswith("-")
    available = [name for name in FIELDS if not rows or name in rows[0]]
    if field not in available:
        valid = [*available, *(f"-{name}" for name in available)]
        raise InvalidQuery("ordering", f"Unknown ordering {ordering!r}; expected one of: {', '.join(valid)}.")
    present = [row for row in rows if row[field] is not None]
    absent = [row for row in rows if row[field] is None]
    by_name = sorted((row for row in present if row["staff"] is not None), key=_name)
    by_name += [row for row in present if row["staff"] is None]  # ties: the unassigned row after the named ones
    if field != "staff":
        # Stable sorts: equal values keep name order in both directions.
        by_name = sorted(by_name, key=lambda row: row[field] * (-1 if descending else 1))
    elif descending:
        by_name.reverse()
    return by_name + absent


def staff_performance(
    *, period: str, custom: CustomRange | None, staff: StaffFilter | None, ordering: str, amounts: bool,
    config: OpsConfig, now: datetime,
) -> dict:
    """The per-staff payload (Python values); InvalidQuery for an unknown ordering or a range that cannot be served.

    Two aggregate queries (bookings, complaints) grouped by the assigned staff member, plus the staff list.
    """
    using = app_settings.metrics_database()
    started = time.perf_counter()
    tz = config.tzinfo
    windows = windows_for(period=period, custom=custom, now=now, tz=tz)
    until = windows.now + timedelta(minutes=config.sla_at_risk_buffer_minutes)
    bookings = _booking_rows(window=windows.period, amounts=amounts, staff=staff, using=using)
    complaints = _complaint_rows(window=windows.period, now=windows.now, until=until, staff=staff, using=using)
    members = Staff.objects.using(using).order_by("name", "pk")
    members = members.filter(Q(is_active=True) | Q(pk__in=[pk for pk in {*bookings, *complaints} if pk is not None]))
    if staff is not None:
        members = members.filter(pk__in=sorted(staff.ids))
    rows = [
        _row({"id": pk, "name": name}, bookings.get(pk, {}), complaints.get(pk, {}), amounts=amounts)
        for pk, name in members.values_list("pk", "name")
    ]
    if staff is None or staff.unassigned:
        rows.append(_row(None, bookings.get(None, {}), complaints.get(None, {}), amounts=amounts))
    observe_computation(kind="staff", period=period, engine=scan, seconds=time.perf_counter() - started)
    return {
        "period": period,
        "window": {"start": windows.period.start and windows.period.start.astimezone(tz),
                   "end": windows.period.end.astimezone(tz)},
        "generated_at": windows.now,
        "rows": ordered(rows, ordering),
        "redacted": [],
    }
