"""Login protection (django-axes) for the two login pages: lockout per account and per client address."""
import ipaddress
from collections.abc import Callable

from axes.decorators import axes_dispatch
from django.conf import settings
from django.http import HttpRequest, HttpResponse


def client_ip(request: HttpRequest) -> str | None:
    """The address a lockout is counted against: as the audit log records it (REMOTE_ADDR, or the last
    X-Forwarded-For entry when OPS_METRICS_TRUST_X_FORWARDED_FOR is on), so one proxy is not one client."""
    candidate = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.OPS_METRICS_TRUST_X_FORWARDED_FOR and forwarded:
        candidate = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate)).partition("%")[0]
    except ValueError:
        return None


def login_protected(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A login view that answers the lockout response (429) while the account or address is locked out.

    Failures are counted by axes' user_login_failed receiver. Axes' authentication backend is left out on
    purpose: ops_metrics resolves permissions in one query only while ModelBackend is the sole backend.
    """
    return axes_dispatch(view)
