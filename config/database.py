"""Bounded database waits: connect timeout for every connection, statement and lock timeouts for web requests."""
from django.conf import settings
from django.db import connections


def request_timeout_options(*, statement_timeout_ms: int, lock_timeout_ms: int) -> str:
    """The libpq `options` string that sets the per-session timeouts of a request connection (0 = none)."""
    return f"-c statement_timeout={statement_timeout_ms} -c lock_timeout={lock_timeout_ms}"


def apply_request_timeouts() -> None:
    """Give every PostgreSQL connection opened from now on in this process the request timeouts.

    Called by the web entry points (config/wsgi.py, config/asgi.py) only, so management commands
    (migrate, seed_demo, ops_rollups, shell...) started through manage.py never get them.
    """
    timeouts = settings.DATABASE_REQUEST_TIMEOUTS
    options = request_timeout_options(
        statement_timeout_ms=timeouts["statement_timeout_ms"], lock_timeout_ms=timeouts["lock_timeout_ms"]
    )
    for alias in connections:
        if connections[alias].vendor != "postgresql":
            continue
        database = connections.settings[alias]
        database_options = database.setdefault("OPTIONS", {})
        existing = database_options.get("options", "")
        if options not in existing:
            database_options["options"] = f"{existing} {options}".strip()
