"""buckets.bucket_bounds: calendar buckets of the business timezone, DST days, odd offsets, partial ends, the limit."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ops_metrics.windows.buckets import TooManyBuckets, bucket_bounds
from ops_metrics.windows.periods import Window, local_midnight

BERLIN = ZoneInfo("Europe/Berlin")
KATHMANDU = ZoneInfo("Asia/Kathmandu")


def local_bounds(window: Window, interval: str, tz: ZoneInfo) -> list[str]:
    return [bound.astimezone(tz).isoformat() for bound in bucket_bounds(window=window, interval=interval, tz=tz,
                                                                          limit=1000)]


def day_window(day: date, tz: ZoneInfo) -> Window:
    return Window(local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz))


def test_spring_forward_day_has_23_hour_buckets():
    bounds = local_bounds(day_window(date(2026, 3, 29), BERLIN), "hour", BERLIN)

    assert len(bounds) - 1 == 23
    assert bounds[:4] == ["2026-03-29T00:00:00+01:00", "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00",
                          "2026-03-29T04:00:00+02:00"]
    assert bounds[-1] == "2026-03-30T00:00:00+02:00"


def test_fall_back_day_has_25_hour_buckets_with_the_repeated_hour_twice():
    bounds = local_bounds(day_window(date(2026, 10, 25), BERLIN), "hour", BERLIN)

    assert len(bounds) - 1 == 25
    assert bounds[2:5] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]
    assert bounds[-1] == "2026-10-26T00:00:00+01:00"


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_a_dst_day_is_one_day_bucket(day):
    assert len(local_bounds(day_window(day, BERLIN), "day", BERLIN)) - 1 == 1


def test_kathmandu_buckets_start_at_local_boundaries():
    window = Window(local_midnight(date(2026, 3, 1), KATHMANDU), datetime(2026, 5, 10, tzinfo=UTC))

    assert local_bounds(window, "month", KATHMANDU) == [
        "2026-03-01T00:00:00+05:45", "2026-04-01T00:00:00+05:45", "2026-05-01T00:00:00+05:45",
        "2026-05-10T05:45:00+05:45",
    ]
    hours = local_bounds(Window(window.start, window.start + timedelta(hours=3)), "hour", KATHMANDU)
    assert hours == ["2026-03-01T00:00:00+05:45", "2026-03-01T01:00:00+05:45", "2026-03-01T02:00:00+05:45",
                     "2026-03-01T03:00:00+05:45"]


def test_weeks_start_on_monday_and_the_first_and_last_buckets_are_partial():
    window = Window(datetime(2026, 11, 4, 10, 30, tzinfo=BERLIN), datetime(2026, 11, 18, 14, 30, tzinfo=BERLIN))

    assert local_bounds(window, "week", BERLIN) == [
        "2026-11-04T10:30:00+01:00", "2026-11-09T00:00:00+01:00", "2026-11-16T00:00:00+01:00",
        "2026-11-18T14:30:00+01:00",
    ]


def test_months_start_on_the_first_across_a_year_end():
    window = Window(local_midnight(date(2025, 11, 15), BERLIN), local_midnight(date(2026, 2, 1), BERLIN))

    assert local_bounds(window, "month", BERLIN) == [
        "2025-11-15T00:00:00+01:00", "2025-12-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00",
        "2026-02-01T00:00:00+01:00",
    ]


def test_more_buckets_than_the_limit_raise():
    window = day_window(date(2026, 11, 18), BERLIN)

    assert len(bucket_bounds(window=window, interval="hour", tz=BERLIN, limit=24)) == 25
    with pytest.raises(TooManyBuckets):
        bucket_bounds(window=window, interval="hour", tz=BERLIN, limit=23)
