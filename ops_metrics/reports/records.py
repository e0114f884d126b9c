"""The records behind a figure of the metrics payload (docs/api.md, records): which rows, how many, a page of them.

Each figure is a predicate on one table, the same definition its count has in the metrics payload, so the rows
listed are the ones the figure counts; `count` is the figure itself, computed by the engine that computes the metrics
(on rollup: from the summaries, not a COUNT of the rows). Pages are keyset pages ordered by created_at descending, then id
descending, under a signed cursor that also pins `now` (a walk through the pages sees one set of rows, whatever the
clock does meanwhile, apart from writes).
"""
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core import signing
from django.db.models import Q, QuerySet

from bookings.models import OPEN_STATUSES, REVENUE_STATUSES, WAITING_STATUSES, Booking, BookingStatus
from complaints.models import ACTIVE_STATUSES, UNRESOLVED_STATUSES, Complaint, ComplaintPriority, ComplaintStatus
from complaints.sla_state import SlaState, sla_state
from ops_metrics import app_settings
from ops_metrics.engines.scan import BOOKING_STAFF, COMPLAINT_STAFF, assigned, within
from ops_metrics.engines.selection import select_engine
from ops_metrics.models import OpsConfig
from ops_metrics.windows.figures import ZERO, money
from ops_metrics.windows.periods import Window, windows_for
from ops_metrics.windows.ranges import CustomRange, InvalidQuery, StaffFilter, staff_text

CREATED, RESOLVED, NOW = "created", "resolved", "now"
BOOKINGS, COMPLAINTS = "bookings", "complaints"
UNTRACKED = "untracked"
SLA_LABELS = {SlaState.CLEAR: "ok", SlaState.AT_RISK: "at_risk", SlaState.BREACHED: "breached"}
SLA_STATES = [UNTRACKED, *SLA_LABELS.values()]
CURSOR_SALT = "ops_metrics.records.cursor"
MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 500, 50


@dataclass(frozen=True)
class Figure:
    """A count of the metrics payload: its table, the time column its window applies to (or "now"), which rows."""

    name: str
    table: str
    scope: str
    statuses: tuple[str, ...] | None = None  # None: any
    priorities: tuple[str, ...] | None = None  # None: any
    sla: int | None = None  # the SlaState the complaint must be in at now
    admin_only: bool = False

    @property
    def condition(self) -> Q:
        condition = Q() if self.statuses is None else Q(status__in=self.statuses)
        return condition if self.priorities is None else condition & Q(priority__in=self.priorities)

    def counts(self, *, status: str, priority: str | None = None, state: int | None = None) -> bool:
        """Whether a row of this status (priority, SLA state) is one of the figure's."""
        return ((self.statuses is None or status in self.statuses)
                and (self.priorities is None or priority in self.priorities)
                and (self.sla is None or state == self.sla))


def _figures() -> dict[str, Figure]:
    """Every figure records can be listed for, in the order of the metrics payload."""
    figures = [Figure("bookings.total", BOOKINGS, CREATED)]
    figures += [Figure(f"bookings.by_status.{s}", BOOKINGS, CREATED, (s,)) for s in BookingStatus.values]
    unresolved = tuple(UNRESOLVED_STATUSES)
    figures += [
        Figure("complaints.total", COMPLAINTS, CREATED),
        Figure("complaints.unresolved", COMPLAINTS, CREATED, unresolved),
    ]
    figures += [Figure(f"complaints.by_priority.{p}", COMPLAINTS, CREATED, priorities=(p,))
                for p in ComplaintPriority.values]
    figures += [Figure(f"complaints.by_status.{s}", COMPLAINTS, CREATED, (s,)) for s in ComplaintStatus.values]
    states = {"at_risk": SlaState.AT_RISK, "breached": SlaState.BREACHED}
    figures += [Figure(f"sla.{name}", COMPLAINTS, NOW, unresolved, sla=state) for name, state in states.items()]
    figures += [
        Figure(f"sla.by_priority.{p}.{name}", COMPLAINTS, NOW, unresolved, (p,), sla=state)
        for p in ComplaintPriority.values for name, state in states.items()
    ]
    figures += [
        Figure("sla.resolved", COMPLAINTS, RESOLVED),
        Figure("realtime.active_bookings", BOOKINGS, NOW, (BookingStatus.IN_PROGRESS,)),
        Figure("realtime.pending_bookings", BOOKINGS, NOW, tuple(WAITING_STATUSES)),
        Figure("realtime.active_complaints", COMPLAINTS, NOW, tuple(ACTIVE_STATUSES)),
        Figure("realtime.critical_complaints", COMPLAINTS, NOW, unresolved, (ComplaintPriority.CRITICAL,)),
        # The columns of realtime.staff_workload (open bookings, unresolved complaints): with staff=<id> the count is
        # that member's cell; the page opens them from the workload table.
        Figure("realtime.staff_workload.bookings", BOOKINGS, NOW, tuple(OPEN_STATUSES)),
        Figure("realtime.staff_workload.complaints", COMPLAINTS, NOW, unresolved),
        Figure("revenue.total", BOOKINGS, CREATED, tuple(REVENUE_STATUSES), admin_only=True),
    ]
    figures += [Figure(f"revenue.by_status.{s}", BOOKINGS, CREATED, (s,), admin_only=True)
                for s in BookingStatus.values]
    return {figure.name: figure for figure in figures}


