"""What an engine returns: exact counts, amounts and summed durations per window, before any figure is shaped."""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class StatusTally:
    """Bookings of one status created in one window: how many, and their summed `total_amount` (exact)."""

    count: int
    amount: Decimal


@dataclass(frozen=True)
class EventTally:
    """Complaints whose event (resolution or first response) falls in a window, with (event − created_at) summed.

    business_count / business_microseconds: of those, the ones whose stored business time to the event is not NULL,
    and that business time summed (docs/architecture.md, business-hour averages).
    """

    count: int
    duration_microseconds: int
    business_count: int
    business_microseconds: int


@dataclass(frozen=True)
class BookingTotals:
    """Booking tallies per window name and status (every status present), and the open backlog per status."""

    created: Mapping[str, Mapping[str, StatusTally]]
    backlog: Mapping[str, int]


@dataclass(frozen=True)
class ComplaintTotals:
    """Complaint tallies for one computation.

    created: window name → (priority, status) → count, every pair present.
    resolved / responded: the event window's tallies (None when not asked for).
    compliant: of the resolved ones, how many have no breached SLA target at `now` (None when not asked for).
    backlog: (priority, status, SlaState or None) → count of unresolved complaints now (state None when not asked).
    """

    created: Mapping[str, Mapping[tuple[str, str], int]]
    resolved: EventTally | None
    responded: EventTally | None
    compliant: int | None
    backlog: Mapping[tuple[str, str, int | None], int]


@dataclass(frozen=True)
class ComplaintSeries:
    """Complaint tallies per bucket (position i: [bounds[i], bounds[i+1])), each list one entry per bucket.

    created: complaints created in the bucket. resolved / responded: complaints resolved / first responded to in the
    bucket, with (event − created_at) summed. compliant: of those resolved in the bucket, how many have no breached
    SLA target at `now` (all zero when SLA states were not asked for).
    """

    created: Sequence[int]
    resolved: Sequence[EventTally]
    responded: Sequence[EventTally]
    compliant: Sequence[int]


NO_EVENTS = EventTally(count=0, duration_microseconds=0, business_count=0, business_microseconds=0)


@dataclass(frozen=True)
class StaffTally:
    """One staff member's work, or the unassigned work: tallies in a window and the open work now.

    bookings / complaints: created in the window; bookings_completed: of those, completed; revenue: the amounts of
    those in a revenue status; resolved / responded: complaints resolved / first responded to in the window, compliant:
    of the resolved ones, how many have no breached target now; open_* / at_risk / breached: the open work now.
    """

    bookings: int = 0
    bookings_completed: int = 0
    revenue: Decimal = Decimal(0)
    open_bookings: int = 0
    complaints: int = 0
    resolved: EventTally = NO_EVENTS
    compliant: int = 0
    responded: EventTally = NO_EVENTS
    at_risk: int = 0
    breached: int = 0
    open_complaints: int = 0

    @property
    def counted(self) -> bool:
        """Whether any work is counted for it (an inactive staff member gets a row only then)."""
        return any((self.bookings, self.open_bookings, self.complaints, self.resolved.count, self.responded.count,
                    self.open_complaints))
