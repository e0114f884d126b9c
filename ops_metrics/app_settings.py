"""App settings, read at access time so tests and deployments can override them."""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# A computation that must not read the replica (it has not replayed what the figures must show) reads this alias.
_database_for_now: ContextVar[str | None] = ContextVar("ops_metrics_database", default=None)


def configured_metrics_database() -> str:
    """Database alias the metrics queries are configured to read from (a read replica, say)."""
    return getattr(settings, "OPS_METRICS_DATABASE", "default")


def metrics_database() -> str:
    """Database alias the metrics queries of this computation read from."""
    return _database_for_now.get() or configured_metrics_database()


@contextmanager
def reading_from(alias: str) -> Iterator[None]:
    """Within the block, the metrics queries read `alias`."""
    token = _database_for_now.set(alias)
    try:
        yield
    finally:
        _database_for_now.reset(token)


def currency() -> str:
    """ISO 4217 code reported beside revenue figures."""
    return getattr(settings, "OPS_METRICS_CURRENCY", "USD")


def cache_alias() -> str:
    """Django cache alias the metrics and the config are cached in."""
    return getattr(settings, "OPS_METRICS_CACHE", "default")


def trust_x_forwarded_for() -> bool:
    """Whether the audit log takes the client IP from X-Forwarded-For (only behind a proxy that sets it)."""
    return getattr(settings, "OPS_METRICS_TRUST_X_FORWARDED_FOR", False)


ENGINES = ("auto", "scan", "rollup")


def engine() -> str:
    """Which engine computes the figures: auto (rollup on PostgreSQL when the summaries are current), scan or rollup."""
    choice = getattr(settings, "OPS_METRICS_ENGINE", "auto")
    if choice not in ENGINES:
        raise ImproperlyConfigured(f"OPS_METRICS_ENGINE must be one of {', '.join(ENGINES)}, not {choice!r}.")
    return choice


def alerts_allow_http() -> bool:
    """Whether alert webhooks may use plain http (tests, a receiver on the same host); https only otherwise."""
    return getattr(settings, "OPS_ALERTS_ALLOW_HTTP", False)


def alerts_allow_private_networks() -> bool:
    """Whether alert webhooks may reach private, loopback, link-local or reserved addresses."""
    return getattr(settings, "OPS_ALERTS_ALLOW_PRIVATE_NETWORKS", False)


def alerts_base_url() -> str:
    """Scheme and host the `dashboard_url` of an alert starts with, e.g. https://ops.example.com ("" = a path)."""
    return getattr(settings, "OPS_ALERTS_BASE_URL", "").rstrip("/")
