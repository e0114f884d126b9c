"""Rate limiting of the metrics endpoint."""
import logging
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from ops_metrics.cache_access import CacheUnavailable, cache_call

logger = logging.getLogger(__name__)


class _ThrottleCache:
    """DRF's throttle cache (the default alias) through `cache_call`, so the metrics cache's backoff applies.

    Through django-redis with IGNORE_EXCEPTIONS, a down server would read as "no history" after a socket
    timeout on every request; here it raises CacheUnavailable, at once while the server is known to be down.
    """

    def get(self, key: str, default: Any = None) -> Any:
        return cache_call("get", key, default, alias=DEFAULT_CACHE_ALIAS)

    def set(self, key: str, value: Any, timeout: int) -> None:
        cache_call("set", key, value, timeout, alias=DEFAULT_CACHE_ALIAS)


class OpsMetricsThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that reads its rate from settings on each request and fails open if its cache is down."""

    cache = _ThrottleCache()

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No DEFAULT_THROTTLE_RATES entry for scope {self.scope!r}.") from exc

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CacheUnavailable:
            # Refusing everyone because the counter is unreachable would take the dashboard down with Redis.
            logger.warning("throttle cache unreachable: request allowed unthrottled", exc_info=True)
            return True
