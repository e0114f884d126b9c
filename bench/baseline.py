"""The physical limit: hand-written SQL computing the same figures in one pass per table."""
from datetime import timedelta

from django.db import connections

from bookings.models import OPEN_STATUSES, REVENUE_STATUSES, WAITING_STATUSES, BookingStatus
from complaints.models import ACTIVE_STATUSES, UNRESOLVED_STATUSES, ComplaintPriority, ComplaintStatus
from ops_metrics.windows.figures import growth_rate, hours, money, percentage
from ops_metrics.windows.periods import Window, Windows


class _Query:
    """Builds one SELECT of FILTERed aggregates with positional parameters."""

    def __init__(self) -> None:
        self.columns: list[str] = []
        self.names: list[str] = []
        self.params: list = []

    def add(self, name: str, expression: str, condition: str, params: list) -> None:
        self.names.append(name)
        column = f"{expression} FILTER (WHERE {condition})"
        self.columns.append(f"coalesce({column}, 0)" if expression.startswith("sum") else column)
        self.params.extend(params)

    def run(self, *, table: str, where: str, where_params: list, using: str) -> dict:
        sql = f"SELECT {', '.join(self.columns)} FROM {table} WHERE {where}"
        with connections[using].cursor() as cursor:
            cursor.execute(sql, self.params + where_params)
            return dict(zip(self.names, cursor.fetchone(), strict=True))


def _in(column: str, window: Window) -> tuple[str, list]:
    if window.start is None:
        return f"{column} < %s", [window.end]
    return f"{column} >= %s AND {column} < %s", [window.start, window.end]


def _status_in(statuses) -> str:
    return "status IN ({})".format(", ".join(f"'{s}'" for s in statuses))


def _and(*parts: tuple[str, list]) -> tuple[str, list]:
    return " AND ".join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params]


def bookings_sql(*, windows: Windows, using: str) -> dict:
    """bookings, revenue and realtime booking figures in one pass over bookings_booking."""
    q = _Query()
    period = _in("created_at", windows.period)
    named = {
        "today": windows.today, "week": windows.week, "month": windows.month,
        "current": windows.comparison_current, "previous": windows.comparison_previous,
    }
    revenue = (_status_in(REVENUE_STATUSES), [])
    for status in BookingStatus.values:
        q.add(f"n_{status}", "count(*)", *_and(period, (f"status = '{status}'", [])))
        q.add(f"amount_{status}", "sum(total_amount)", *_and(period, (f"status = '{status}'", [])))
    q.add("n_total", "count(*)", *period)
    q.add("revenue_total", "sum(total_amount)", *_and(period, revenue))
    q.add("revenue_count", "count(*)", *_and(period, revenue))
    for name, window in named.items():
        q.add(f"n_{name}", "count(*)", *_in("created_at", window))
        q.add(f"revenue_{name}", "sum(total_amount)", *_and(_in("created_at", window), revenue))
    q.add("active", "count(*)", f"status = '{BookingStatus.IN_PROGRESS}'", [])
    q.add("pending", "count(*)", _status_in(WAITING_STATUSES), [])
    starts = [w.start for w in (windows.period, *named.values())]
    if None in starts:
        where, where_params = "TRUE", []
    else:
        where, where_params = f"created_at >= %s OR {_status_in(OPEN_STATUSES)}", [min(starts)]
    r = q.run(table="bookings_booking", where=where, where_params=where_params, using=using)
    total, count = money(r["revenue_total"]), r["revenue_count"]
    return {
        "bookings": {
            "by_status": {s: r[f"n_{s}"] for s in BookingStatus.values},
            "total": r["n_total"], "today": r["n_today"], "week": r["n_week"], "month": r["n_month"],
            "growth_rate": growth_rate(current=r["n_current"], previous=r["n_previous"]),
            "previous": r["n_previous"],
        },
        "revenue": {
            "total": total,
            "by_status": {s: money(r[f"amount_{s}"]) for s in BookingStatus.values},
            "today": money(r["revenue_today"]), "week": money(r["revenue_week"]), "month": money(r["revenue_month"]),
            "average_order_value": money(total / count) if count else None,
            "growth_rate": growth_rate(current=r["revenue_current"], previous=r["revenue_previous"]),
            "previous": money(r["revenue_previous"]),
        },
        "realtime": {"active_bookings": r["active"], "pending_bookings": r["pending"]},
    }


def _breached(due: str, achieved: str) -> str:
    return f"({due} IS NOT NULL AND ({achieved} > {due} OR ({achieved} IS NULL AND {due} < %(now)s)))"


def _clean() -> str:
    return " AND ".join(
        f"({due} IS NULL OR {achieved} <= {due} OR ({achieved} IS NULL AND {due} >= %(now)s))"
        for due, achieved in (("response_due_at", "first_response_at"), ("resolution_due_at", "resolved_at"))
    )


