"""Prometheus: the protected scrape view (the service's own metrics are defined in ops_metrics.telemetry)."""
import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView

from ops_metrics.addresses import client_ip


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
