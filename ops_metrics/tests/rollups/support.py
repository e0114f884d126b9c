"""Helpers shared by the rollup tests: both engines' payloads, side by side."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import override_settings

from ops_metrics.constants import ALL_GROUPS, Period
from ops_metrics.engines import rollup, scan
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics
from ops_metrics.windows.periods import windows_for
from ops_metrics.windows.ranges import StaffFilter

PERIODS = tuple(Period.values)


def payloads(
    *, now: datetime, timezone: str, buffer_minutes: int = 60, staff: StaffFilter | None = None
) -> dict[str, dict[str, dict]]:
    """engine → period → dashboard_metrics payload with every group (for the work of `staff`, when given)."""
    config = OpsConfig(timezone=timezone, sla_at_risk_buffer_minutes=buffer_minutes)
    result = {}
    for engine in ("scan", "rollup"):
        with override_settings(OPS_METRICS_ENGINE=engine):
            result[engine] = {
                period: dashboard_metrics(period=period, groups=ALL_GROUPS, config=config, now=now, staff=staff)
                for period in PERIODS
            }
    return result


def assert_engines_agree(
    *, now: datetime, timezone: str, buffer_minutes: int = 60, staff: StaffFilter | None = None
) -> None:
    """Rollup equals scan field for field, for every period."""
    computed = payloads(now=now, timezone=timezone, buffer_minutes=buffer_minutes, staff=staff)
    for period in PERIODS:
        scan, rollup = computed["scan"][period], computed["rollup"][period]
        for key in scan:
            assert rollup[key] == scan[key], f"{period} {key} at {now} in {timezone} for {staff}"


def assert_staff_totals_agree(*, now: datetime, timezone: str, staff: StaffFilter | None = None) -> None:
    """Each staff member's tallies (the per-staff table's) are the same on both engines, for every period."""
    tz = ZoneInfo(timezone)
    for period in PERIODS:
        window = windows_for(period=period, custom=None, now=now, tz=tz).period
        computed = [
            engine.staff_totals(window=window, sla_at=(now, now + timedelta(hours=1)), amounts=True, staff=staff,
                                using="default")
            for engine in (scan, rollup)
        ]
        assert computed[1] == computed[0], f"{period} at {now} in {timezone} for {staff}"


def pin_database_clock(at: datetime) -> None:
    """Make the summaries' idea of now (which 15-minute buckets are kept) `at`, for this connection's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('ops_rollup.now', %s, false)", [at.isoformat()])


def unpin_database_clock() -> None:
    """Give the summaries the database's own now() again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('ops_rollup.now', '', false)")
