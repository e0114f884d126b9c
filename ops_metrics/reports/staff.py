"""Per-staff performance (docs/api.md, per-staff performance): the engine's tallies per assigned staff member.

Each row applies the metrics payload's definitions restricted to one staff member (or to unassigned work), so the
rows' counts add up to the unfiltered figures. Inactive staff members get a row only when some counted work is theirs:
without it the sums would not hold.
"""
import time
from datetime import datetime, timedelta

from django.db.models import Q

from ops_metrics import app_settings
from ops_metrics.engines.selection import observe_computation, select_engine
from ops_metrics.engines.totals import StaffTally
from ops_metrics.models import OpsConfig
from ops_metrics.windows.figures import mean_hours, money, percentage
from ops_metrics.windows.periods import windows_for
from ops_metrics.windows.ranges import CustomRange, InvalidQuery, StaffFilter
from staff.models import Staff

NO_WORK = StaffTally()
COUNTS = ["bookings", "bookings_completed", "complaints", "complaints_resolved", "at_risk", "breached",
          "open_bookings", "open_complaints"]
FIELDS = ["staff", "bookings", "bookings_completed", "complaints", "complaints_resolved", "compliance_rate",
          "avg_response_hours", "avg_resolution_hours", "at_risk", "breached", "open_bookings", "open_complaints",
          "revenue"]
ADMIN_ONLY_FIELDS = ("revenue",)
ORDERINGS = [*FIELDS, *(f"-{field}" for field in FIELDS)]
DEFAULT_ORDERING = "staff"


def _row(staff: dict | None, tally: StaffTally, *, amounts: bool) -> dict:
    row = {
        "staff": staff,
        "bookings": tally.bookings,
        "bookings_completed": tally.bookings_completed,
        "complaints": tally.complaints,
        "complaints_resolved": tally.resolved.count,
        "compliance_rate": percentage(part=tally.compliant, whole=tally.resolved.count),
        "avg_response_hours": mean_hours(
            total_microseconds=tally.responded.duration_microseconds, count=tally.responded.count
        ),
        "avg_resolution_hours": mean_hours(
            total_microseconds=tally.resolved.duration_microseconds, count=tally.resolved.count
        ),
        "at_risk": tally.at_risk,
        "breached": tally.breached,
        "open_bookings": tally.open_bookings,
        "open_complaints": tally.open_complaints,
    }
    if amounts:
        row["revenue"] = money(tally.revenue)
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

    The engine's per-staff tallies (scan: one grouped query per table; rollup: one statement), plus the staff list.
    """
    using = app_settings.metrics_database()
    started = time.perf_counter()
    tz = config.tzinfo
    windows = windows_for(period=period, custom=custom, now=now, tz=tz)
    until = windows.now + timedelta(minutes=config.sla_at_risk_buffer_minutes)
    engine = select_engine(using=using)
    tallies = engine.staff_totals(window=windows.period, sla_at=(windows.now, until), amounts=amounts, staff=staff,
                                  using=using)
    members = Staff.objects.using(using).order_by("name", "pk")
    members = members.filter(Q(is_active=True) | Q(pk__in=[pk for pk in tallies if pk is not None]))
    if staff is not None:
        members = members.filter(pk__in=sorted(staff.ids))
    rows = [
        _row({"id": pk, "name": name}, tallies.get(pk, NO_WORK), amounts=amounts)
        for pk, name in members.values_list("pk", "name")
    ]
    if staff is None or staff.unassigned:
        rows.append(_row(None, tallies.get(None, NO_WORK), amounts=amounts))
    observe_computation(kind="staff", period=period, engine=engine, seconds=time.perf_counter() - started)
    return {
        "period": period,
        "window": {"start": windows.period.start and windows.period.start.astimezone(tz),
                   "end": windows.period.end.astimezone(tz)},
        "generated_at": windows.now,
        "rows": ordered(rows, ordering),
        "redacted": [],
    }
