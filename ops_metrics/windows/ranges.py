"""Value types of a query the computation serves: a custom range, a staff filter, a time-series query, and why one
cannot be served."""
from dataclasses import dataclass
from datetime import date, datetime


class InvalidQuery(ValueError):
    """A query parameter that cannot be served, and why."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True)
class CustomRange:
    """A custom window [start, end) as given: two local dates, or two timestamps with an offset."""

    start: date | datetime
    end: date | datetime

    @property
    def by_days(self) -> bool:
        """Whether the range is given in local dates (its comparison is then counted in local days)."""
        return not isinstance(self.start, datetime)


STAFF_NONE = "none"


@dataclass(frozen=True)
class StaffFilter:
    """Work assigned to these staff members (`ids`), and/or unassigned work (`unassigned`): the `staff` parameter."""

    ids: frozenset[int]
    unassigned: bool = False

    def text(self) -> str:
        """The canonical spelling, for keys, cursors and the audit: ascending ids, then `none`."""
        return ",".join([*map(str, sorted(self.ids)), *([STAFF_NONE] if self.unassigned else [])])


def staff_text(staff: StaffFilter | None) -> str:
    """A staff filter in a key or the audit ("" when there is none)."""
    return "" if staff is None else staff.text()


@dataclass(frozen=True)
class SeriesQuery:
    """A valid time-series query: the period (or "custom" with the range), metrics, interval, comparison, staff."""

    period: str
    custom: CustomRange | None
    metrics: tuple[str, ...] | None  # None: every metric the user may see
    interval: str
    compare: bool
    staff: StaffFilter | None = None
