"""Signals the project sends for the apps to act on (the ops app audits refused requests)."""
from django.dispatch import Signal

# A request the project refused or failed, sent by config.errors and config.auth with keyword arguments `request`
# (the Django HttpRequest), `status` (403 CSRF failure, 400 bad request, 500 server error) and `reason` (short text:
# Django's CSRF reason, or the exception's class name). Receivers must not raise: failures are logged and ignored.
request_refused = Signal()
