"""Every alertable figure is a path to a number (or null) in the real metrics payload, on both engines."""
from datetime import UTC, datetime
from numbers import Number

import pytest

from ops_metrics.alerts.evaluation import figure_value
from ops_metrics.constants import ALL_GROUPS
from ops_metrics.models import ALERT_FIGURES
from ops_metrics.services.dashboard import cached_dashboard_metrics

pytestmark = pytest.mark.usefixtures("engine")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["today", "all"])
def test_every_alert_figure_resolves_to_a_number_in_the_payload(period):
    payload = cached_dashboard_metrics(period=period, groups=ALL_GROUPS, now=NOW).payload

    for figure in ALERT_FIGURES:
        raw = payload
        for part in figure.split("."):
            raw = raw[part]
        assert raw is None or isinstance(raw, Number | str), figure
        figure_value(payload, figure)  # never raises


def test_the_figures_cover_the_records_counts_and_the_extra_ones():
    assert {"sla.breached", "sla.at_risk", "complaints.unresolved", "bookings.total",
            "sla.by_priority.critical.breached", "sla.compliance_rate", "bookings.growth_rate",
            "revenue.total"} <= set(ALERT_FIGURES)
    assert "realtime.staff_workload" not in ALERT_FIGURES
