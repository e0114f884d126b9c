"""The SLA targets of one priority and the clock they count in, as a pure value (loaded once, applied per row)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from complaints.business_time import AROUND_THE_CLOCK, Clock


@dataclass(frozen=True)
class SlaTargets:
    """Response and resolution targets in business time, and the clock that measures it."""

    response: timedelta
    resolution: timedelta
    clock: Clock = AROUND_THE_CLOCK

    def due_times(self, *, created_at: datetime) -> tuple[datetime, datetime]:
        """Response and resolution due times of a complaint created at `created_at`."""
        return self.clock.add(created_at, self.response), self.clock.add(created_at, self.resolution)

    def business_time(self, *, created_at: datetime, event_at: datetime | None) -> timedelta | None:
        """Business time from `created_at` to `event_at` (None when the event has not happened)."""
        return None if event_at is None else self.clock.between(created_at, event_at)

    def business_times(
        self, *, created_at: datetime, first_response_at: datetime | None, resolved_at: datetime | None
    ) -> tuple[timedelta | None, timedelta | None]:
        """(response business time, resolution business time) of a complaint; None for an event not yet recorded."""
        return (
            self.business_time(created_at=created_at, event_at=first_response_at),
            self.business_time(created_at=created_at, event_at=resolved_at),
        )
