"""Business-time arithmetic over weekly opening hours, holidays and a time zone; pure, no ORM.

Business time is the real elapsed time during which the local wall-clock time in the calendar's zone lies in an
open interval of that local date, which is not a holiday. Internally every instant is an integer number of
microseconds since the Unix epoch (UTC), so the results are exact. Between two changes of the zone's UTC offset
the local wall clock is the UTC instant plus a constant, so the business time of such a piece is the open measure
of its image on the naive local timeline; a nonexistent wall-clock stretch (spring forward) is the image of no
instant and counts nothing, a repeated one (fall back) is the image of two pieces and counts twice.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_US = timedelta(microseconds=1)
_SECOND = 1_000_000
_MINUTE = 60 * _SECOND
_DAY = 86_400 * _SECOND
_WEEK = 7 * _DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Local timeline coordinate X = naive local microseconds since 1970-01-01 00:00 + _SHIFT, so that X = 0 is the
# Monday 1969-12-29 00:00 and X // _WEEK counts whole weeks.
_SHIFT = 3 * _DAY
_HORIZON = 400 * _DAY  # how far add() looks for the next offset change before computing a candidate
_MONDAY = date(1969, 12, 29)
_TIME = re.compile(r"(\d\d):(\d\d)")

# An interval of one day: (start, end) in minutes after local midnight, 0 <= start < end <= 1440.
Interval = tuple[int, int]


class ScheduleError(ValueError):
    """Opening hours, a time zone or a holiday list that does not make a usable calendar."""


def _minutes(text: object, *, day: str, allow_24: bool) -> int:
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ScheduleError(f'{day}: "{text}" is not a time "HH:MM".')
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ScheduleError(f'{day}: "{text}" is not a time of day (00:00 to 23:59, or 24:00 as an end).')
    return hours * 60 + minutes


def parse_hours(hours: object) -> tuple[tuple[Interval, ...], ...]:
    """Seven tuples (Monday first) of sorted (start, end) minute intervals from the JSON form; ScheduleError if bad."""
    if not isinstance(hours, Mapping):
        raise ScheduleError('Opening hours must be an object of weekdays, e.g. {"mon": [["09:00", "17:00"]]}.')
    unknown = sorted(str(key) for key in hours if key not in WEEKDAYS)
    if unknown:
        raise ScheduleError(f"Unknown weekday {', '.join(unknown)}: use {', '.join(WEEKDAYS)}.")
    week = []
    for day in WEEKDAYS:
        intervals = hours.get(day) or []
        if not isinstance(intervals, list):
            raise ScheduleError(f'{day}: a list of ["HH:MM", "HH:MM"] intervals is expected.')
        parsed = []
        for interval in intervals:
            if not (isinstance(interval, list | tuple) and len(interval) == 2):
                raise ScheduleError(f'{day}: {interval!r} is not an interval ["HH:MM", "HH:MM"].')
            start = _minutes(interval[0], day=day, allow_24=False)
            end = _minutes(interval[1], day=day, allow_24=True)
            if end <= start:
                raise ScheduleError(f"{day}: {interval[0]}-{interval[1]} ends before or when it starts.")
            parsed.append((start, end))
        parsed.sort()
        for (_, end), (start, _) in zip(parsed, parsed[1:], strict=False):
            if start < end:
                raise ScheduleError(f"{day}: intervals overlap.")
        week.append(tuple(parsed))
    if not any(week):
        raise ScheduleError("The calendar is never open: give at least one interval.")
    return tuple(week)


def format_hours(week: Sequence[Sequence[Interval]]) -> dict[str, list[list[str]]]:
    """The JSON form of seven days of minute intervals (closed days left out)."""
    def text(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return {day: [[text(s), text(e)] for s, e in intervals] for day, intervals in zip(WEEKDAYS, week, strict=True) if intervals}


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ScheduleError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ScheduleError(f'Unknown time zone "{name}": use an IANA name such as "Europe/Berlin".') from error


def _to_us(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("Business-time arithmetic needs timezone-aware datetimes.")
    return (instant - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=us)
    except OverflowError as error:
        raise OverflowError("The business time runs past the end of the datetime range.") from error


def _offset_us(tz: ZoneInfo, second: int) -> int:
    return datetime.fromtimestamp(second, tz).utcoffset() // _US


@lru_cache(maxsize=4096)
def _transitions(tz: ZoneInfo, year: int) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """The UTC-offset changes T (microseconds) with 1 Jan `year` < T <= 1 Jan `year + 1`, UTC: ((T, offset after), ...).

    zoneinfo has no public list of transitions, so the offset is sampled daily and each change is bisected to its
    second (tzdata transitions fall on whole seconds). This assumes no two offset changes cancel out within one day,
    which holds for every zone in tzdata since 1970 (checked with bench/business_time.py --check-zones).
    """
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp()) if year < 9999 else start + 365 * 86_400
    found = []
    previous_second, previous = start, _offset_us(tz, start)
    second = start
    while second < end:
        second = min(second + 86_400, end)
        offset = _offset_us(tz, second)
        if offset != previous:
            low, high = previous_second, second  # offset(low) == previous != offset(high)
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_us(tz, middle) == previous:
                    low = middle
                else:
                    high = middle
            found.append((high * _SECOND, _offset_us(tz, high)))
        previous_second, previous = second, offset
    return tuple(found), tuple(t for t, _ in found)


def _year(us: int) -> int:
    return _from_us(us).year


@dataclass(frozen=True)
class BusinessClock:
    """Weekly opening hours in a time zone, minus whole-day holidays; adds and measures business time."""

    timezone: str
    week: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _lengths: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _before: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _through: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _weekly: int = field(init=False, repr=False, compare=False)
    _holiday_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _holiday_removed: tuple[int, ...] = field(init=False, repr=False, compare=False)

    @classmethod
    def from_hours(cls, *, timezone: str, hours: object, holidays: Iterable[date] = ()) -> BusinessClock:
        """A clock from the JSON form of the opening hours (validated; ScheduleError if bad)."""
        return cls(timezone=timezone, week=parse_hours(hours), holidays=frozenset(holidays))

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "_tz", zone(self.timezone))
        if len(self.week) != 7:
            raise ScheduleError("Opening hours need seven days, Monday first.")
        starts, lengths = [], []
        for weekday, intervals in enumerate(self.week):
            for start, end in intervals:
                if not 0 <= start < end <= 1440:
                    raise ScheduleError(f"{WEEKDAYS[weekday]}: ({start}, {end}) is not an interval of a day.")
                if starts and weekday * _DAY + start * _MINUTE < starts[-1] + lengths[-1]:
                    raise ScheduleError(f"{WEEKDAYS[weekday]}: intervals overlap or are not sorted.")
                starts.append(weekday * _DAY + start * _MINUTE)
                lengths.append((end - start) * _MINUTE)
        if not starts:
            raise ScheduleError("The calendar is never open: give at least one interval.")
        before = [0]
        for length in lengths:
            before.append(before[-1] + length)
        put(self, "_starts", tuple(starts))
        put(self, "_lengths", tuple(lengths))
        put(self, "_before", tuple(before[:-1]))
        put(self, "_through", tuple(before[1:]))
        put(self, "_weekly", before[-1])
        # Only holidays on a day with opening hours remove anything; each removes that weekday's open time.
        day_open = [sum(end - start for start, end in intervals) * _MINUTE for intervals in self.week]
        holiday_starts, removed, total = [], [0], 0
        for holiday in sorted(self.holidays):
            if day_open[holiday.weekday()]:
                holiday_starts.append((holiday - _MONDAY).days * _DAY)
                total += day_open[holiday.weekday()]
                removed.append(total)
        put(self, "_holiday_starts", tuple(holiday_starts))
        put(self, "_holiday_removed", tuple(removed))

    # The naive local timeline (X coordinates): G counts the weekly hours, F = G minus holidays.

    def _g(self, x: int) -> int:
        weeks, rest = divmod(x, _WEEK)
        index = bisect_right(self._starts, rest) - 1
        if index < 0:
            return weeks * self._weekly
        return weeks * self._weekly + self._before[index] + min(rest - self._starts[index], self._lengths[index])

    def _g_inverse(self, target: int) -> int:
        """The earliest X with G(X) >= target."""
        weeks, rest = divmod(target, self._weekly)
        if rest == 0:
            weeks, rest = weeks - 1, self._weekly
        index = bisect_left(self._through, rest)
        return weeks * _WEEK + self._starts[index] + rest - self._before[index]

    def _f(self, x: int) -> int:
        index = bisect_right(self._holiday_starts, x) - 1
        if index < 0:
            return self._g(x)
        start = self._holiday_starts[index]
        inside = self._g(min(x, start + _DAY)) - self._g(start)
        return self._g(x) - self._holiday_removed[index] - inside

    def _f_after(self, x: int, amount: int) -> int:
        """The earliest X' >= x with F(X') - F(x) >= amount > 0, walking over the holidays in between."""
        starts = self._holiday_starts
        index = bisect_right(starts, x - _DAY)  # the first holiday that ends after x
        while True:
            if index < len(starts) and starts[index] <= x:  # x lies in a holiday: nothing counts until it ends
                x = starts[index] + _DAY
                index += 1
                continue
            base = self._g(x)
            found = self._g_inverse(base + amount)
            if index == len(starts) or found <= starts[index]:
                return found
            amount -= self._g(starts[index]) - base
            x = starts[index]

    # Instants: the UTC-offset-constant pieces.

    def _next_transition(self, after: int, before: int) -> tuple[int, int] | None:
        """The first (T, offset after T) with after < T < before, or None."""
        for year in range(_year(after), _year(before) + 1):
            changes, times = _transitions(self._tz, year)
            index = bisect_right(times, after)
            if index < len(times):
                return changes[index] if times[index] < before else None
        return None

    def _offset(self, us: int) -> int:
        return _offset_us(self._tz, us // _SECOND)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant (UTC) at which `duration` of business time has elapsed since `start`."""
        amount = duration // _US
        if amount < 0:
            raise ValueError("A business duration cannot be negative.")
        now = _to_us(start)
        if amount == 0:
            return _from_us(now)
        offset = self._offset(now)
        candidate = self._f_after(now + offset + _SHIFT, amount) - offset - _SHIFT
        if self._next_transition(now, candidate) is None:  # the common case: no offset change before the due time
            return _from_us(candidate)
        while True:
            x = now + offset + _SHIFT
            # Whole pieces up to the next offset change are skipped in O(log n); only the last one walks holidays.
            change = self._next_transition(now, now + _HORIZON)
            if change is None:
                candidate = self._f_after(x, amount) - offset - _SHIFT
                change = self._next_transition(now, candidate)
                if change is None:
                    return _from_us(candidate)
            moment, next_offset = change
            available = self._f(moment + offset + _SHIFT) - self._f(x)
            if available >= amount:
                return _from_us(self._f_after(x, amount) - offset - _SHIFT)
            amount -= available
            now, offset = moment, next_offset

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The business time in [start, end) (negative when end is before start)."""
        low, high = _to_us(start), _to_us(end)
        if high < low:
            return -self.between(end, start)
        total, offset = 0, self._offset(low)
        while True:
            change = self._next_transition(low, high)
            moment = high if change is None else change[0]
            total += self._f(moment + offset + _SHIFT) - self._f(low + offset + _SHIFT)
            if change is None:
                return timedelta(microseconds=total)
            low, offset = change

    def is_open(self, instant: datetime) -> bool:
        """Whether business time runs at `instant`."""
        x = _to_us(instant)
        x += self._offset(x) + _SHIFT
        return self._f(x + 1) > self._f(x)


class AroundTheClock:
    """Elapsed time: the clock of an SLA policy without a calendar."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """`start` + `duration` of real time, in UTC (aware arithmetic in one zone would add wall-clock time)."""
        return _from_us(_to_us(start) + duration // _US)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The real time from `start` to `end`."""
        return timedelta(microseconds=_to_us(end) - _to_us(start))

    def __repr__(self) -> str:
        return "AROUND_THE_CLOCK"


AROUND_THE_CLOCK = AroundTheClock()

Clock = BusinessClock | AroundTheClock
