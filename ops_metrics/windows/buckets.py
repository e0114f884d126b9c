"""Calendar buckets of the business timezone (hour, day, ISO week, month) cutting a window: pure functions, no ORM."""
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ops_metrics.constants import Interval
from ops_metrics.windows.periods import Window, local_midnight

HOUR = timedelta(hours=1)


class TooManyBuckets(ValueError):
    """The window holds more buckets than allowed."""


def _next_hour(instant: datetime, tz: ZoneInfo) -> datetime:
    # The local hour boundary after `instant`: one real hour on, floored to the local hour. Through the instant
    # (not wall-clock arithmetic) so a repeated autumn hour is two buckets, each with its own offset.
    later = (instant + HOUR).astimezone(tz)
    boundary = later.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    return boundary if boundary > instant else instant + HOUR


def next_boundary(*, instant: datetime, interval: str, tz: ZoneInfo) -> datetime:
    """The first start of a local calendar `interval` strictly after `instant` (UTC)."""
    if interval == Interval.HOUR:
        return _next_hour(instant, tz)
    day = instant.astimezone(tz).date()
    if interval == Interval.DAY:
        return local_midnight(day + timedelta(days=1), tz)
    if interval == Interval.WEEK:
        return local_midnight(day + timedelta(days=7 - day.weekday()), tz)
    if interval == Interval.MONTH:
        first = day.replace(day=1)
        return local_midnight((first + timedelta(days=32)).replace(day=1), tz)
    raise ValueError(f"Unknown interval {interval!r}.")


def _starts(window: Window, interval: str, tz: ZoneInfo) -> Iterator[datetime]:
    instant = window.start
    while instant < window.end:
        yield instant
        instant = next_boundary(instant=instant, interval=interval, tz=tz)


def bucket_bounds(*, window: Window, interval: str, tz: ZoneInfo, limit: int) -> list[datetime]:
    """The bounds cutting `window` into calendar buckets: its start, every boundary inside it, its end (UTC).

    The first bucket starts at the window's start and the last ends at its end, so either may be partial.
    A DST day has 23 or 25 hour buckets and is still one day bucket. TooManyBuckets past `limit` buckets.
    """
    if window.start is None:
        raise ValueError("A bucketed window needs a start.")
    bounds = []
    for start in _starts(window, interval, tz):
        if len(bounds) == limit:
            raise TooManyBuckets(f"More than {limit} {interval} buckets.")
        bounds.append(start)
    return [*bounds, window.end]
