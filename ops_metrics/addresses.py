"""Client addresses as the audit log and the login lockout count them."""
import ipaddress

from django.http import HttpRequest

from ops_metrics import app_settings


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address the trusted proxy appended to X-Forwarded-For when so configured.

    Not django-ipware: its proxy count wants the proxy's own address in the header too, and it keeps IPv6 zone ids,
    which PostgreSQL's inet refuses (docs/decisions.md).
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if app_settings.trust_x_forwarded_for() and forwarded:
        # The last entry is the one our proxy wrote; earlier ones are whatever the client sent.
        candidate = forwarded.rsplit(",", 1)[-1].strip()
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    # Django only drops the zone index ("fe80::1%eth0") from short addresses.
    return str(address).partition("%")[0]
