"""Error answers: database unavailable (JSON 503), and CSRF failure (403), bad request (400) and server error (500)
as JSON on /api/ paths, Django's HTML elsewhere, each sent as config.signals.request_refused."""
import logging
import sys
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults

from config.signals import request_refused

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


API_PREFIX = "/api/"
# The 400s Django raises while reading the request, named for the client.
BAD_REQUEST_DETAILS = {
    TooManyFieldsSent: "Too many fields in the request (more than DATA_UPLOAD_MAX_NUMBER_FIELDS={fields}).",
    TooManyFilesSent: "Too many files in the request (more than DATA_UPLOAD_MAX_NUMBER_FILES={files}).",
    RequestDataTooBig: "The request body is too large (more than DATA_UPLOAD_MAX_MEMORY_SIZE={size} bytes).",
}


def send_request_refused(*, request: HttpRequest, status: int, reason: str) -> None:
    """request_refused to its receivers; one failing receiver is logged, never turned into another error."""
    for receiver, result in request_refused.send_robust(sender=None, request=request, status=status, reason=reason):
        if isinstance(result, Exception):
            logger.error("request_refused receiver %r failed", receiver, exc_info=result)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _api_error(request: HttpRequest, *, status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "request_id": getattr(request, "request_id", None)}, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: JSON 403 on /api/ paths (DRF's wording), Django's HTML page elsewhere."""
    send_request_refused(request=request, status=403, reason=reason)
    if _is_api(request):
        return _api_error(request, status=403, detail=f"CSRF Failed: {reason}")
    return csrf.csrf_failure(request, reason=reason)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400 (a SuspiciousOperation such as too many fields): JSON naming the problem on /api/ paths."""
    send_request_refused(request=request, status=400, reason=type(exception).__name__)
    if _is_api(request):
        detail = next(
            (text for kind, text in BAD_REQUEST_DETAILS.items() if isinstance(exception, kind)), "Bad request."
        )
        return _api_error(request, status=400, detail=detail.format(
            fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, files=settings.DATA_UPLOAD_MAX_NUMBER_FILES,
            size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        ))
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """handler500: a database failure raised outside a view (session, authentication middleware) is a 503 too;
    any other error a JSON 500 with the request id on /api/ paths, Django's HTML 500 elsewhere."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc=exc):
        log_database_unavailable(request=request, exc=exc)
        return database_unavailable_response()
    # The class name only: an exception's message may carry data that an audit row should not.
    send_request_refused(request=request, status=500, reason=type(exc).__name__ if exc else "unknown")
    if _is_api(request):
        return _api_error(request, status=500, detail="Internal server error.")
    return defaults.server_error(request, *args, **kwargs)
