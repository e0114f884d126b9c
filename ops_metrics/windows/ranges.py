"""Value types of a query the computation serves: a custom range, a time-series query, and why one cannot be served."""
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


@dataclass(frozen=True)
class SeriesQuery:
    """A valid time-series query: the period (or "custom" with the range), metrics, interval and comparison."""

    period: str
    custom: CustomRange | None
    metrics: tuple[str, ...] | None  # None: every metric the user may see
    interval: str
    compare: bool
