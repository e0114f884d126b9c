"""Rate limiting of the metrics endpoint."""
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class OpsMetricsThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that reads its rate from settings on each request, not once at import."""

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No DEFAULT_THROTTLE_RATES entry for scope {self.scope!r}.") from exc