FIGURES = _figures()
FIGURE_NAMES = list(FIGURES)
BOOKING_COLUMNS = ["id", "reference", "customer_name", "status", "payment_status", "assigned_staff", "scheduled_for",
                   "created_at", "total_amount"]
COMPLAINT_COLUMNS = ["id", "subject", "priority", "status", "assigned_to", "booking_reference", "created_at",
                     "response_due_at", "resolution_due_at", "first_response_at", "resolved_at", "sla_state"]


@dataclass(frozen=True)
class RecordsQuery:
    """A valid records query: the figure, its window (period or custom range), staff filter, page size and cursor."""

    figure: str
    period: str
    custom: CustomRange | None
    staff: StaffFilter | None
    page_size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None

    def text(self) -> str:
        """What a cursor is bound to: the same figure, window and filter (not the page size)."""
        custom = "" if self.custom is None else f"{self.custom.start.isoformat()}/{self.custom.end.isoformat()}"
        return f"{self.figure}|{self.period}|{custom}|{staff_text(self.staff)}"


@dataclass(frozen=True)
class Position:
    """A decoded cursor: the pinned now, the row to continue from and the direction (forward = older rows)."""

    now: datetime
    created_at: datetime
    id: int
    forward: bool


@dataclass(frozen=True)
class Selection:
    """The rows of a figure at one `now`: its queryset (in no order) and the window it reports."""

    figure: Figure
    rows: QuerySet
    window: Window
    now: datetime
    until: datetime  # now + the at-risk buffer
    staff: StaffFilter | None
    using: str


def select_records(*, query: RecordsQuery, config: OpsConfig, now: datetime, using: str | None = None) -> Selection:
    """The rows behind `query.figure` at `now` (complaints annotated with their SLA state at now).

    InvalidQuery when the custom range cannot be served (a start not before now).
    """
    figure = FIGURES[query.figure]
    using = using or app_settings.metrics_database()
    windows = windows_for(period=query.period, custom=query.custom, now=now, tz=config.tzinfo)
    window = Window(None, windows.now) if figure.scope == NOW else windows.period
    until = windows.now + timedelta(minutes=config.sla_at_risk_buffer_minutes)
    if figure.table == BOOKINGS:
        rows = Booking.objects.using(using).filter(assigned(BOOKING_STAFF, query.staff))
    else:
        rows = Complaint.objects.using(using).filter(assigned(COMPLAINT_STAFF, query.staff)).annotate(
            sla=sla_state(now=windows.now, until=until)
        )
    rows = rows.filter(figure.condition)
    if figure.scope != NOW:
        rows = rows.filter(within("created_at" if figure.scope == CREATED else "resolved_at", window))
    if figure.sla is not None:
        rows = rows.filter(sla=figure.sla)
    if figure.sla == SlaState.AT_RISK:
        # Implied by the state; spelled so that the unmet-due indexes find the (few) candidates.
        soon = {"gte": windows.now, "lte": until}
        rows = rows.filter(
            Q(first_response_at=None, **{f"response_due_at__{op}": moment for op, moment in soon.items()})
            | Q(resolved_at=None, **{f"resolution_due_at__{op}": moment for op, moment in soon.items()})
        )
    return Selection(figure=figure, rows=rows, window=window, now=windows.now, until=until, staff=query.staff,
                     using=using)