def complaints_sql(*, windows: Windows, buffer: timedelta, using: str) -> dict:
    """complaints, SLA and realtime complaint figures in one pass over complaints_complaint."""
    now, until = windows.now, windows.now + buffer
    unresolved = _status_in(UNRESOLVED_STATUSES)
    any_breached = f"{_breached('response_due_at', 'first_response_at')} OR {_breached('resolution_due_at', 'resolved_at')}"
    breached = f"{unresolved} AND ({any_breached})"
    at_risk = (
        f"{unresolved} AND {_clean()} AND ("
        "(first_response_at IS NULL AND response_due_at >= %(now)s AND response_due_at <= %(until)s) OR "
        "(resolved_at IS NULL AND resolution_due_at >= %(now)s AND resolution_due_at <= %(until)s))"
    )
    period, today = windows.period, windows.today

    def window(column: str, w: Window) -> str:
        if w.start is None:
            return f"{column} < %(end)s"
        return f"{column} >= %(start)s AND {column} < %(end)s"

    created, resolved = window("created_at", period), window("resolved_at", period)
    responded = window("first_response_at", period)
    columns = {f"p_{p}": f"count(*) FILTER (WHERE {created} AND priority = '{p}')" for p in ComplaintPriority.values}
    columns |= {f"s_{s}": f"count(*) FILTER (WHERE {created} AND status = '{s}')" for s in ComplaintStatus.values}
    columns |= {
        "total": f"count(*) FILTER (WHERE {created})",
        "unresolved": f"count(*) FILTER (WHERE {created} AND {unresolved})",
        "today": "count(*) FILTER (WHERE created_at >= %(today)s AND created_at < %(end)s)",
        "avg_resolution": f"avg(resolved_at - created_at) FILTER (WHERE {resolved})",
        "avg_response": f"avg(first_response_at - created_at) FILTER (WHERE {responded})",
        "breached": f"count(*) FILTER (WHERE {breached})",
        "at_risk": f"count(*) FILTER (WHERE {at_risk})",
        "resolved": f"count(*) FILTER (WHERE {resolved})",
        "resolved_clean": f"count(*) FILTER (WHERE {resolved} AND {_clean()})",
        "active": f"count(*) FILTER (WHERE {_status_in(ACTIVE_STATUSES)})",
        "critical": f"count(*) FILTER (WHERE {unresolved} AND priority = 'critical')",
    }
    for p in ComplaintPriority.values:
        columns[f"b_{p}"] = f"count(*) FILTER (WHERE {breached} AND priority = '{p}')"
        columns[f"r_{p}"] = f"count(*) FILTER (WHERE {at_risk} AND priority = '{p}')"
    if period.start is None:
        where = "TRUE"
    else:
        where = (
            f"created_at >= %(scan)s OR resolved_at >= %(start)s OR first_response_at >= %(start)s OR {unresolved}"
        )
    params = {
        "now": now, "until": until, "start": period.start, "end": period.end, "today": today.start,
        "scan": min(period.start, today.start) if period.start else None,
    }
    sql = "SELECT {} FROM complaints_complaint WHERE {}".format(
        ", ".join(f"{expr} AS {name}" for name, expr in columns.items()), where
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        r = dict(zip(columns, cursor.fetchone(), strict=True))
    return {
        "complaints": {
            "by_priority": {p: r[f"p_{p}"] for p in ComplaintPriority.values},
            "by_status": {s: r[f"s_{s}"] for s in ComplaintStatus.values},
            "total": r["total"], "unresolved": r["unresolved"], "today": r["today"],
            "avg_resolution_hours": hours(r["avg_resolution"]),
        },
        "sla": {
            "at_risk": r["at_risk"], "breached": r["breached"],
            "by_priority": {p: {"at_risk": r[f"r_{p}"], "breached": r[f"b_{p}"]} for p in ComplaintPriority.values},
            "compliance_rate": percentage(part=r["resolved_clean"], whole=r["resolved"]),
            "avg_response_hours": hours(r["avg_response"]),
            "avg_resolution_hours": hours(r["avg_resolution"]),
        },
        "realtime": {"active_complaints": r["active"], "critical_complaints": r["critical"]},
    }


def workload_sql(*, using: str) -> list[dict]:
    """Staff workload: active staff joined to per-staff counts of open bookings and unresolved complaints."""
    sql = f"""
        SELECT s.id, s.name, coalesce(b.n, 0), coalesce(c.n, 0), coalesce(b.n, 0) + coalesce(c.n, 0) AS total
        FROM staff_staff s
        LEFT JOIN (SELECT assigned_staff_id AS id, count(*) AS n FROM bookings_booking
                   WHERE {_status_in(OPEN_STATUSES)} GROUP BY 1) b ON b.id = s.id
        LEFT JOIN (SELECT assigned_to_id AS id, count(*) AS n FROM complaints_complaint
                   WHERE {_status_in(UNRESOLVED_STATUSES)} GROUP BY 1) c ON c.id = s.id
        WHERE s.is_active ORDER BY total DESC, s.name, s.id
    """
    with connections[using].cursor() as cursor:
        cursor.execute(sql)
        return [
            {"staff_id": pk, "name": name, "bookings": b, "complaints": c, "total": t}
            for pk, name, b, c, t in cursor.fetchall()
        ]


def baseline_metrics(*, windows: Windows, buffer: timedelta, currency: str, using: str = "default") -> dict:
    """Every group of the payload, from three hand-written queries."""
    bookings = bookings_sql(windows=windows, using=using)
    complaints = complaints_sql(windows=windows, buffer=buffer, using=using)
    bookings["revenue"]["currency"] = currency
    realtime = {**bookings["realtime"], **complaints["realtime"], "staff_workload": workload_sql(using=using)}
    return {
        "bookings": bookings["bookings"], "complaints": complaints["complaints"], "sla": complaints["sla"],
        "revenue": bookings["revenue"], "realtime": realtime,
    }
