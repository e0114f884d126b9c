"""Pytest fixtures over config.tests.topology: a real PostgreSQL primary + replica and a real Redis Sentinel set-up.

Loaded for the whole suite by the root conftest (pytest_plugins), so every app's tests can use them.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from unittest import mock

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings
from django_redis.pool import ConnectionFactory

from config.caches import sentinel_cache as sentinel_cache_entry
from config.tests.topology import PostgresTopology, RedisSentinelTopology, postgres_missing, redis_missing
from ops_metrics.cache.backend import forget_unreachable
from ops_metrics.cache.generations import discard_pending_invalidations

_LEFT_OUT = pytest.StashKey[list[str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the servers' binaries, leave out the tests that need them (one summary line says so per kind)."""
    left_out = []
    for fixture, reason in (("postgres_topology", postgres_missing()), ("redis_sentinel", redis_missing())):
        needing = [item for item in items if fixture in getattr(item, "fixturenames", ())]
        if reason and needing:
            config.hook.pytest_deselected(items=needing)
            items[:] = [item for item in items if item not in needing]
            left_out.append(f"{len(needing)} tests needing {fixture} left out: {reason}")
    config.stash[_LEFT_OUT] = left_out


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    for line in config.stash.get(_LEFT_OUT, []):
        terminalreporter.write_line(line, yellow=True, bold=True)


@pytest.fixture(scope="session")
def postgres_topology(django_db_blocker) -> Iterator[PostgresTopology]:
    """A PostgreSQL primary and a streaming replica on free ports, the project's migrations applied (once per run)."""
    reason = postgres_missing()
    if reason:
        pytest.skip(f"replica topology tests skipped: {reason}")
    topology = PostgresTopology.start()
    try:
        with django_db_blocker.unblock():
            original = connections["default"]
            # Migrated as `default`: data migrations that query without .using() (ops 0003) would read the real one.
            primary = type(original)(topology.database_settings(original.settings_dict), "default")
            connections["default"] = primary
            try:
                call_command("migrate", database="default", verbosity=0, interactive=False)
            finally:
                primary.close()
                connections["default"] = original
        # What the migrations wrote (groups, permissions, content types...): put back after each test.
        topology.take_snapshot()
        topology.wait_caught_up()
        yield topology
    finally:
        topology.stop()


@dataclasses.dataclass
class ReplicatedDatabases:
    """The aliases of a test on the topology: `default` is its primary, `replica` its streaming replica."""

    topology: PostgresTopology
    primary: str = "default"
    replica: str = "replica"


@pytest.fixture
def replicated_databases(db, postgres_topology: PostgresTopology) -> Iterator[ReplicatedDatabases]:
    """`default` on the topology's primary and `replica` on its replica (OPS_METRICS_DATABASE="replica") for one test.

    Writes commit for real (there is no test transaction on the primary), so the replica sees them once replayed.
    Afterwards the primary is put back to its migrated state (the topology's snapshot) and the replica caught up.
    """
    base = connections["default"].settings_dict
    original_default = connections["default"]
    saved_replica = connections.settings.get("replica")
    primary = type(original_default)(postgres_topology.database_settings(base), "default")
    connections["default"] = primary
    connections.settings["replica"] = postgres_topology.database_settings(base, replica=True)
    isolated = BaseDatabaseWrapper.ensure_connection

    def ensure_connection(self: BaseDatabaseWrapper) -> None:
        # pytest-django's test case refuses connections to aliases it was not set up with; this one is ours.
        if self.alias == "replica" and self.connection is None:
            with self.wrap_database_errors:
                self.connect()
        isolated(self)

    try:
        with (override_settings(OPS_METRICS_DATABASE="replica"),
              mock.patch.object(BaseDatabaseWrapper, "ensure_connection", ensure_connection)):
            yield ReplicatedDatabases(topology=postgres_topology)
    finally:
        postgres_topology.resume_replay()
        connections["replica"].close()
        del connections["replica"]
        primary.close()
        connections["default"] = original_default
        if saved_replica is None:
            del connections.settings["replica"]
        else:
            connections.settings["replica"] = saved_replica
        postgres_topology.restore_snapshot()
        postgres_topology.wait_caught_up()


@pytest.fixture
def redis_sentinel() -> Iterator[RedisSentinelTopology]:
    """A Redis master, its replica and one Sentinel (down after 1 s) on free ports; new for each test."""
    reason = redis_missing()
    if reason:
        pytest.skip(f"Sentinel tests skipped: {reason}")
    topology = RedisSentinelTopology.start()
    try:
        yield topology
    finally:
        topology.stop()


@pytest.fixture
def sentinel_cache(settings, redis_sentinel: RedisSentinelTopology) -> Iterator[RedisSentinelTopology]:
    """The default cache reaches `redis_sentinel`'s master through Sentinel, as REDIS_SENTINELS configures it."""
    options = settings.CACHES["default"].get("OPTIONS", {})
    entry = sentinel_cache_entry(
        service=redis_sentinel.service, db=0, sentinels=redis_sentinel.sentinels, key_prefix="ops",
        connect_timeout=options.get("SOCKET_CONNECT_TIMEOUT", 0.25), socket_timeout=options.get("SOCKET_TIMEOUT", 0.25),
    )
    forget_unreachable()
    with override_settings(CACHES={"default": entry}):
        try:
            yield redis_sentinel
        finally:
            caches["default"].close()
            # django-redis keeps pools for the life of the process, by URL: drop this topology's.
            for url in [url for url in ConnectionFactory._pools if redis_sentinel.service in url]:
                ConnectionFactory._pools.pop(url).disconnect()
            discard_pending_invalidations()
            forget_unreachable()