def figure_totals(selection: Selection) -> tuple[int, Decimal | None]:
    """The figure's count and, for a revenue figure, its amount, computed as the metrics are (no COUNT of the rows)."""
    figure, using, staff = selection.figure, selection.using, selection.staff
    engine, now = select_engine(using=using), figure.scope == NOW
    if figure.table == BOOKINGS:
        totals = engine.booking_totals(windows={} if now else {"w": selection.window}, amounts=figure.admin_only,
                                       backlog=now, using=using, staff=staff)
        if now:
            return sum(n for status, n in totals.backlog.items() if figure.counts(status=status)), None
        tallies = [tally for status, tally in totals.created["w"].items() if figure.counts(status=status)]
        amount = money(sum((tally.amount for tally in tallies), ZERO)) if figure.admin_only else None
        return sum(tally.count for tally in tallies), amount
    totals = engine.complaint_totals(
        created={"w": selection.window} if figure.scope == CREATED else {},
        resolved_in=selection.window if figure.scope == RESOLVED else None, responded_in=None,
        sla_at=(selection.now, selection.until) if figure.sla is not None else None, backlog=now,
        using=using, staff=staff,
    )
    if figure.scope == RESOLVED:
        return totals.resolved.count, None
    if figure.scope == CREATED:
        return sum(n for (priority, status), n in totals.created["w"].items()
                   if figure.counts(status=status, priority=priority)), None
    return sum(n for (priority, status, state), n in totals.backlog.items()
               if figure.counts(status=status, priority=priority, state=state)), None


def _values(selection: Selection, *, amounts: bool, rows: QuerySet | None = None) -> QuerySet:
    """The columns a row is shaped from (of `rows`, by default the selection's), through the staff and booking foreign
    keys (LEFT JOINs)."""
    if selection.figure.table == BOOKINGS:
        fields = ["id", "reference", "customer_name", "status", "payment_status", "assigned_staff_id",
                  "assigned_staff__name", "scheduled_for", "created_at", *(["total_amount"] if amounts else [])]
    else:
        fields = ["id", "subject", "priority", "status", "assigned_to_id", "assigned_to__name", "booking__reference",
                  "created_at", "response_due_at", "resolution_due_at", "first_response_at", "resolved_at", "sla"]
    return (selection.rows if rows is None else rows).values(*fields)


def _staff(pk: int | None, name: str | None) -> dict | None:
    return None if pk is None else {"id": pk, "name": name}


def _sla_label(row: dict) -> str:
    if row["response_due_at"] is None and row["resolution_due_at"] is None:
        return UNTRACKED
    return SLA_LABELS[SlaState(row["sla"])]


def shape_row(row: dict) -> dict:
    """A booking or complaint row as the API lists it (docs/api.md, records)."""
    if "reference" in row:
        shaped = {
            "id": row["id"], "reference": row["reference"], "customer_name": row["customer_name"],
            "status": row["status"], "payment_status": row["payment_status"],
            "assigned_staff": _staff(row["assigned_staff_id"], row["assigned_staff__name"]),
            "scheduled_for": row["scheduled_for"], "created_at": row["created_at"],
        }
        if "total_amount" in row:
            shaped["total_amount"] = row["total_amount"]
        return shaped
    return {
        "id": row["id"], "subject": row["subject"], "priority": row["priority"], "status": row["status"],
        "assigned_to": _staff(row["assigned_to_id"], row["assigned_to__name"]),
        "booking_reference": row["booking__reference"], "created_at": row["created_at"],
        "response_due_at": row["response_due_at"], "resolution_due_at": row["resolution_due_at"],
        "first_response_at": row["first_response_at"], "resolved_at": row["resolved_at"],
        "sla_state": _sla_label(row),
    }


