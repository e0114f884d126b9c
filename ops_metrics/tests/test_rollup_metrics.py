"""The hand-built figure tests of test_metrics.py, run again with the rollup engine (same expected figures)."""
import pytest
from django.db import connection

from ops_metrics.tests.rollup_support import pin_database_clock
from ops_metrics.tests.test_metrics import (  # noqa: F401 (collected here again; `dataset` is their fixture)
    NOW,
    dataset,
    test_all_period_compares_months,
    test_cent_exact_sums_never_float,
    test_empty_database_gives_zeroes_and_nulls,
    test_month_period,
    test_only_requested_groups_in_canonical_order,
    test_today_on_dst_days_counts_from_local_midnight,
    test_today_period,
    test_week_and_month_counts_across_dst_in_new_york,
    test_week_payload_every_field,
)

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the summaries exist only on PostgreSQL")


@pytest.fixture(autouse=True)
def _database_clock(db) -> None:
    pin_database_clock(NOW)


@pytest.fixture(autouse=True)
def engine(settings) -> str:
    settings.OPS_METRICS_ENGINE = "rollup"
    return settings.OPS_METRICS_ENGINE
