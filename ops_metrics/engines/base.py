"""What an engine provides: the scan and rollup modules both satisfy Engine, field for field the same answers."""
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from ops_metrics.engines.totals import BookingTotals, ComplaintSeries, ComplaintTotals, StaffTally, StatusTally
from ops_metrics.windows.periods import Window
from ops_metrics.windows.ranges import StaffFilter


@runtime_checkable
class Engine(Protocol):
    """An engine module: totals per window, series per bucket and the staff workload, computed from one database."""

    __name__: str  # the module's: engine_name() reports its last part

    def booking_totals(
        self, *, windows: Mapping[str, Window], amounts: bool, backlog: bool, using: str, staff: StaffFilter | None = None
    ) -> BookingTotals:
        ...

    def complaint_totals(
        self,
        *,
        created: Mapping[str, Window],
        resolved_in: Window | None,
        responded_in: Window | None,
        sla_at: tuple[datetime, datetime] | None,
        backlog: bool,
        using: str,
        staff: StaffFilter | None = None,
    ) -> ComplaintTotals:
        ...

    def booking_series(
        self, *, bounds: Sequence[datetime], amounts: bool, using: str, staff: StaffFilter | None = None
    ) -> list[dict[str, StatusTally]]:
        ...

    def complaint_series(
        self, *, bounds: Sequence[datetime], sla_at: tuple[datetime, datetime] | None, using: str,
        staff: StaffFilter | None = None,
    ) -> ComplaintSeries:
        ...

    def staff_workload(self, *, using: str, staff: StaffFilter | None = None) -> list[dict]:
        ...

    def staff_totals(
        self, *, window: Window, sla_at: tuple[datetime, datetime], amounts: bool, using: str,
        staff: StaffFilter | None = None,
    ) -> dict[int | None, StaffTally]:
        ...
