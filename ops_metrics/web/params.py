"""Query parameters of the ops API and CLI (period, include, custom ranges, series), parsed into value types."""
import re
from datetime import date, datetime, timedelta

from ops_metrics.constants import (
    ALL_GROUPS,
    ALL_SERIES,
    CUSTOM_PERIOD,
    DEFAULT_INTERVALS,
    DEFAULT_PERIOD,
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_RANGE_YEARS,
    Interval,
    Period,
)
from ops_metrics.reports.records import DEFAULT_PAGE_SIZE, FIGURE_NAMES, MAX_PAGE_SIZE, RecordsQuery
from ops_metrics.reports.staff import DEFAULT_ORDERING, ORDERINGS
from ops_metrics.windows.ranges import STAFF_NONE, CustomRange, InvalidQuery, SeriesQuery, StaffFilter
from staff.models import Staff

MAX_VALUE_LENGTH = 200


def _check_raw(param: str, values: list[str]) -> None:
    for value in values:
        if "\x00" in value:
            raise InvalidQuery(param, f"`{param}` must not contain NUL bytes.")
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidQuery(param, f"`{param}` must be at most {MAX_VALUE_LENGTH} characters.")


def _present(values: list[str]) -> list[str]:
    """The values actually given: an empty one counts as absent (an HTML form sends `start=&end=`)."""
    return [value for value in values if value.strip()]


def _single(param: str, normalised: list):
    """The one value a repeated parameter agrees on."""
    if any(value != normalised[0] for value in normalised[1:]):
        raise InvalidQuery(param, f"`{param}` was given more than once with different values.")
    return normalised[0]


def _period(value: str, valid: list[str]) -> str:
    period = value.strip()
    if period not in valid:
        raise InvalidQuery("period", f"Unknown period {period!r}; expected one of: {', '.join(valid)}.")
    return period


def _groups(value: str, valid: list[str]) -> tuple[str, ...]:
    names = {name.strip() for name in value.split(",")} - {""}
    if not names:
        raise InvalidQuery("include", f"`include` must name at least one of: {', '.join(valid)}.")
    unknown = sorted(names - set(valid))
    if unknown:
        raise InvalidQuery(
            "include", f"Unknown metric group {', '.join(map(repr, unknown))}; expected any of: {', '.join(valid)}.",
        )
    return tuple(group for group in valid if group in names)


def parse_metrics_query(*, period: list[str], include: list[str]) -> tuple[str, tuple[str, ...]]:
    """(period, groups in canonical order) from the raw, possibly repeated, parameter values; InvalidQuery if bad."""
    periods, groups = list(Period.values), list(ALL_GROUPS)
    _check_raw("period", period)
    _check_raw("include", include)
    period = _present(period)
    chosen_period = _single("period", [_period(v, periods) for v in period]) if period else DEFAULT_PERIOD.value
    chosen_groups = _single("include", [_groups(v, groups) for v in include]) if include else tuple(groups)
    return chosen_period, chosen_groups


RANGE_FORMATS = ["YYYY-MM-DD (a local date)", "ISO 8601 timestamp with offset (2026-10-01T08:00:00+02:00)"]
BOOLEANS = ["true", "false"]
# An unencoded "+" in a query string arrives as a space: "…T08:00:00 02:00" means "…T08:00:00+02:00".
_SPACED_OFFSET = re.compile(r"^(.+T[0-9:.]+) ([0-9]{2}(?::?[0-9]{2})?)$")


def _moment(param: str, value: str) -> date | datetime:
    text = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
    try:
        moment = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or (isinstance(moment, datetime) and moment.tzinfo is None):
        raise InvalidQuery(
            param, f"`{param}` must be a local date (YYYY-MM-DD) or an ISO 8601 timestamp with an offset.",
        )
    return _in_calendar(param, moment)


def _in_calendar(param: str, moment: date | datetime) -> date | datetime:
    """`moment` if its year is one a range may use, so no window computed from it can leave the calendar."""
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise InvalidQuery(param, f"`{param}` must fall in the years {EARLIEST_YEAR} to {LATEST_YEAR}.")
    return moment


def _plus_years(moment: date | datetime, years: int) -> date | datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, month=3, day=1)


