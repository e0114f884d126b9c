"""Which engine serves a computation: OPS_METRICS_ENGINE, and for `auto` whether the summaries are current."""
from django.db import connections

from ops_metrics import app_settings, telemetry
from ops_metrics.engines import rollup, scan
from ops_metrics.engines.base import Engine
from ops_metrics.rollups.state import rollups_current


def select_engine(*, using: str) -> Engine:
    """The engine for a computation on `using` per OPS_METRICS_ENGINE; auto = rollup while the summaries are current."""
    choice = app_settings.engine()
    if choice == "scan" or connections[using].vendor != "postgresql":  # no summaries to read
        return scan
    if choice == "rollup":
        return rollup
    return rollup if rollups_current(using=using) else scan


def engine_name(engine: Engine) -> str:
    """`scan` or `rollup`, for logs and metrics."""
    return engine.__name__.rsplit(".", 1)[1]


def observe_computation(*, kind: str, period: str, engine: Engine, seconds: float) -> None:
    """Count one computation's duration in the service's Prometheus histogram."""
    telemetry.COMPUTATION_SECONDS.labels(kind=kind, period=period, engine=engine_name(engine)).observe(seconds)
