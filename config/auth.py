"""Login protection (django-axes) for the two login pages: lockout per account and per client address."""
from collections.abc import Callable

from axes.decorators import axes_dispatch
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.http import HttpRequest, HttpResponse
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from config.errors import send_request_refused


def login_protected(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A login view that answers the lockout response (429) while the account or address is locked out.

    Failures are counted by axes' user_login_failed receiver. Axes' authentication backend is left out on
    purpose: ops_metrics resolves permissions in one query only while ModelBackend is the sole backend.
    """
    return axes_dispatch(view)


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler whose reset on a successful login clears that account's failures from that address only.

    Axes resets every lockout parameter on success: with ["username", "ip_address"] a login of any account cleared all
    failures counted against its address, so an attacker's own logins between guesses kept a victim from locking.
    """

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication; a CSRF failure also sends request_refused (status 403), as CSRF_FAILURE_VIEW does
    for the views outside DRF (DRF's views are exempt from Django's check and run their own)."""

    def enforce_csrf(self, request: Request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            reason = str(exc.detail).removeprefix("CSRF Failed: ")
            send_request_refused(request=request._request, status=403, reason=reason)
            raise


class SessionAuthenticationScheme(SessionScheme):
    """The OpenAPI security scheme of SessionAuthentication above: DRF's session cookie (cookieAuth), as before."""

    target_class = "config.auth.SessionAuthentication"