def parse_range(*, period: list[str], start: list[str], end: list[str]) -> CustomRange | None:
    """The custom range given by `start` and `end` (None when neither is); InvalidQuery if bad (docs/api.md, custom ranges).

    What needs the business timezone and `now` (a start that is not before now) is checked by `windows`.
    """
    _check_raw("start", start)
    _check_raw("end", end)
    period, start, end = _present(period), _present(start), _present(end)
    if not start and not end:
        return None
    if period:
        raise InvalidQuery("period", "Give either `period` or `start` and `end`, not both.")
    for param, given in (("start", start), ("end", end)):
        if not given:
            raise InvalidQuery(param, f"`{param}` is required with a custom range.")
    first = _single("start", [_moment("start", v) for v in start])
    last = _single("end", [_moment("end", v) for v in end])
    if isinstance(first, datetime) != isinstance(last, datetime):
        raise InvalidQuery("end", "`start` and `end` must both be dates or both be timestamps.")
    if last <= first:
        raise InvalidQuery("end", "`end` must be after `start`.")
    if last > _plus_years(first, MAX_RANGE_YEARS):
        raise InvalidQuery("end", f"A custom range spans at most {MAX_RANGE_YEARS} years.")
    return CustomRange(start=first, end=last)


STAFF_FORMATS = ["comma-separated staff ids", STAFF_NONE]
_STAFF_ID = re.compile(r"^[0-9]{1,18}$")


def _staff(value: str) -> StaffFilter:
    ids, unassigned = set(), False
    for piece in (piece.strip() for piece in value.split(",")):
        if piece == STAFF_NONE:
            unassigned = True
        elif _STAFF_ID.match(piece) and int(piece) > 0:
            ids.add(int(piece))
        else:
            raise InvalidQuery(
                "staff", f"`staff` must list staff ids and/or `{STAFF_NONE}`, comma-separated; got {piece!r}.",
            )
    return StaffFilter(ids=frozenset(ids), unassigned=unassigned)


def parse_staff(*, staff: list[str]) -> StaffFilter | None:
    """The staff filter (None when absent or empty); InvalidQuery naming `staff` if malformed or an id is no staff member.

    Inactive staff members count: their past work is still theirs. The check costs one indexed query.
    """
    _check_raw("staff", staff)
    given = [value for value in staff if value.strip()]
    if not given:
        return None
    chosen = _single("staff", [_staff(value) for value in given])
    unknown = chosen.ids - set(Staff.objects.filter(pk__in=chosen.ids).values_list("pk", flat=True))
    if unknown:
        raise InvalidQuery(
            "staff", f"No staff member has id {', '.join(map(str, sorted(unknown)))}.",
        )
    return chosen


def _custom_interval(custom: CustomRange) -> str:
    """The default interval of a custom range, by its length as given."""
    length = custom.end - custom.start
    length = length if isinstance(length, timedelta) else timedelta(days=length.days)
    if length <= timedelta(days=2):
        return Interval.HOUR
    if length <= timedelta(days=92):
        return Interval.DAY
    if length <= timedelta(days=366):
        return Interval.WEEK
    return Interval.MONTH


def _metrics(value: str, valid: list[str]) -> tuple[str, ...]:
    """A subset: unlike `include`, which predates it, empty pieces and repeated names are refused."""
    listed = [name.strip() for name in value.split(",")]
    names = set(listed) - {""}
    if not names:
        raise InvalidQuery("metrics", f"`metrics` must name at least one of: {', '.join(valid)}.")
    if "" in listed or len(names) < len(listed):
        raise InvalidQuery("metrics", "`metrics` must list each metric once, with no empty names.")
    unknown = sorted(names - set(valid))
    if unknown:
        raise InvalidQuery(
            "metrics", f"Unknown metric {', '.join(map(repr, unknown))}; expected any of: {', '.join(valid)}."
        )
    return tuple(metric for metric in valid if metric in names)


def _choice(param: str, value: str, valid: list[str]) -> str:
    chosen = value.strip()
    if chosen not in valid:
        raise InvalidQuery(param, f"Unknown {param} {chosen!r}; expected one of: {', '.join(valid)}.")
    return chosen