def encode_cursor(*, query: RecordsQuery, now: datetime, row: dict, forward: bool) -> str:
    """A signed, opaque cursor continuing from `row` (older rows when `forward`, newer otherwise) at the pinned now."""
    payload = {"q": query.text(), "n": now.isoformat(), "c": row["created_at"].isoformat(), "i": row["id"],
               "d": int(forward)}
    signed = signing.dumps(payload, salt=CURSOR_SALT, compress=True)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def decode_cursor(*, query: RecordsQuery) -> Position | None:
    """The position `query.cursor` stands for (None without one); InvalidQuery naming `cursor` if tampered or foreign."""
    if query.cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(query.cursor + "=" * (-len(query.cursor) % 4)).decode()
        payload = signing.loads(text, salt=CURSOR_SALT)
        if payload["q"] != query.text():
            raise ValueError("a cursor of another query")
        return Position(now=datetime.fromisoformat(payload["n"]), created_at=datetime.fromisoformat(payload["c"]),
                        id=int(payload["i"]), forward=bool(payload["d"]))
    except (signing.BadSignature, ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidQuery(
            "cursor", "`cursor` is not a cursor of this query: use the `next` or `previous` link as given.",
        ) from exc


def records_page(*, query: RecordsQuery, config: OpsConfig, now: datetime, amounts: bool) -> dict:
    """One page of a figure's records with its count (docs/api.md, records), Python values; InvalidQuery if bad.

    `amounts` adds each booking's total_amount (ops.admin). The cursor's pinned now, when there is one, replaces `now`.
    """
    position = decode_cursor(query=query)
    selection = select_records(query=query, config=config, now=position.now if position else now)
    count, amount = figure_totals(selection)
    size, rows = query.page_size, selection.rows
    forward = position is None or position.forward
    if position is not None:
        after = Q(created_at__lt=position.created_at) | Q(created_at=position.created_at, id__lt=position.id)
        before = Q(created_at__gt=position.created_at) | Q(created_at=position.created_at, id__gt=position.id)
        rows = rows.filter(after if forward else before)
    order = ["-created_at", "-id"] if forward else ["created_at", "id"]
    # The page's ids first, then their columns: joining the staff and booking of every candidate row before the
    # LIMIT cost 35 ms for 10,000 breached complaints.
    ids = list(rows.order_by(*order).values_list("pk", flat=True)[:size + 1])
    fetched = list(_values(selection, amounts=amounts, rows=selection.rows.filter(pk__in=ids)).order_by(*order))
    more = len(fetched) > size
    page = fetched[:size] if forward else fetched[:size][::-1]
    has_next, has_previous = (more, position is not None) if forward else (True, more)
    cursor = {"query": query, "now": selection.now}
    payload = {
        "figure": query.figure,
        "window": {"start": selection.window.start and selection.window.start.astimezone(config.tzinfo),
                   "end": selection.window.end.astimezone(config.tzinfo)},
        "generated_at": selection.now,
        "count": count,
    }
    if amount is not None:
        payload["amount"] = amount
    payload |= {
        "results": [shape_row(row) for row in page],
        "next": encode_cursor(**cursor, row=page[-1], forward=True) if page and has_next else None,
        "previous": encode_cursor(**cursor, row=page[0], forward=False) if page and has_previous else None,
    }
    return payload


def records_columns(*, figure: str, amounts: bool) -> list[str]:
    """The CSV columns of a figure's rows."""
    if FIGURES[figure].table == BOOKINGS:
        return BOOKING_COLUMNS if amounts else BOOKING_COLUMNS[:-1]
    return COMPLAINT_COLUMNS


def all_records(*, query: RecordsQuery, config: OpsConfig, now: datetime, amounts: bool,
                chunk_size: int = 2000) -> tuple[list[str], Iterator[dict]]:
    """Every row of the figure (no paging), in page order, read in chunks as the caller iterates: the CSV export."""
    selection = select_records(query=query, config=config, now=now)
    rows = _values(selection, amounts=amounts).order_by("-created_at", "-id")
    return records_columns(figure=query.figure, amounts=amounts), (
        shape_row(row) for row in rows.iterator(chunk_size=chunk_size)
    )

