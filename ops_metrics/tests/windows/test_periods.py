"""Period and comparison windows: business-local boundaries, DST days, month-end clipping."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ops_metrics.windows.periods import Window, build_windows, local_midnight

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


def test_windows_of_an_ordinary_wednesday():
    now = local(BERLIN, 2026, 11, 18, 14, 30)  # Wednesday, CET (+01:00)
    w = build_windows(period="week", now=now, tz=BERLIN)
    assert w.today == Window(datetime(2026, 11, 17, 23, 0, tzinfo=UTC), now)
    assert w.week == Window(datetime(2026, 11, 15, 23, 0, tzinfo=UTC), now)
    assert w.month == Window(datetime(2026, 10, 31, 23, 0, tzinfo=UTC), now)
    assert w.period == w.week
    assert w.comparison_current == w.week
    assert w.comparison_previous == Window(local(BERLIN, 2026, 11, 9), local(BERLIN, 2026, 11, 11, 14, 30))


def test_every_boundary_is_utc_and_now_is_normalised():
    now = local(NEW_YORK, 2026, 11, 18, 9, 15)
    w = build_windows(period="today", now=now, tz=BERLIN)
    bounds = [w.now, w.today.start, w.today.end, w.week.start, w.month.start,
              w.comparison_previous.start, w.comparison_previous.end]
    assert all(b.tzinfo is UTC for b in bounds)
    assert w.now == datetime(2026, 11, 18, 14, 15, tzinfo=UTC)
    assert w.today.start == datetime(2026, 11, 17, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "previous_start", "previous_end"),
    [
        ("today", (2026, 11, 17), (2026, 11, 17, 14, 30)),
        ("week", (2026, 11, 9), (2026, 11, 11, 14, 30)),
        ("month", (2026, 10, 1), (2026, 10, 18, 14, 30)),
        ("all", (2026, 10, 1), (2026, 10, 18, 14, 30)),
    ],
)
def test_comparison_windows_end_at_the_same_wall_clock_position(period, previous_start, previous_end):
    now = local(BERLIN, 2026, 11, 18, 14, 30)
    w = build_windows(period=period, now=now, tz=BERLIN)
    current = {"today": w.today, "week": w.week, "month": w.month, "all": w.month}[period]
    assert w.comparison_current == current
    assert w.comparison_previous == Window(local(BERLIN, *previous_start), local(BERLIN, *previous_end))
    # 18 October is still summer time, so the month comparison's end is 12:30 UTC, not 13:30.
    if period in ("month", "all"):
        assert w.comparison_previous.end == datetime(2026, 10, 18, 12, 30, tzinfo=UTC)


def test_all_has_no_lower_bound():
    now = local(BERLIN, 2026, 11, 18, 14, 30)
    w = build_windows(period="all", now=now, tz=BERLIN)
    assert w.period == Window(None, now)


@pytest.mark.parametrize(
    ("now", "previous_end"),
    [
        # On 31 March, February's window ends at 1 March 00:00 (clipped to February's end).
        (local(BERLIN, 2026, 3, 31, 12, 0), local(BERLIN, 2026, 3, 1)),
        # 29 and 30 March in a non-leap year clip the same way.
        (local(BERLIN, 2026, 3, 29, 12, 0), local(BERLIN, 2026, 3, 1)),
        (local(BERLIN, 2026, 3, 30, 12, 0), local(BERLIN, 2026, 3, 1)),
        # 28 March exists in February: same day, same time.
        (local(BERLIN, 2026, 3, 28, 12, 0), local(BERLIN, 2026, 2, 28, 12, 0)),
        # In a leap year 29 February exists.
        (local(BERLIN, 2028, 3, 29, 12, 0), local(BERLIN, 2028, 2, 29, 12, 0)),
        (local(BERLIN, 2028, 3, 30, 12, 0), local(BERLIN, 2028, 3, 1)),
        # 31 May: April has 30 days, so April's window ends at 1 May 00:00; 30 May keeps 30 April.
        (local(BERLIN, 2026, 5, 31, 9, 0), local(BERLIN, 2026, 5, 1)),
        (local(BERLIN, 2026, 5, 30, 9, 0), local(BERLIN, 2026, 4, 30, 9, 0)),
        # January compares with December of the previous year.
        (local(BERLIN, 2026, 1, 31, 9, 0), local(BERLIN, 2025, 12, 31, 9, 0)),
    ],
)
def test_month_comparison_clips_to_the_previous_months_end(now, previous_end):
    w = build_windows(period="month", now=now, tz=BERLIN)
    first = now.date().replace(day=1)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    assert w.comparison_current == Window(local_midnight(first, BERLIN), now)
    assert w.comparison_previous == Window(local_midnight(previous_first, BERLIN), previous_end)


@pytest.mark.parametrize(
    ("tz", "day", "midnight_utc", "whole_hours"),
    [
        (BERLIN, (2026, 3, 29), datetime(2026, 3, 28, 23, tzinfo=UTC), 22),  # spring forward 02:00 -> 03:00
        (BERLIN, (2026, 10, 25), datetime(2026, 10, 24, 22, tzinfo=UTC), 24),  # fall back 03:00 -> 02:00
        (NEW_YORK, (2026, 3, 8), datetime(2026, 3, 8, 5, tzinfo=UTC), 22),
        (NEW_YORK, (2026, 11, 1), datetime(2026, 11, 1, 4, tzinfo=UTC), 24),
    ],
)
def test_a_dst_day_is_still_one_day(tz, day, midnight_utc, whole_hours):
    last_instant = local(tz, *day, 23, 59, 59, 999999)
    w = build_windows(period="today", now=last_instant, tz=tz)
    assert w.today.start == midnight_utc
    assert w.today.end - w.today.start == timedelta(hours=whole_hours, minutes=59, seconds=59, microseconds=999999)
    # One microsecond later it is the next day, whose window starts exactly there.
    next_day = build_windows(period="today", now=last_instant + timedelta(microseconds=1), tz=tz)
    assert next_day.today.start == last_instant + timedelta(microseconds=1)
    assert next_day.comparison_previous.start == w.today.start


def test_week_and_month_windows_across_dst():
    # Wednesday 1 April 2026: the week began in summer time, last week and March began in winter time.
    now = local(BERLIN, 2026, 4, 1, 10, 0)
    w = build_windows(period="week", now=now, tz=BERLIN)
    assert w.week.start == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # Mon 30 March 00:00 CEST
    assert w.comparison_previous == Window(
        datetime(2026, 3, 22, 23, 0, tzinfo=UTC), datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
    )
    assert w.month.start == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    # New York, Wednesday 4 November 2026: the month began in summer time (EDT), the week in EST.
    now = local(NEW_YORK, 2026, 11, 4, 10, 0)
    w = build_windows(period="month", now=now, tz=NEW_YORK)
    assert w.month.start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert w.week.start == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
    assert w.comparison_previous == Window(
        datetime(2026, 10, 1, 4, 0, tzinfo=UTC), datetime(2026, 10, 4, 14, 0, tzinfo=UTC)
    )


def test_comparison_wall_clock_time_skipped_by_spring_forward():
    # 02:30 did not exist on 29 March 2026 in Berlin; it is read with the pre-gap offset (01:30 UTC).
    now = local(BERLIN, 2026, 3, 30, 2, 30)
    w = build_windows(period="today", now=now, tz=BERLIN)
    assert w.comparison_previous == Window(
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    )
    # Elapsed time is the same on both sides: 2.5 hours.
    assert w.comparison_previous.end - w.comparison_previous.start == w.today.end - w.today.start


def test_comparison_on_the_repeated_hour_of_fall_back():
    # 02:30 happens twice on 25 October 2026 in Berlin; the second one (fold=1) is CET.
    now = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    w = build_windows(period="today", now=now, tz=BERLIN)
    assert w.now == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert w.today.start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert w.comparison_previous.end == datetime(2026, 10, 24, 0, 30, tzinfo=UTC)  # 24 Oct 02:30 CEST


def test_unknown_period_is_a_value_error():
    with pytest.raises(ValueError):
        build_windows(period="year", now=local(BERLIN, 2026, 11, 18), tz=BERLIN)
