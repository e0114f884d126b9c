"""Request ids and one log line per request; JSON lines when LOG_FORMAT=json. Never query strings or headers."""
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept when it is short and plain (it ends up in logs and headers); anything else is replaced.
_ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# Django passes the request object to its own log calls: rendered, it would include the query string.
_NEVER_LOGGED = ("request",)

request_logger = logging.getLogger("config.requests")
_current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def _user_id(request: HttpRequest) -> int | str | None:
    user = getattr(request, "user", None)
    # An authenticated user not looked up yet stays unknown: logging must not query the database.
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id and path (never the query string) of the current request to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django's own request logs (django.request) pass the request; some are written after the middleware ran.
        request = getattr(record, "request", None) or _current_request.get()
        for name, value in (
            ("request_id", getattr(request, "request_id", None)),
            ("user_id", _user_id(request) if request is not None else None),
            ("path", request.path if request is not None else None),
        ):
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


def json_formatter() -> JsonFormatter:
    """One JSON object per line: timestamp, level, logger, message and the record's extra fields."""
    return JsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,
        reserved_attrs=[*RESERVED_ATTRS, *_NEVER_LOGGED],
    )


def text_formatter() -> logging.Formatter:
    """The human-readable format (the default)."""
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def build_logging(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: console output, as JSON lines or text; one INFO line per request in JSON mode."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_context": {"()": RequestContextFilter},
            "skip_database_unavailable": {"()": "config.errors.SkipDatabaseUnavailableFilter"},
        },
        "formatters": {"json": {"()": json_formatter}, "text": {"()": text_formatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "text",
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # In JSON mode the request lines are the access log (status, duration, user), whatever LOG_LEVEL says.
        "loggers": {
            request_logger.name: {"level": "INFO" if log_format == "json" else level},
            "django.request": {"filters": ["skip_database_unavailable"]},
        },
    }


def _request_id(request: HttpRequest) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if _ACCEPTED_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


class RequestLogMiddleware:
    """Outermost: gives the request an id (echoed in X-Request-ID) and logs method, path, status, duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = _request_id(request)
        token = _current_request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _current_request.reset(token)
