"""Time series from the summaries equal the scan engine's over a random history, in four zones and eight queries."""
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.constants import ALL_SERIES
from ops_metrics.models import OpsConfig
from ops_metrics.reports.timeseries import timeseries
from ops_metrics.tests.rollups.support import pin_database_clock
from ops_metrics.web.params import parse_series_query

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the summaries exist only on PostgreSQL"),
]


def _random_history(*, seed: int, now: datetime) -> None:
    """Bookings and complaints spread over the 100 days before `now` (partly beyond the 70-day 15-minute grid)."""
    rng = random.Random(seed)

    def moment() -> datetime:
        return now - timedelta(seconds=rng.randrange(100 * 86400))

    recent = [now - timedelta(seconds=rng.randrange(3 * 3600)) for _ in range(6)]  # today in every zone tested
    for created in [moment() for _ in range(60)] + recent:
        BookingFactory(status=rng.choice(BookingStatus.values), created_at=created,
                       total_amount=Decimal(rng.randrange(0, 50_000)) / 100)
    for _ in range(40):
        created = moment()
        responded = created + timedelta(minutes=rng.randrange(5, 600)) if rng.random() < 0.7 else None
        resolved = created + timedelta(hours=rng.randrange(1, 90)) if rng.random() < 0.6 else None
        ComplaintFactory(
            priority=rng.choice(ComplaintPriority.values),
            status=ComplaintStatus.RESOLVED if resolved else rng.choice(["open", "in_progress", "escalated"]),
            created_at=created, first_response_at=responded if responded and responded < now else None,
            resolved_at=resolved if resolved and resolved < now else None,
            response_due_at=created + timedelta(hours=rng.choice([1, 4, 8, 24])),
            resolution_due_at=created + timedelta(hours=rng.choice([4, 24, 48, 72])),
        )
    for minutes in (20, 50):  # resolved without a response that is not due yet: compliant until it falls due
        created = now - timedelta(minutes=minutes)
        ComplaintFactory(status=ComplaintStatus.RESOLVED, created_at=created, resolved_at=created + timedelta(minutes=10),
                         response_due_at=now + timedelta(hours=3), resolution_due_at=now + timedelta(hours=8))


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"])
@pytest.mark.parametrize(
    "params",
    [{"period": "today"}, {"period": "week", "compare": "true"}, {"period": "month", "compare": "true"},
     {"period": "all"}, {"period": "month", "interval": "hour"}, {"period": "all", "interval": "week"},
     {"start": "2026-08-10", "end": "2026-11-17", "interval": "day", "compare": "true"},
     {"start": "2026-08-10T05:07:00+00:00", "end": "2026-11-20T13:01:00+00:00", "interval": "week"}],
)
def test_rollup_series_equal_scan_series(settings, tz, params):
    now = datetime(2026, 11, 20, 13, 37, 12, 345678, tzinfo=UTC)
    pin_database_clock(now)
    _random_history(seed=7, now=now)
    config = OpsConfig(timezone=tz, sla_at_risk_buffer_minutes=60)
    query = parse_series_query(
        metrics=[], period=[params["period"]] if "period" in params else [],
        start=[params["start"]] if "start" in params else [], end=[params["end"]] if "end" in params else [],
        interval=[params["interval"]] if "interval" in params else [],
        compare=[params["compare"]] if "compare" in params else [],
    )

    computed = {}
    for engine in ("scan", "rollup"):
        settings.OPS_METRICS_ENGINE = engine
        computed[engine] = timeseries(query=query, metrics=list(ALL_SERIES), config=config, now=now)

    assert computed["rollup"] == computed["scan"]
    assert sum(computed["scan"]["series"]["bookings_created"]) > 0