def parse_series_query(
    *, metrics: list[str], period: list[str], start: list[str], end: list[str], interval: list[str], compare: list[str],
    staff: list[str] = (),
) -> SeriesQuery:
    """The time-series query (docs/api.md) from the raw, possibly repeated, parameter values; InvalidQuery if bad."""
    series, periods, intervals = list(ALL_SERIES), list(Period.values), list(Interval.values)
    for param, values in (("metrics", metrics), ("period", period), ("interval", interval), ("compare", compare)):
        _check_raw(param, values)
    custom = parse_range(period=period, start=start, end=end)
    period, interval, compare = _present(period), _present(interval), _present(compare)
    chosen_staff = parse_staff(staff=list(staff))
    chosen_metrics = _single("metrics", [_metrics(v, series) for v in metrics]) if metrics else None
    if custom is not None:
        chosen_period = CUSTOM_PERIOD
    elif period:
        chosen_period = _single("period", [_period(v, periods) for v in period])
    else:
        chosen_period = DEFAULT_PERIOD.value
    if interval:
        chosen_interval = _single("interval", [_choice("interval", v, intervals) for v in interval])
    else:
        chosen_interval = _custom_interval(custom) if custom else DEFAULT_INTERVALS[Period(chosen_period)].value
    chosen_compare = _single("compare", [_choice("compare", v.lower(), BOOLEANS) for v in compare]) \
        if compare else "false"
    if chosen_compare == "true" and chosen_period == Period.ALL:
        raise InvalidQuery("compare", "`compare` needs a bounded period: `all` has no previous window.")
    return SeriesQuery(
        period=chosen_period, custom=custom, metrics=chosen_metrics, interval=chosen_interval,
        compare=chosen_compare == "true", staff=chosen_staff,
    )


PAGE_SIZES = [f"an integer from 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})"]
CURSORS = ["the `next` or `previous` cursor of an earlier page of the same query"]
MAX_CURSOR_LENGTH = 1000


def _window(*, period: list[str], start: list[str], end: list[str]) -> tuple[str, CustomRange | None]:
    """(period or "custom", the custom range) of an endpoint with one window."""
    periods = list(Period.values)
    _check_raw("period", period)
    custom = parse_range(period=period, start=start, end=end)
    if custom is not None:
        return CUSTOM_PERIOD, custom
    return (_single("period", [_period(v, periods) for v in period]) if period else DEFAULT_PERIOD.value), None


def _page_size(value: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise InvalidQuery("page_size", f"`page_size` must be an integer from 1 to {MAX_PAGE_SIZE}.")
    return int(text)


def parse_records_query(
    *, figure: list[str], period: list[str], start: list[str], end: list[str], staff: list[str],
    page_size: list[str], cursor: list[str],
) -> RecordsQuery:
    """The records query (docs/api.md, records) from the raw, possibly repeated, values; InvalidQuery if bad.

    The cursor is checked (signature, same query) when the page is read.
    """
    _check_raw("figure", figure)
    _check_raw("page_size", page_size)
    if any(len(value) > MAX_CURSOR_LENGTH or "\x00" in value for value in cursor):
        raise InvalidQuery("cursor", "`cursor` is not a cursor of this query.")
    if not figure:
        raise InvalidQuery("figure", f"`figure` is required: one of {', '.join(FIGURE_NAMES)}.")
    chosen = _single("figure", [_choice("figure", v, FIGURE_NAMES) for v in figure])
    chosen_period, custom = _window(period=period, start=start, end=end)
    given_sizes = [v for v in page_size if v.strip()]
    size = _single("page_size", [_page_size(v) for v in given_sizes]) if given_sizes else DEFAULT_PAGE_SIZE
    given_cursors = [v for v in cursor if v.strip()]
    chosen_cursor = _single("cursor", [v.strip() for v in given_cursors]) if given_cursors else None
    return RecordsQuery(
        figure=chosen, period=chosen_period, custom=custom, staff=parse_staff(staff=staff), page_size=size,
        cursor=chosen_cursor,
    )


def parse_staff_query(
    *, period: list[str], start: list[str], end: list[str], staff: list[str], ordering: list[str]
) -> dict:
    """The per-staff query (period or "custom", custom range, staff filter, ordering); InvalidQuery if bad."""
    _check_raw("ordering", ordering)
    chosen_period, custom = _window(period=period, start=start, end=end)
    given = [value for value in ordering if value.strip()]
    chosen = _single("ordering", [_choice("ordering", v, ORDERINGS) for v in given]) if given \
        else DEFAULT_ORDERING
    return {"period": chosen_period, "custom": custom, "staff": parse_staff(staff=staff), "ordering": chosen}
