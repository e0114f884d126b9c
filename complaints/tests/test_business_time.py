"""Business-time arithmetic against a naive oracle that walks UTC minute by minute, plus literal examples."""
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from complaints.business_time import (
    AROUND_THE_CLOCK,
    WEEKDAYS,
    BusinessClock,
    ScheduleError,
    format_hours,
    parse_hours,
)

MINUTE = timedelta(minutes=1)
ZONES = ["Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC", "America/New_York"]
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}
BERLIN = ZoneInfo("Europe/Berlin")


@cache
def offset_changes(zone_name: str) -> tuple[datetime, ...]:
    """Instants in 2026-2027 (and Sao Paulo's last midnight changes, 2018-2019) where the zone's offset changes."""
    zone, found = ZoneInfo(zone_name), []
    for first, last in ((datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)),
                        (datetime(2018, 10, 1, tzinfo=UTC), datetime(2019, 3, 1, tzinfo=UTC))):
        t = first
        while t < last:
            if t.astimezone(zone).utcoffset() != (t + timedelta(minutes=15)).astimezone(zone).utcoffset():
                found.append(t + timedelta(minutes=15))
            t += timedelta(minutes=15)
    return tuple(found) or (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2027, 10, 31, 1, tzinfo=UTC))


def open_minutes(*, zone_name: str, hours: dict, holidays: set[date], start: datetime, end: datetime) -> list[datetime]:
    """The deliberately naive oracle: each UTC minute in [start, end) whose local wall clock is open."""
    zone, week = ZoneInfo(zone_name), parse_hours(hours)
    minutes, t = [], start
    while t < end:
        local = t.astimezone(zone)
        if local.date() not in holidays:
            minute_of_day = local.hour * 60 + local.minute
            if any(s <= minute_of_day < e for s, e in week[local.weekday()]):
                minutes.append(t)
        t += MINUTE
    return minutes


