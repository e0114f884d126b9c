"""Shared fixtures: clean caches, a frozen clock, the config row, users and API clients per role; browser tests need Chromium."""
import importlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ops_metrics.cache.backend import forget_unreachable
from ops_metrics.cache.generations import discard_pending_invalidations, postpone_recorded_check
from ops_metrics.constants import ADMINS_GROUP, READERS_GROUP
from ops_metrics.models import OpsConfig
from staff.factories import UserFactory

# The real PostgreSQL replica and Redis Sentinel fixtures (postgres_topology, replicated_databases, redis_sentinel...).
pytest_plugins = ["config.tests.topology_fixtures"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs about a second per user; the tests are not about it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_caches():
    """Every test starts with empty caches (the test Redis database is flushed) that are taken to be reachable."""
    forget_unreachable()
    discard_pending_invalidations()
    postpone_recorded_check()  # a test's query counts do not include the periodic look at recorded invalidations
    for cache in caches.all():
        cache.clear()
    yield
    forget_unreachable()
    discard_pending_invalidations()
    for cache in caches.all():
        cache.clear()


FROZEN_NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # a Thursday


@pytest.fixture
def frozen():
    """The clock stopped at Thursday 2026-11-26 10:30 UTC."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield FROZEN_NOW


@pytest.fixture
def configure(db) -> Callable[..., OpsConfig]:
    """Set fields of the OpsConfig row directly and drop every cached copy (a test transaction never commits)."""

    def update(**fields) -> OpsConfig:
        config, _ = OpsConfig.objects.update_or_create(pk=OpsConfig.SINGLETON_PK, defaults=fields)
        for cache in caches.all():
            cache.clear()
        return config

    return update


def _ops_group(name: str) -> Group:
    """The group the data migration creates; created as it does after a transactional test flushed the tables."""
    if not Group.objects.filter(name=name).exists():
        migration = importlib.import_module("ops_metrics.migrations.0002_ops_groups")
        migration.create_groups(django_apps, SimpleNamespace(connection=connection))
    return Group.objects.get(name=name)


def _user_in(group_name: str | None, username: str):
    user = UserFactory(username=username)
    if group_name:
        user.groups.add(_ops_group(group_name))
    return user


@pytest.fixture
def admin_user(db):
    """A member of "Ops admins" (ops.read and ops.admin)."""
    return _user_in(ADMINS_GROUP, "ops_admin_user")


@pytest.fixture
def reader_user(db):
    """A member of "Ops readers" (ops.read only)."""
    return _user_in(READERS_GROUP, "ops_reader_user")


@pytest.fixture
def plain_user(db):
    """An authenticated user with no ops permission."""
    return _user_in(None, "plain_user")


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def admin_client_api(admin_user) -> APIClient:
    """Token-authenticated client of an ops admin."""
    return _token_client(admin_user)


@pytest.fixture
def reader_client_api(reader_user) -> APIClient:
    """Token-authenticated client of an ops reader."""
    return _token_client(reader_user)


@pytest.fixture
def plain_client_api(plain_user) -> APIClient:
    """Token-authenticated client of a user without ops permissions."""
    return _token_client(plain_user)


@pytest.fixture
def anonymous_client_api() -> APIClient:
    """A client with no credentials."""
    return APIClient()


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BROWSER_SKIP = (
    f"browser tests skipped: {CHROMIUM} or {CHROMEDRIVER} not found; "
    "install them with `apt-get install -y chromium chromium-driver`"
)

_BROWSER_SKIPPED = pytest.StashKey[int]()


def _browser_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def pytest_collection_modifyitems(config, items) -> None:
    """Without Debian's chromium and chromium-driver, leave out the `browser` tests (one line says so)."""
    if _browser_available():
        return
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if not item.get_closest_marker("browser")]
        config.stash[_BROWSER_SKIPPED] = len(browser)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    skipped = config.stash.get(_BROWSER_SKIPPED, 0)
    if skipped:
        terminalreporter.write_line(f"{skipped} {BROWSER_SKIP}", yellow=True, bold=True)
