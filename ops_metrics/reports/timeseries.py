"""The time-series payload (docs/api.md, time series): calendar buckets of a window, per-bucket totals, columnar series."""
import time
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bookings.models import REVENUE_STATUSES
from ops_metrics import app_settings
from ops_metrics.constants import ALL_SERIES, MAX_BUCKETS, MAX_SERIES_COST, Interval, SeriesMetric
from ops_metrics.engines import scan
from ops_metrics.engines.selection import observe_computation, select_engine
from ops_metrics.engines.totals import ComplaintSeries, StatusTally
from ops_metrics.models import OpsConfig
from ops_metrics.windows.buckets import TooManyBuckets, bucket_bounds
from ops_metrics.windows.figures import ZERO, mean_hours, money, percentage
from ops_metrics.windows.periods import Window, local_midnight, windows_for
from ops_metrics.windows.ranges import InvalidQuery, SeriesQuery, StaffFilter

BOOKING_SERIES = frozenset({SeriesMetric.BOOKINGS_CREATED, SeriesMetric.REVENUE})
COMPLAINT_SERIES = frozenset(ALL_SERIES) - BOOKING_SERIES


def _bounds(window: Window, interval: str, tz: ZoneInfo, *, limit: int = MAX_BUCKETS) -> list[datetime]:
    try:
        return bucket_bounds(window=window, interval=interval, tz=tz, limit=limit)
    except TooManyBuckets as exc:
        raise InvalidQuery(
            "interval", f"The window holds more than {MAX_BUCKETS} {interval} buckets; choose a coarser interval.",
        ) from exc


def _check_cost(*, current: list[datetime], previous: list[datetime] | None, metrics: int, interval: str) -> None:
    """InvalidQuery naming `interval` when the series would cost more than MAX_SERIES_COST buckets times metrics."""
    buckets = len(current) - 1 + (len(previous) - 1 if previous is not None else 0)
    if buckets * metrics > MAX_SERIES_COST:
        raise InvalidQuery(
            "interval",
            f"{buckets} {interval} buckets of {metrics} metrics cost {buckets * metrics}, more than the "
            f"{MAX_SERIES_COST} a series may; choose a coarser interval, fewer metrics or no comparison.",
        )


def _all_time_start(
    *, requested: frozenset[str], month_start: datetime, tz: ZoneInfo, using: str, staff: StaffFilter | None
) -> datetime:
    """`all` starts at the 1st of the month of the earliest record the series read (this month when there is none)."""
    earliest = scan.earliest_created(
        bookings=bool(requested & BOOKING_SERIES), complaints=bool(requested & COMPLAINT_SERIES), using=using,
        staff=staff,
    )
    if earliest is None:
        return month_start
    return min(local_midnight(earliest.astimezone(tz).date().replace(day=1), tz), month_start)


def _booking_values(metric: str, tallies: Sequence[dict[str, StatusTally]]) -> list:
    if metric == SeriesMetric.BOOKINGS_CREATED:
        return [sum(tally.count for tally in bucket.values()) for bucket in tallies]
    return [money(sum((bucket[status].amount for status in REVENUE_STATUSES), ZERO)) for bucket in tallies]


def _complaint_values(metric: str, series: ComplaintSeries) -> list:
    if metric == SeriesMetric.COMPLAINTS_CREATED:
        return list(series.created)
    if metric == SeriesMetric.COMPLAINTS_RESOLVED:
        return [tally.count for tally in series.resolved]
    if metric == SeriesMetric.SLA_COMPLIANCE_RATE:
        return [percentage(part=part, whole=tally.count)
                for part, tally in zip(series.compliant, series.resolved, strict=True)]
    if metric in (SeriesMetric.AVG_RESPONSE_HOURS, SeriesMetric.AVG_RESOLUTION_HOURS):
        tallies = series.responded if metric == SeriesMetric.AVG_RESPONSE_HOURS else series.resolved
        return [mean_hours(total_microseconds=tally.duration_microseconds, count=tally.count) for tally in tallies]
    # Business hours: over the rows with a stored business time only (docs/api.md, figures sla).
    tallies = series.responded if metric == SeriesMetric.AVG_RESPONSE_BUSINESS_HOURS else series.resolved
    return [mean_hours(total_microseconds=tally.business_microseconds, count=tally.business_count) for tally in tallies]


