"""Helpers shared by the rollup tests: both engines' payloads, side by side."""
from datetime import datetime

from django.db import connection
from django.test import override_settings

from ops_metrics.constants import ALL_GROUPS, Period
from ops_metrics.models import OpsConfig
from ops_metrics.reports.dashboard import dashboard_metrics

PERIODS = tuple(Period.values)


def payloads(*, now: datetime, timezone: str, buffer_minutes: int = 60) -> dict[str, dict[str, dict]]:
    """engine → period → dashboard_metrics payload with every group."""
    config = OpsConfig(timezone=timezone, sla_at_risk_buffer_minutes=buffer_minutes)
    result = {}
    for engine in ("scan", "rollup"):
        with override_settings(OPS_METRICS_ENGINE=engine):
            result[engine] = {
                period: dashboard_metrics(period=period, groups=ALL_GROUPS, config=config, now=now)
                for period in PERIODS
            }
    return result


def assert_engines_agree(*, now: datetime, timezone: str, buffer_minutes: int = 60) -> None:
    """Rollup equals scan field for field, for every period."""
    computed = payloads(now=now, timezone=timezone, buffer_minutes=buffer_minutes)
    for period in PERIODS:
        scan, rollup = computed["scan"][period], computed["rollup"][period]
        for key in scan:
            assert rollup[key] == scan[key], f"{period} {key} at {now} in {timezone}"


def pin_database_clock(at: datetime) -> None:
    """Make the summaries' idea of now (which 15-minute buckets are kept) `at`, for this connection's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('ops_rollup.now', %s, false)", [at.isoformat()])


def unpin_database_clock() -> None:
    """Give the summaries the database's own now() again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('ops_rollup.now', '', false)")
