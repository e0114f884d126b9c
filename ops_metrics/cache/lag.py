"""Lag safety of a read replica: each generation move records the primary's WAL position, and a payload is computed on
the replica only once it has replayed that far (else on the primary), so no figure older than its tag is cached."""
import logging
import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from ops_metrics import app_settings, telemetry
from ops_metrics.cache.backend import cache_key, cache_max

logger = logging.getLogger("ops_metrics.cache")

WAL_KEY = cache_key("wal")
# How long a computation waits for the replica to replay the recorded position before it reads the primary instead.
REPLAY_WAIT_SECONDS = 0.2
REPLAY_POLL_SECONDS = 0.02


def replica_in_use() -> bool:
    """Whether the metrics read another database than the one writes go to."""
    return app_settings.configured_metrics_database() != DEFAULT_DB_ALIAS


def record_wal_position(*, force: bool) -> None:
    """Keep the primary's current WAL position (the largest ever seen) beside the generations; CacheUnavailable if down."""
    if not replica_in_use() or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")
        position = cursor.fetchone()[0]
    cache_max(WAL_KEY, position, force=force)


def _replayed(alias: str) -> int | None:
    """How far `alias` has replayed (None when it is not a replica: it has everything)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint")
        return cursor.fetchone()[0]


def database_for(*, wal_position: int | None) -> str:
    """The alias a payload tagged now may be computed on: the replica once it has replayed `wal_position`, else default.

    Without a recorded position (the cache lost it, or is down) nothing says how far the replica must be: default.
    """
    alias = app_settings.configured_metrics_database()
    if alias == DEFAULT_DB_ALIAS or connections[alias].vendor != "postgresql":
        return alias
    if wal_position is None:
        return DEFAULT_DB_ALIAS
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    try:
        while True:
            replayed = _replayed(alias)
            if replayed is None or replayed >= wal_position:
                return alias
            if time.monotonic() >= deadline:
                break
            time.sleep(REPLAY_POLL_SECONDS)
    except DatabaseError:
        logger.warning("replica %s did not answer: metrics computed on the primary", alias)
        return DEFAULT_DB_ALIAS
    telemetry.REPLICA_BEHIND.inc()
    return DEFAULT_DB_ALIAS
