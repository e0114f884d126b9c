"""Fixtures of the deployment tests: database connections that cannot answer, request timeouts switched on."""
import socket
from collections.abc import Callable, Iterator

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.database import apply_request_timeouts
from staff.factories import UserFactory


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local TCP port that accepts connections but never answers (a hung database host)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def _swap_default_connection(*, port: int, connect_timeout: int) -> Iterator[None]:
    original = connections["default"]
    settings_dict = {**original.settings_dict, "PORT": port, "CONN_MAX_AGE": 0}
    settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "connect_timeout": connect_timeout}
    unreachable = type(original)(settings_dict, "default")
    connections["default"] = unreachable
    try:
        yield
    finally:
        unreachable.close()
        connections["default"] = original


@pytest.fixture
def database_refusing(db, closed_port: int) -> Iterator[None]:
    """The request thread's default connection points at a closed port (the test database stays set up)."""
    yield from _swap_default_connection(port=closed_port, connect_timeout=1)


@pytest.fixture
def database_hanging(db, silent_port: int) -> Iterator[None]:
    """The request thread's default connection points at a host that never answers; connect timeout 1 s."""
    yield from _swap_default_connection(port=silent_port, connect_timeout=1)


@pytest.fixture
def request_timeouts(transactional_db, settings) -> Iterator[Callable[..., None]]:
    """Reopens the default connection as the web server opens it, with the given timeouts (default 1.5 s, 0.5 s)."""
    database = connections.settings["default"]
    saved_options = dict(database.get("OPTIONS", {}))

    def reopen(*, statement_timeout_ms: int, lock_timeout_ms: int) -> None:
        connections["default"].close()
        database["OPTIONS"] = dict(saved_options)
        settings.DATABASE_REQUEST_TIMEOUTS = {
            "statement_timeout_ms": statement_timeout_ms, "lock_timeout_ms": lock_timeout_ms
        }
        apply_request_timeouts()

    reopen(statement_timeout_ms=1500, lock_timeout_ms=500)
    yield reopen
    connections["default"].close()
    database["OPTIONS"] = saved_options


@pytest.fixture
def superuser_client_api(db) -> APIClient:
    """Token client of a superuser (needs no group, so it also works after a transactional test's flush)."""
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client