def _merge(previous: list[datetime] | None, current: list[datetime]) -> tuple[list[datetime], range | None, range]:
    """One ascending list of bounds for both windows, and where each window's buckets sit in it.

    The previous window ends at or before the current one starts; a gap between them is one ignored bucket.
    """
    if previous is None:
        return current, None, range(len(current) - 1)
    joined = current[1:] if previous[-1] == current[0] else current
    bounds = previous + joined
    return bounds, range(len(previous) - 1), range(len(bounds) - len(current), len(bounds) - 1)


def timeseries(*, query: SeriesQuery, metrics: Collection[str], config: OpsConfig, now: datetime) -> dict:
    """The time-series payload (Python values: Decimal, aware datetimes) for exactly `metrics`; `redacted` left empty.

    InvalidQuery for a window the query cannot be served for (a custom start not before now, too many buckets).
    """
    unknown = [metric for metric in metrics if metric not in ALL_SERIES]
    if unknown:
        raise ValueError(f"Unknown series: {', '.join(map(str, unknown))}.")
    requested = frozenset(metrics)
    tz = config.tzinfo
    using = app_settings.metrics_database()
    engine = select_engine(using=using)
    started = time.perf_counter()
    windows = windows_for(period=query.period, custom=query.custom, now=now, tz=tz)
    window = windows.period
    if window.start is None:
        start = _all_time_start(
            requested=requested, month_start=windows.month.start, tz=tz, using=using, staff=query.staff
        )
        window = Window(start, window.end)
    current = _bounds(window, query.interval, tz)
    # A DST change can give the previous window one bucket more than the current one.
    previous = _bounds(windows.comparison_previous, query.interval, tz, limit=MAX_BUCKETS + 2) if query.compare \
        else None
    _check_cost(current=current, previous=previous, metrics=len(requested), interval=query.interval)
    bounds, previous_positions, current_positions = _merge(previous, current)

    values: dict[str, list] = {}
    if requested & BOOKING_SERIES:
        tallies = engine.booking_series(
            bounds=bounds, amounts=SeriesMetric.REVENUE in requested, using=using, staff=query.staff
        )
        for metric in requested & BOOKING_SERIES:
            values[metric] = _booking_values(metric, tallies)
    if requested & COMPLAINT_SERIES:
        with_sla = SeriesMetric.SLA_COMPLIANCE_RATE in requested
        sla_at = (windows.now, windows.now + timedelta(minutes=config.sla_at_risk_buffer_minutes)) if with_sla else None
        series = engine.complaint_series(bounds=bounds, sla_at=sla_at, using=using, staff=query.staff)
        for metric in requested & COMPLAINT_SERIES:
            values[metric] = _complaint_values(metric, series)

    def cut(positions: range, starts: list[datetime]) -> dict:
        return {
            "window": {"start": starts[0].astimezone(tz), "end": starts[-1].astimezone(tz)},
            "buckets": [start.astimezone(tz) for start in starts[:-1]],
            "series": {metric: [values[metric][i] for i in positions] for metric in ALL_SERIES if metric in requested},
        }

    current_part = cut(current_positions, current)
    observe_computation(kind="timeseries", period=query.period, engine=engine, seconds=time.perf_counter() - started)
    payload = {
        "period": query.period,
        "interval": Interval(query.interval).value,
        "timezone": tz.key,
        "window": current_part.pop("window"),
        "generated_at": windows.now,
        **current_part,
    }
    if previous is not None:
        payload["previous"] = cut(previous_positions, previous)
    payload["redacted"] = []
    return payload

