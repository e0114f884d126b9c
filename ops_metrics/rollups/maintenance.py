"""Rollup maintenance: rebuild the summary tables from the raw rows, fold their delta rows in."""
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.db import connections, transaction
from django.utils import timezone
from tqdm import tqdm

from ops_metrics.models import RollupState
from ops_metrics.rollups.sql import (
    COMPACT_LOCK,
    FACTS,
    SOURCES,
    Fact,
    aggregate_sql,
    compact_sql,
    drop_zero_rows_sql,
    insert_sql,
    prune_sql,
)

REBUILD_CHUNKS = 24


def compact(*, using: str) -> int:
    """Fold every committed delta row into the keyed summary rows, drop keys summing to zero; returns the keys written.

    Waits only for another fold or a rebuild (the advisory lock); writers keep inserting deltas meanwhile.
    """
    connection = connections[using]
    written = 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [COMPACT_LOCK])
        for fact in FACTS:
            cursor.execute(compact_sql(fact))
            written += cursor.rowcount
            cursor.execute(drop_zero_rows_sql(fact))
            cursor.execute(prune_sql(fact))
    return written


def _day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _chunks(cursor, fact: Fact) -> Iterator[tuple[datetime, datetime]]:
    """UTC-day-aligned [start, end) ranges of the fact's time column, about REBUILD_CHUNKS of them."""
    cursor.execute(f"SELECT min({fact.time}), max({fact.time}) FROM {fact.source}")
    first, last = cursor.fetchone()
    if first is None:
        return
    start, end = _day(first), _day(last) + timedelta(days=1)
    step = max(timedelta(days=1), (end - start) / REBUILD_CHUNKS)
    step = timedelta(days=-(-step.total_seconds() // 86400))
    while start < end:
        yield start, min(start + step, end)
        start += step


def _rebuild_in_transaction(*, using: str, progress: bool) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        # Taken before the snapshot: TRUNCATE of a raw table waits until the rebuild commits, never interleaves.
        cursor.execute(f"LOCK TABLE {', '.join(SOURCES)} IN ACCESS SHARE MODE")
        for fact in FACTS:
            cursor.execute(f"DELETE FROM {fact.table}")
            cursor.execute(f"DELETE FROM {fact.delta}")
        plans = [(fact, chunk) for fact in FACTS for chunk in _chunks(cursor, fact)]
        for fact, (start, end) in tqdm(plans, desc="rebuilding summaries", unit=" chunks", disable=not progress):
            where = f"{fact.time} >= %s AND {fact.time} < %s"
            select = aggregate_sql(fact, [(fact.source, 1)], where=where)
            cursor.execute(insert_sql(fact, fact.table, select), [start, end])
        cursor.execute(
            "INSERT INTO ops_rollup_state (id, current, rebuilt_at) VALUES (%s, TRUE, %s) "
            "ON CONFLICT (id) DO UPDATE SET current = TRUE, rebuilt_at = EXCLUDED.rebuilt_at",
            [RollupState.SINGLETON_PK, timezone.now()],
        )


def rebuild(*, using: str, progress: bool = False) -> None:
    """Recompute every summary from the raw rows and mark them current; safe while writers write.

    One REPEATABLE READ transaction: it deletes exactly the summary rows its snapshot sees and inserts the aggregates of
    exactly the raw rows that snapshot sees. A write committed after the snapshot is in neither, and its delta rows,
    invisible to the snapshot, survive the DELETE: summaries = raw rows at the snapshot + later deltas = raw rows.
    Writers never wait (they only insert); compaction, which deletes rows, is held off by the advisory lock, taken
    before the snapshot so that no fold can commit between the snapshot and the DELETE. Inside a caller's transaction
    (tests) it runs in that transaction as is.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        _rebuild_in_transaction(using=using, progress=progress)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [COMPACT_LOCK])
    try:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            _rebuild_in_transaction(using=using, progress=progress)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [COMPACT_LOCK])


def vacuum(*, using: str) -> None:
    """VACUUM ANALYZE the summary tables (outside a transaction), so reads skip the rows a fold or rebuild deleted."""
    connection = connections[using]
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for fact in FACTS:
            cursor.execute(f"VACUUM ANALYZE {fact.table}, {fact.delta}")


def mark_stale(*, using: str) -> None:
    """Record that the summaries no longer match the raw rows (e.g. triggers were off): scan serves until a rebuild."""
    RollupState.objects.using(using).update_or_create(pk=RollupState.SINGLETON_PK, defaults={"current": False})
