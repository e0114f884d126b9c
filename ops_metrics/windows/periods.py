"""Period and comparison windows in the business timezone: pure functions, no ORM."""
import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ops_metrics.constants import CUSTOM_PERIOD, Period
from ops_metrics.windows.ranges import CustomRange, InvalidQuery


@dataclass(frozen=True)
class Window:
    """A half-open interval [start, end) in UTC; start is None for "no lower bound"."""

    start: datetime | None
    end: datetime


@dataclass(frozen=True)
class Windows:
    """Every window one computation needs, all taken from the same `now`."""

    now: datetime
    period: Window
    today: Window
    week: Window
    month: Window
    comparison_current: Window
    comparison_previous: Window


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of `day` in `tz`, in UTC."""
    return _at(day, time.min, tz)


def _at(day: date, wall_clock: time, tz: ZoneInfo) -> datetime:
    # Through UTC: an aware datetime sharing `tz` compares by wall clock, and a wall-clock time
    # skipped by a spring-forward gap must become a real instant (zoneinfo reads it with the
    # pre-gap offset, so 02:30 on a 02:00->03:00 day is 03:30 local, keeping elapsed time alike).
    return datetime.combine(day, wall_clock, tzinfo=tz).astimezone(UTC)


def _previous_month_end(local_now: datetime, wall_clock: time, tz: ZoneInfo) -> datetime:
    """The same day and time in the previous month, clipped to that month's end."""
    first_of_month = local_now.date().replace(day=1)
    previous_month_last_day = first_of_month - timedelta(days=1)
    days_in_previous = calendar.monthrange(previous_month_last_day.year, previous_month_last_day.month)[1]
    if local_now.day > days_in_previous:
        return local_midnight(first_of_month, tz)
    return _at(previous_month_last_day.replace(day=local_now.day), wall_clock, tz)


def build_windows(*, period: str, now: datetime, tz: ZoneInfo) -> Windows:
    """All windows for `period` at `now` (aware), in business timezone `tz`; ValueError for an unknown period."""
    period = Period(period)
    now = now.astimezone(UTC)
    local_now = now.astimezone(tz)
    today = local_now.date()
    wall_clock = local_now.time()
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)

    today_window = Window(local_midnight(today, tz), now)
    week_window = Window(local_midnight(monday, tz), now)
    month_window = Window(local_midnight(first, tz), now)

    if period == Period.TODAY:
        yesterday = today - timedelta(days=1)
        current = today_window
        previous = Window(local_midnight(yesterday, tz), _at(yesterday, wall_clock, tz))
    elif period == Period.WEEK:
        current = week_window
        previous = Window(local_midnight(monday - timedelta(days=7), tz), _at(today - timedelta(days=7), wall_clock, tz))
    else:  # month, and all (which compares months)
        previous_first = (first - timedelta(days=1)).replace(day=1)
        current = month_window
        previous = Window(local_midnight(previous_first, tz), _previous_month_end(local_now, wall_clock, tz))

    period_window = {
        Period.TODAY: today_window,
        Period.WEEK: week_window,
        Period.MONTH: month_window,
        Period.ALL: Window(None, now),
    }[period]
    return Windows(
        now=now, period=period_window, today=today_window, week=week_window, month=month_window,
        comparison_current=current, comparison_previous=previous,
    )


def _instant(moment: date | datetime, tz: ZoneInfo) -> datetime:
    """A local date's midnight in `tz`, or a timestamp, in UTC."""
    return moment.astimezone(UTC) if isinstance(moment, datetime) else local_midnight(moment, tz)


def custom_windows(*, custom: CustomRange, now: datetime, tz: ZoneInfo) -> Windows:
    """The windows of a custom range (docs/api.md): [start, end) with end clipped to now; InvalidQuery if start >= now.

    The comparison is the range itself against the same number of local days before `start` (dates; a clipped end
    keeps its wall-clock position, so like is compared with like: docs/api.md, custom ranges), or the same duration
    before `start` (timestamps).
    """
    fixed = build_windows(period=Period.TODAY, now=now, tz=tz)
    start, end = _instant(custom.start, tz), min(_instant(custom.end, tz), fixed.now)
    if start >= end:
        raise InvalidQuery("start", "`start` must be before now.")
    if custom.by_days:
        days = timedelta(days=(custom.end - custom.start).days)
        local_end = end.astimezone(tz)
        previous = Window(local_midnight(custom.start - days, tz), _at(local_end.date() - days, local_end.time(), tz))
    else:
        previous = Window(start - (end - start), start)
    current = Window(start, end)
    return Windows(
        now=fixed.now, period=current, today=fixed.today, week=fixed.week, month=fixed.month,
        comparison_current=current, comparison_previous=previous,
    )


def windows_for(*, period: str, custom: CustomRange | None, now: datetime, tz: ZoneInfo) -> Windows:
    """The windows of a named period, or of `custom` when `period` is "custom"."""
    if period == CUSTOM_PERIOD:
        if custom is None:
            raise ValueError("A custom period needs a range.")
        return custom_windows(custom=custom, now=now, tz=tz)
    return build_windows(period=period, now=now, tz=tz)
