"""Services: the one place dashboard figures are computed, and the audit trail written."""
from collections.abc import Sequence
from datetime import datetime


def dashboard_metrics(*, period: str, groups: Sequence[str], now: datetime | None = None) -> dict:
    """The SPEC §5 payload (before serialization) for `period` with the metric `groups` asked for."""
    raise NotImplementedError  # ENGINE: implemented by the metrics-engine work