@st.composite
def day_hours(draw) -> list[list[str]]:
    """0-3 disjoint intervals of one day, minute-aligned, often on quarter hours, possibly 00:00 or 24:00."""
    grid = draw(st.sampled_from([1, 15, 30, 60]))
    points = draw(st.lists(st.integers(0, 1440 // grid), min_size=0, max_size=6, unique=True))
    points = sorted(p * grid for p in points)
    if len(points) % 2:
        points = points[:-1]
    text = [f"{p // 60:02d}:{p % 60:02d}" for p in points]
    return [[text[i], text[i + 1]] for i in range(0, len(text), 2)]


@st.composite
def calendars(draw) -> dict:
    hours = {day: draw(day_hours()) for day in WEEKDAYS if draw(st.booleans())}
    if not any(hours.values()):
        hours["wed"] = [["00:00", "24:00"]] if draw(st.booleans()) else [["02:00", "03:00"]]
    return hours


@st.composite
def scenarios(draw, *, max_span_hours: int = 96):
    """A zone, a calendar, holidays near the start, and a minute-aligned [start, end) near an offset change."""
    zone_name = draw(st.sampled_from(ZONES))
    hours = draw(calendars())
    anchor = draw(st.sampled_from(offset_changes(zone_name)))
    start = anchor + draw(st.one_of(st.just(0), st.integers(-3 * 24 * 60, 24 * 60))) * MINUTE
    end = start + draw(st.integers(0, max_span_hours * 60)) * MINUTE
    first_day = start.date() - timedelta(days=1)
    holidays = {first_day + timedelta(days=n) for n in draw(st.sets(st.integers(0, max_span_hours // 24 + 2), max_size=4))}
    return zone_name, hours, holidays, start, end


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios())
def test_between_counts_the_open_minutes_exactly(scenario):
    zone_name, hours, holidays, start, end = scenario
    clock = BusinessClock.from_hours(timezone=zone_name, hours=hours, holidays=holidays)

    expected = open_minutes(zone_name=zone_name, hours=hours, holidays=holidays, start=start, end=end)

    assert clock.between(start, end) == len(expected) * MINUTE


@PROPERTY
@given(scenarios(), st.floats(0, 1))
def test_add_ends_at_the_end_of_the_nth_open_minute(scenario, fraction):
    zone_name, hours, holidays, start, end = scenario
    clock = BusinessClock.from_hours(timezone=zone_name, hours=hours, holidays=holidays)
    minutes = open_minutes(zone_name=zone_name, hours=hours, holidays=holidays, start=start, end=end)
    if not minutes:
        return
    n = max(1, round(fraction * len(minutes)))

    due = clock.add(start, n * MINUTE)

    assert due == minutes[n - 1] + MINUTE


@PROPERTY
@given(
    scenarios(max_span_hours=1),
    st.integers(0, 59_999_999),
    st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400)),
)
def test_add_round_trips_through_between_and_is_the_earliest_such_instant(scenario, jitter_us, duration):
    zone_name, hours, holidays, start, _ = scenario
    clock = BusinessClock.from_hours(timezone=zone_name, hours=hours, holidays=holidays)
    start += timedelta(microseconds=jitter_us)

    due = clock.add(start, duration)

    assert clock.between(start, due) == duration
    assert clock.between(start, due - timedelta(microseconds=1)) < duration


@PROPERTY
@given(scenarios(), scenarios())
def test_between_is_additive(first, second):
    zone_name, hours, holidays, a, b = first
    clock = BusinessClock.from_hours(timezone=zone_name, hours=hours, holidays=holidays)
    c = b + (second[4] - second[3])

    assert clock.between(a, c) == clock.between(a, b) + clock.between(b, c)
    assert clock.between(c, a) == -clock.between(a, c)


# Literal examples.

def test_friday_evening_plus_four_hours_is_monday_one_pm():
    clock = BusinessClock.from_hours(timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_5)

    due = clock.add(datetime(2026, 11, 27, 18, tzinfo=BERLIN), timedelta(hours=4))

    assert due == datetime(2026, 11, 30, 13, tzinfo=BERLIN)


def test_created_before_opening_starts_counting_at_the_opening():
    clock = BusinessClock.from_hours(timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_5)

    assert clock.add(datetime(2026, 11, 24, 6, 12, tzinfo=BERLIN), timedelta(hours=1)) == datetime(
        2026, 11, 24, 10, tzinfo=BERLIN
    )
    assert clock.add(datetime(2026, 11, 24, 16, 30, tzinfo=BERLIN), timedelta(hours=1)) == datetime(
        2026, 11, 25, 9, 30, tzinfo=BERLIN
    )


def test_a_calendar_open_all_day_loses_no_minute_at_midnight():
    clock = BusinessClock.from_hours(timezone="Asia/Kathmandu", hours={day: [["00:00", "24:00"]] for day in WEEKDAYS})
    start = datetime(2026, 6, 1, 23, 59, 30, tzinfo=ZoneInfo("Asia/Kathmandu"))

    assert clock.add(start, timedelta(minutes=1)) == start + timedelta(minutes=1)
    assert clock.between(start, start + timedelta(days=10)) == timedelta(days=10)


def test_an_interval_ending_at_24_00_runs_into_the_next_days_00_00():
    clock = BusinessClock.from_hours(
        timezone="Europe/Berlin", hours={"mon": [["22:00", "24:00"]], "tue": [["00:00", "02:00"]]}
    )

    assert clock.add(datetime(2026, 11, 30, 23, 30, tzinfo=BERLIN), timedelta(hours=1)) == datetime(
        2026, 12, 1, 0, 30, tzinfo=BERLIN
    )


def test_back_to_back_intervals_are_one_stretch():
    clock = BusinessClock.from_hours(timezone="UTC", hours={"mon": [["09:00", "12:00"], ["12:00", "13:00"]]})

    assert clock.add(datetime(2026, 11, 30, 11, tzinfo=UTC), timedelta(hours=2)) == datetime(2026, 11, 30, 13, tzinfo=UTC)


def test_a_holiday_is_closed_all_its_local_day():
    christmas = {date(2026, 12, 25)}
    clock = BusinessClock.from_hours(timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_5, holidays=christmas)

    due = clock.add(datetime(2026, 12, 24, 16, tzinfo=BERLIN), timedelta(hours=2))

    assert due == datetime(2026, 12, 28, 10, tzinfo=BERLIN)
    assert clock.between(datetime(2026, 12, 25, tzinfo=BERLIN), datetime(2026, 12, 26, tzinfo=BERLIN)) == timedelta(0)


def test_holidays_are_dates_of_the_calendars_own_zone():
    # 2026-12-25 in Auckland runs from 24 Dec 11:00 to 25 Dec 11:00 UTC.
    clock = BusinessClock.from_hours(
        timezone="Pacific/Auckland", hours={day: [["00:00", "24:00"]] for day in WEEKDAYS}, holidays={date(2026, 12, 25)}
    )

    assert clock.between(datetime(2026, 12, 24, tzinfo=UTC), datetime(2026, 12, 26, tzinfo=UTC)) == timedelta(hours=24)
    assert not clock.is_open(datetime(2026, 12, 24, 12, tzinfo=UTC))
    assert clock.is_open(datetime(2026, 12, 25, 12, tzinfo=UTC))


def test_the_berlin_spring_forward_hour_does_not_exist_and_counts_nothing():
    clock = BusinessClock.from_hours(timezone="Europe/Berlin", hours={"sun": [["01:00", "04:00"]]})
    sunday = datetime(2026, 3, 29, tzinfo=BERLIN)

    assert clock.between(sunday, sunday + timedelta(days=1)) == timedelta(hours=2)
    # 01:00 CET is 00:00 UTC; two hours later it is 04:00 CEST.
    assert clock.add(sunday, timedelta(hours=2)) == datetime(2026, 3, 29, 2, tzinfo=UTC)


def test_the_berlin_fall_back_hour_happens_twice_and_counts_twice():
    clock = BusinessClock.from_hours(timezone="Europe/Berlin", hours={"sun": [["02:00", "03:00"]]})
    sunday = datetime(2026, 10, 25, tzinfo=BERLIN)

    assert clock.between(sunday, sunday + timedelta(days=1)) == timedelta(hours=2)
    # 02:00 CEST is 00:00 UTC; the first 02:00-03:00 ends at 01:00 UTC, the second (CET) at 02:00 UTC.
    assert clock.add(sunday, timedelta(minutes=90)) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert clock.add(sunday, timedelta(hours=2)) == datetime(2026, 10, 25, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone_name", "change", "hours"),
    [
        # Spring forward 02:00 CET -> 03:00 CEST; fall back 03:00 CEST -> 02:00 CET.
        ("Europe/Berlin", datetime(2026, 3, 29, 1, tzinfo=UTC), {"sun": [["03:00", "04:00"]]}),
        ("Europe/Berlin", datetime(2026, 10, 25, 1, tzinfo=UTC), {"sun": [["02:00", "02:30"]]}),
        # Lord Howe: 02:00 +10:30 -> 02:30 +11 (3 Oct 2027), 02:00 +11 -> 01:30 +10:30 (4 Apr 2027).
        ("Australia/Lord_Howe", datetime(2027, 10, 2, 15, 30, tzinfo=UTC), {"sun": [["02:30", "03:00"]]}),
        ("Australia/Lord_Howe", datetime(2027, 4, 3, 15, tzinfo=UTC), {"sun": [["01:30", "01:45"]]}),
        # Sao Paulo's last fall back, at midnight: 17 Feb 2019 00:00 -03 -> 16 Feb 23:00 -03.
        ("America/Sao_Paulo", datetime(2019, 2, 17, 2, tzinfo=UTC), {"sat": [["23:00", "23:30"]]}),
    ],
)
def test_offset_changes_are_exact_to_the_microsecond(zone_name, change, hours):
    clock = BusinessClock.from_hours(timezone=zone_name, hours=hours)
    us = timedelta(microseconds=1)

    assert clock.between(change - us, change + us) == us
    assert not clock.is_open(change - us)
    assert clock.is_open(change)
    assert clock.add(change - us, us) == change + us


def test_a_holiday_between_two_days_open_across_midnight():
    clock = BusinessClock.from_hours(
        timezone="UTC", hours={"mon": [["22:00", "24:00"]], "tue": [["00:00", "24:00"]], "wed": [["00:00", "01:00"]]},
        holidays={date(2026, 12, 1)},
    )

    assert clock.add(datetime(2026, 11, 30, 23, tzinfo=UTC), timedelta(minutes=90)) == datetime(2026, 12, 2, 0, 30, tzinfo=UTC)


def test_the_start_may_be_in_any_zone():
    clock = BusinessClock.from_hours(timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_5)
    start = datetime(2026, 11, 27, 12, tzinfo=ZoneInfo("America/New_York"))  # Friday 18:00 in Berlin

    assert clock.add(start, timedelta(hours=4)) == datetime(2026, 11, 30, 13, tzinfo=BERLIN)


def test_a_year_of_business_hours_skips_whole_weeks():
    clock = BusinessClock.from_hours(timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_5)
    start = datetime(2026, 1, 5, 9, tzinfo=BERLIN)  # a Monday

    due = clock.add(start, timedelta(hours=8760))

    # 8760 h = 219 weeks of 40 h exactly: the Friday of the 219th week at 17:00.
    assert due == datetime(2030, 3, 15, 17, tzinfo=BERLIN)
    assert clock.between(start, due) == timedelta(hours=8760)


def test_a_calendar_open_one_hour_a_week_reaches_far_durations():
    clock = BusinessClock.from_hours(timezone="Australia/Lord_Howe", hours={"wed": [["10:00", "11:00"]]})
    start = datetime(2026, 1, 1, tzinfo=UTC)

    due = clock.add(start, timedelta(hours=520))

    assert clock.between(start, due) == timedelta(hours=520)
    assert due.astimezone(ZoneInfo("Australia/Lord_Howe")).strftime("%a %H:%M") == "Wed 11:00"


def test_holidays_on_every_open_day_push_the_due_time_past_them():
    holidays = {date(2026, 1, 7) + timedelta(weeks=n) for n in range(200)}  # every Wednesday for 200 weeks
    clock = BusinessClock.from_hours(
        timezone="UTC", hours={"wed": [["10:00", "11:00"]], "sat": [["10:00", "10:01"]]}, holidays=holidays
    )

    due = clock.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=250))

    # 201 Saturday minutes pass before the first Wednesday that is no holiday (7 Nov 2029); 49 more minutes on it.
    assert due == datetime(2029, 11, 7, 10, 49, tzinfo=UTC)


def test_naive_datetimes_are_refused():
    clock = BusinessClock.from_hours(timezone="UTC", hours=WEEKDAYS_9_TO_5)

    with pytest.raises(ValueError, match="timezone-aware"):
        clock.add(datetime(2026, 1, 1), timedelta(hours=1))


def test_zero_duration_is_the_start_and_negative_is_refused():
    clock = BusinessClock.from_hours(timezone="UTC", hours=WEEKDAYS_9_TO_5)
    start = datetime(2026, 11, 28, 3, tzinfo=UTC)

    assert clock.add(start, timedelta(0)) == start
    with pytest.raises(ValueError, match="negative"):
        clock.add(start, timedelta(hours=-1))


def test_around_the_clock_is_elapsed_time():
    start = datetime(2026, 3, 29, tzinfo=BERLIN)

    assert AROUND_THE_CLOCK.add(start, timedelta(hours=4)) == datetime(2026, 3, 29, 5, tzinfo=BERLIN)
    assert AROUND_THE_CLOCK.between(start, start + timedelta(days=1)) == timedelta(hours=23)


def test_clocks_are_values():
    one = BusinessClock.from_hours(timezone="UTC", hours=WEEKDAYS_9_TO_5, holidays=[date(2026, 1, 1)])
    two = BusinessClock.from_hours(timezone="UTC", hours=dict(WEEKDAYS_9_TO_5), holidays={date(2026, 1, 1)})

    assert one == two
    assert hash(one) == hash(two)
    with pytest.raises(AttributeError):
        one.timezone = "Europe/Berlin"


# Parsing and validation of the JSON form.

@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon": [["9:00", "17:00"]]}, '"9:00" is not a time'),
        ({"mon": [["09:00", "17:60"]]}, "is not a time of day"),
        ({"mon": [["24:00", "24:00"]]}, "is not a time of day"),
        ({"mon": [["09:00", "25:00"]]}, "is not a time of day"),
        ({"mon": [["09:00"]]}, "is not an interval"),
        ({"mon": [[9, 17]]}, "is not a time"),
        ({"mon": "09:00-17:00"}, "a list of"),
        ({"mon": [["17:00", "09:00"]]}, "ends before or when it starts"),
        ({"mon": [["09:00", "09:00"]]}, "ends before or when it starts"),
        ({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}, "overlap"),
        ({"monday": [["09:00", "17:00"]]}, "Unknown weekday monday"),
        ({}, "never open"),
        ({"sat": [], "sun": []}, "never open"),
        ([["09:00", "17:00"]], "must be an object"),
    ],
)
def test_bad_hours_are_refused_with_a_clear_message(hours, message):
    with pytest.raises(ScheduleError, match=message):
        parse_hours(hours)


def test_an_unknown_zone_is_refused():
    with pytest.raises(ScheduleError, match="Unknown time zone"):
        BusinessClock.from_hours(timezone="Europe/Atlantis", hours=WEEKDAYS_9_TO_5)


@example({"mon": [["00:00", "24:00"]]})
@given(calendars())
def test_hours_round_trip_through_their_json_form(hours):
    week = parse_hours(hours)

    assert parse_hours(format_hours(week)) == week
