"""Metric engines: each turns windows into exact totals (`totals.py`); `scan` reads raw rows and is the reference."""
from types import ModuleType


def select_engine(*, using: str) -> ModuleType:
    """The engine for a computation on `using` per OPS_METRICS_ENGINE; auto = rollup while the summaries are current."""
    from django.db import connections

    from ops_metrics import app_settings
    from ops_metrics.engines import rollup, scan
    from ops_metrics.rollup_selectors import rollups_current

    choice = app_settings.engine()
    if choice == "scan" or connections[using].vendor != "postgresql":  # no summaries elsewhere
        return scan
    if choice == "rollup":
        return rollup
    return rollup if rollups_current(using=using) else scan
