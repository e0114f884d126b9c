"""Rollup reads: whether the summaries can serve, and where they differ from the raw rows."""
from datetime import date

from django.db import connections

from ops_metrics.models import RollupState
from ops_metrics.rollups.sql import DAY, FACTS, FINE_READABLE, Fact, aggregate_sql


def rollups_current(*, using: str) -> bool:
    """Whether the summaries exist and match the raw rows (PostgreSQL, state row marked current by a rebuild)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    return RollupState.objects.using(using).filter(pk=RollupState.SINGLETON_PK, current=True).exists()


def _differences_sql(fact: Fact) -> str:
    keys = fact.key_columns
    values = fact.value_columns
    summed = ", ".join(f"sum({v}) AS {v}" for v in values)
    columns = ", ".join([*keys, *values])
    raw = aggregate_sql(fact, [(fact.source, 1)])
    return (
        f"WITH s AS (SELECT {', '.join(keys)}, {summed} "
        f"FROM (SELECT {columns} FROM {fact.table} UNION ALL SELECT {columns} FROM {fact.delta}) AS u "
        f"GROUP BY {', '.join(keys)} HAVING {' OR '.join(f'sum({v}) <> 0' for v in values)}), "
        f"r ({columns}) AS ({raw}) "
        f"SELECT DISTINCT (coalesce(s.bucket, r.bucket) AT TIME ZONE 'UTC')::date AS day "
        f"FROM s FULL JOIN r USING ({', '.join(keys)}) "
        # 15-minute rows older than readers use may be stale or pruned: not compared.
        f"WHERE (grain = {DAY} OR bucket >= {FINE_READABLE}) "
        f"AND ROW({', '.join(f's.{v}' for v in values)}) IS DISTINCT FROM ROW({', '.join(f'r.{v}' for v in values)}) "
        "ORDER BY day"
    )


def summary_differences(*, using: str) -> dict[str, list[date]]:
    """Summary table → the UTC days where its buckets (either grain) differ from the raw rows; empty when exact.

    One statement per table, so each compares one snapshot of raw rows and deltas even while writers write.
    """
    differences = {}
    with connections[using].cursor() as cursor:
        for fact in FACTS:
            cursor.execute(_differences_sql(fact))
            days = [row[0] for row in cursor.fetchall()]
            if days:
                differences[fact.table] = days
    return differences
