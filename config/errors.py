"""Database unavailable or timed out: a fast JSON 503 with Retry-After, never Django's HTML 500."""
import logging
import sys
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

logger = logging.getLogger(__name__)

# OperationalError covers refused or lost connections, connect_timeout, statement_timeout (57014) and
# lock_timeout (55P03); InterfaceError a connection already closed.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
TRACEBACK_INTERVAL_SECONDS = 60.0

_last_traceback_at: dict[str, float] = {}
_last_traceback_lock = threading.Lock()


def is_database_unavailable(*, exc: BaseException | None) -> bool:
    """Whether an exception means the database could not answer (rather than a bug)."""
    return isinstance(exc, DATABASE_UNAVAILABLE_ERRORS)


def log_database_unavailable(*, request: HttpRequest, exc: BaseException) -> None:
    """One traceback per error type and interval, one line otherwise: an outage must not flood the logs."""
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
    now = time.monotonic()
    with _last_traceback_lock:
        with_traceback = now - _last_traceback_at.get(kind, float("-inf")) >= TRACEBACK_INTERVAL_SECONDS
        if with_traceback:
            _last_traceback_at[kind] = now
    message = str(exc).strip()
    logger.warning(
        "Database unavailable, answering 503 on %s: %s",
        request.path,
        message.splitlines()[0] if message else kind,
        exc_info=exc if with_traceback else None,
    )


class SkipDatabaseUnavailableFilter(logging.Filter):
    """On django.request: drops Django's own traceback of a request answered 503 here (logged once above)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and is_database_unavailable(exc=record.exc_info[1]))


def database_unavailable_response() -> JsonResponse:
    """The 503 answered while the database cannot be reached or timed out."""
    response = JsonResponse(
        {"detail": "The service is temporarily unavailable: the database did not answer. Retry later."}, status=503
    )
    response["Retry-After"] = str(settings.DATABASE_UNAVAILABLE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database failure raised by a view into the JSON 503 (before Django logs it as a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exc=exception):
            return None
        log_database_unavailable(request=request, exc=exception)
        return database_unavailable_response()


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """handler500: a database failure raised outside a view (session, authentication middleware) is a 503 too."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc=exc):
        log_database_unavailable(request=request, exc=exc)
        return database_unavailable_response()
    return defaults.server_error(request, *args, **kwargs)
