"""Prometheus: the service's own metrics (defined here, counted by ops_metrics) and the protected scrape view."""
import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter, Histogram

from config.auth import client_ip

CACHE_HITS = Counter("ops_metrics_cache_hits_total", "Metrics requests answered from the cache.", ["period"])
CACHE_MISSES = Counter("ops_metrics_cache_misses_total", "Metrics requests that had to compute.", ["period"])
CACHE_STALE_SERVES = Counter(
    "ops_metrics_cache_stale_serves_total", "Stale cached figures served while a recomputation ran.", ["period"]
)
COMPUTATION_SECONDS = Histogram(
    "ops_metrics_computation_seconds",
    "Seconds spent computing the dashboard metrics.",
    ["period", "engine"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CACHE_INVALIDATIONS = Counter("ops_metrics_cache_invalidations_total", "Metrics cache generations bumped.")
CACHE_INVALIDATION_FAILURES = Counter(
    "ops_metrics_cache_invalidation_failures_total", "Invalidations that could not reach the cache."
)
AUDIT_WRITE_FAILURES = Counter("ops_metrics_audit_write_failures_total", "Audit rows that could not be written.")


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def scrape_allowed(*, request: HttpRequest) -> bool:
    """Both configured conditions hold: the bearer token matches, the client address is in an allowed network."""
    token = settings.PROMETHEUS_TOKEN
    if token and not hmac.compare_digest(_bearer_token(request).encode(), token.encode()):
        return False
    networks = settings.PROMETHEUS_ALLOWED_NETWORKS
    if networks:
        address = client_ip(request)
        if address is None:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)
    return True


@never_cache
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text exposition; 404 unless PROMETHEUS_TOKEN or PROMETHEUS_ALLOWED_NETWORKS is set, else 403."""
    if not settings.PROMETHEUS_TOKEN and not settings.PROMETHEUS_ALLOWED_NETWORKS:
        raise Http404("Prometheus metrics are not enabled.")
    if not scrape_allowed(request=request):
        return HttpResponse("Forbidden.\n", status=403, content_type="text/plain")
    return ExportToDjangoView(request)
