"""SQL of the rollup summaries: the facts they follow, the trigger bodies that keep them, fold, compaction, pruning.

The triggers are declared in ops_metrics/rollups/triggers.py (django-pgtrigger; their migrations freeze these bodies).
Migration 0005 created what they write to and call: the `<table>_delta` tables and `ops_rollup_now()` (the database's
now(), unless a session pins it: tests SET ops_rollup.now), so writers and readers agree.
"""
from dataclasses import dataclass

from bookings.models import OPEN_STATUSES
from complaints.models import UNRESOLVED_STATUSES
from ops_metrics.models.rollups import (
    BookingRollup,
    ComplaintCreatedRollup,
    ComplaintResolvedRollup,
    ComplaintRespondedRollup,
    OpenBookingRollup,
    OpenComplaintRollup,
    ResolvedOutcome,
    Rollup,
    StaffBookingRollup,
    StaffBookingTotal,
    StaffComplaintCreatedRollup,
    StaffComplaintCreatedTotal,
    StaffComplaintResolvedRollup,
    StaffComplaintResolvedTotal,
    StaffComplaintRespondedRollup,
    StaffComplaintRespondedTotal,
)

# Bucket grains: 15 minutes of UTC time (every local midnight and hour of every IANA zone, +05:30 and +05:45 included,
# falls on one) and whole UTC days. Neither depends on the business timezone, so changing it needs no rebuild.
FINE, DAY = 0, 1
GRAIN_INTERVALS = {FINE: "15 minutes", DAY: "1 day"}
EPOCH_SQL = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
# Compaction and rebuild take this advisory lock; triggers only ever try it, so writers never wait on it.
COMPACT_LOCK = 4_172_301_001
# A statement folds the deltas in with this probability (when it gets the lock); `ops_rollups compact` does it always.
COMPACT_PROBABILITY = 0.05
# 15-minute buckets are kept for the last FINE_DAYS only (older ones are pruned): windows cut a day only at their ends,
# and every dashboard window starts within 62 days. A partial day older than that (a custom range) is read from the raw
# rows, up to a day of them. This keeps a bulk load of years of history from writing a 15-minute grid for all of it.
# Rule: a 15-minute delta is written iff its bucket >= rollup_now() - FINE_DAYS; a bucket is read from the 15-minute
# grid iff it is >= rollup_now() - FINE_DAYS + 1 day, where every delta it ever received was written.
FINE_DAYS = 70
FINE_WRITTEN = f"ops_rollup_now() - interval '{FINE_DAYS} days'"
FINE_READABLE = f"ops_rollup_now() - interval '{FINE_DAYS - 1} days'"
FINE_PRUNED = f"ops_rollup_now() - interval '{FINE_DAYS + 1} days'"


def _micros(event: str) -> str:
    # EXTRACT returns numeric (PostgreSQL 14+): exact to the microsecond, whatever the span.
    return f"((EXTRACT(EPOCH FROM {event}) - EXTRACT(EPOCH FROM created_at)) * 1000000)"


def _business_micros(column: str) -> str:
    # The stored business time (an interval, NULL while not measured) in µs; NULL counts as 0 here and in _measured.
    return f"coalesce(EXTRACT(EPOCH FROM {column}) * 1000000, 0)"


def _measured(column: str) -> str:
    return f"CASE WHEN {column} IS NULL THEN 0 ELSE 1 END"


def _event_sums(event: str, business: str) -> dict[str, str]:
    """Summed columns of an event fact: elapsed µs to the event, business µs and how many rows have a business time."""
    return {"duration_us": _micros(event), "business_us": _business_micros(business), "business_count": _measured(business)}


OUTCOME_SQL = (
    "CASE WHEN (resolution_due_at IS NOT NULL AND resolved_at > resolution_due_at)"
    " OR (response_due_at IS NOT NULL AND first_response_at > response_due_at)"
    f" THEN {ResolvedOutcome.BREACHED:d}"
    f" WHEN first_response_at IS NULL AND response_due_at IS NOT NULL THEN {ResolvedOutcome.RESPONSE_PENDING:d}"
    f" ELSE {ResolvedOutcome.MET:d} END"
)


@dataclass(frozen=True)
class Fact:
    """One summary table: the raw table it follows, the column dating a row, its key and summed columns as SQL.

    grains: the bucket grains it keeps; where: which raw rows it counts (SQL over the raw table's columns);
    by_staff: whether its first key is the staff member (STAFF).
    """

    model: type[Rollup]
    source: str
    time: str
    keys: dict[str, str]
    sums: dict[str, str]
    grains: tuple[int, ...] = (FINE, DAY)
    where: str = "TRUE"
    by_staff: bool = False

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def delta(self) -> str:
        """The append-only table of signed delta rows (no index: inserting into it costs a writer the least)."""
        return f"{self.table}_delta"

    @property
    def key_columns(self) -> list[str]:
        return ["grain", "bucket", *self.keys]

    @property
    def value_columns(self) -> list[str]:
        return ["count", *self.sums]


# An unresolved complaint with a target achieved late is breached whatever `now` is; the rest depends on `now`.
LATE_SQL = (
    "CASE WHEN (response_due_at IS NOT NULL AND first_response_at > response_due_at)"
    " OR (resolution_due_at IS NOT NULL AND resolved_at > resolution_due_at) THEN 1 ELSE 0 END"
)

BOOKINGS_TABLE, COMPLAINTS_TABLE = "bookings_booking", "complaints_complaint"
SOURCES = (BOOKINGS_TABLE, COMPLAINTS_TABLE)
# The raw tables' staff foreign keys; the summaries key unassigned work as staff UNASSIGNED (no staff id is 0).
STAFF_COLUMNS = {BOOKINGS_TABLE: "assigned_staff_id", COMPLAINTS_TABLE: "assigned_to_id"}
STAFF, UNASSIGNED = "staff", 0


def staff_key_sql(source: str) -> str:
    """The staff member a raw row of `source` counts for: its staff foreign key, UNASSIGNED when it has none."""
    return f"coalesce({STAFF_COLUMNS[source]}, {UNASSIGNED})"


def _staff_key(source: str) -> dict[str, str]:
    return {STAFF: staff_key_sql(source)}


def _statuses(values: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(str(value)) for value in values)})"


def _per_staff(fact: Fact, model: type[Rollup]) -> Fact:
    """The fact per staff member, whole UTC days only (a staff-filtered window's partial days read the raw rows)."""
    return Fact(model, fact.source, fact.time, {**_staff_key(fact.source), **fact.keys}, fact.sums, grains=(DAY,),
                by_staff=True)


def _all_time(fact: Fact, model: type[Rollup]) -> Fact:
    """The fact per staff member over all time, in one bucket (the epoch): `all` without reading every day."""
    return Fact(model, fact.source, EPOCH_SQL, {**_staff_key(fact.source), **fact.keys}, fact.sums, grains=(DAY,),
                where=f"{fact.time} IS NOT NULL", by_staff=True)


BOOKINGS = Fact(BookingRollup, BOOKINGS_TABLE, "created_at", {"status": "status"}, {"amount": "total_amount"})
COMPLAINTS_CREATED = Fact(
    ComplaintCreatedRollup, COMPLAINTS_TABLE, "created_at", {"priority": "priority", "status": "status"}, {}
)
COMPLAINTS_RESOLVED = Fact(ComplaintResolvedRollup, COMPLAINTS_TABLE, "resolved_at", {"outcome": OUTCOME_SQL},
                           _event_sums("resolved_at", "resolution_business_time"))
COMPLAINTS_RESPONDED = Fact(ComplaintRespondedRollup, COMPLAINTS_TABLE, "first_response_at", {},
                            _event_sums("first_response_at", "response_business_time"))
# The "now" facts: the open work per staff member, in one bucket (the epoch) that every such row counts in.
OPEN_BOOKINGS = Fact(OpenBookingRollup, BOOKINGS_TABLE, EPOCH_SQL, {**_staff_key(BOOKINGS_TABLE), "status": "status"},
                     {}, grains=(DAY,), where=_statuses(OPEN_STATUSES), by_staff=True)
OPEN_COMPLAINTS = Fact(
    OpenComplaintRollup, COMPLAINTS_TABLE, EPOCH_SQL,
    {**_staff_key(COMPLAINTS_TABLE), "priority": "priority", "status": "status", "late": LATE_SQL},
    {}, grains=(DAY,), where=_statuses(UNRESOLVED_STATUSES), by_staff=True,
)
PER_STAFF = {
    BookingRollup: _per_staff(BOOKINGS, StaffBookingRollup),
    ComplaintCreatedRollup: _per_staff(COMPLAINTS_CREATED, StaffComplaintCreatedRollup),
    ComplaintResolvedRollup: _per_staff(COMPLAINTS_RESOLVED, StaffComplaintResolvedRollup),
    ComplaintRespondedRollup: _per_staff(COMPLAINTS_RESPONDED, StaffComplaintRespondedRollup),
}
ALL_TIME = {
    BookingRollup: _all_time(BOOKINGS, StaffBookingTotal),
    ComplaintCreatedRollup: _all_time(COMPLAINTS_CREATED, StaffComplaintCreatedTotal),
    ComplaintResolvedRollup: _all_time(COMPLAINTS_RESOLVED, StaffComplaintResolvedTotal),
    ComplaintRespondedRollup: _all_time(COMPLAINTS_RESPONDED, StaffComplaintRespondedTotal),
}
FACTS = (BOOKINGS, COMPLAINTS_CREATED, COMPLAINTS_RESOLVED, COMPLAINTS_RESPONDED, *PER_STAFF.values(),
         *ALL_TIME.values(), OPEN_BOOKINGS, OPEN_COMPLAINTS)


def facts_of(source: str) -> list[Fact]:
    return [fact for fact in FACTS if fact.source == source]


def bucket_sql(grain: int, column: str) -> str:
    return f"date_bin('{GRAIN_INTERVALS[grain]}', {column}, {EPOCH_SQL})"


def _rows_sql(fact: Fact, relation: str, sign: int, where: str = "TRUE") -> str:
    keys = "".join(f", {expr} AS {name}" for name, expr in fact.keys.items())
    sums = "".join(f", {expr} AS {name}" for name, expr in fact.sums.items())
    return (
        f"SELECT {fact.time} AS t{keys}{sums}, {sign} AS sign FROM {relation} "
        f"WHERE {fact.time} IS NOT NULL AND {fact.where} AND {where}"
    )


def aggregate_sql(fact: Fact, sources: list[tuple[str, int]], *, where: str = "TRUE") -> str:
    """SELECT of (grain, bucket, keys..., count, sums...) rows, both grains, from signed row sources; no zero rows."""
    keys = [f"d.{name}" for name in fact.keys]
    rows = " UNION ALL ".join(_rows_sql(fact, relation, sign, where) for relation, sign in sources)
    values = ["sum(d.sign)", *(f"sum(d.sign * d.{name})" for name in fact.sums)]
    bucket = f"CASE g.grain WHEN {FINE} THEN {bucket_sql(FINE, 'd.t')} ELSE {bucket_sql(DAY, 'd.t')} END"
    group = ", ".join(["1", "2", *[str(3 + i) for i in range(len(keys))]])
    grains = ", ".join(f"({grain})" for grain in fact.grains)
    return (
        f"SELECT g.grain, {bucket}, {', '.join([*keys, *values])} "
        f"FROM ({rows}) AS d CROSS JOIN (VALUES {grains}) AS g(grain) "
        f"WHERE g.grain = {DAY} OR {bucket_sql(FINE, 'd.t')} >= {FINE_WRITTEN} "
        f"GROUP BY {group} HAVING {' OR '.join(f'{v} <> 0' for v in values)}"
    )


def _columns(fact: Fact) -> str:
    return ", ".join([*fact.key_columns, *fact.value_columns])


def insert_sql(fact: Fact, table: str, select: str) -> str:
    return f"INSERT INTO {table} ({_columns(fact)}) {select}"


def fold_sql(fact: Fact, select: str) -> str:
    """Add `select`'s (key, values) rows into the folded table: upsert by key (only the compaction lock holder does)."""
    added = ", ".join(f"{column} = t.{column} + EXCLUDED.{column}" for column in fact.value_columns)
    return (
        f"INSERT INTO {fact.table} AS t ({_columns(fact)}) {select} "
        f"ON CONFLICT ({', '.join(fact.key_columns)}) DO UPDATE SET {added}"
    )


def compact_sql(fact: Fact) -> str:
    """Move every committed delta row into the folded table, summed per key.

    Only committed rows are seen and deleted, so a concurrent writer's deltas stay as they are until the next pass.
    """
    keys, values = ", ".join(fact.key_columns), fact.value_columns
    sums = ", ".join(f"sum({column})" for column in values)
    return (
        f"WITH gone AS (DELETE FROM {fact.delta} RETURNING {keys}, {', '.join(values)}) "
        + fold_sql(fact, f"SELECT {keys}, {sums} FROM gone GROUP BY {keys}")
    )


def drop_zero_rows_sql(fact: Fact) -> str:
    return f"DELETE FROM {fact.table} WHERE {' AND '.join(f'{column} = 0' for column in fact.value_columns)}"


def prune_sql(fact: Fact) -> str:
    """Drop folded 15-minute rows no reader will ask for again (the raw rows serve those days' partial windows)."""
    return f"DELETE FROM {fact.table} WHERE grain = {FINE} AND bucket < {FINE_PRUNED}"


# A statement with at least this many rows (a bulk load) folds them in directly when it holds the compaction lock.
DIRECT_FOLD_ROWS = 1000


# Writers may fold (into rows another transaction may then need to wait on) only under the lock, and only in read
# committed: under a snapshot isolation a key folded since the snapshot would fail the writer's statement. Nested IFs:
# the lock is tried only when everything else holds (SQL does not promise to evaluate AND left to right).
def _may_fold(condition: str) -> str:
    return (
        f"IF {condition} THEN IF current_setting('transaction_isolation') = 'read committed' THEN "
        f"folding := pg_try_advisory_xact_lock({COMPACT_LOCK}); END IF; END IF"
    )


# Each trigger's transition tables with the sign their rows count with. A transition table may belong to a trigger of
# one event only, hence one trigger per event.
TRANSITIONS = {
    "insert": [("new_rows", 1)],
    "update": [("new_rows", 1), ("old_rows", -1)],
    "delete": [("old_rows", -1)],
}
TRUNCATE = "truncate"
# The trigger functions' variables (PL/pgSQL DECLARE): whether this statement holds the compaction lock.
TRIGGER_DECLARE = [("folding", "boolean := false")]


def _compact(source: str) -> str:
    return " ".join(
        f"{compact_sql(fact)};" + (f" {prune_sql(fact)};" if FINE in fact.grains else "") for fact in facts_of(source)
    )


def trigger_body(*, source: str, event: str) -> str:
    """The PL/pgSQL body of the AFTER ... FOR EACH STATEMENT trigger on `source` for `event` (insert ... truncate).

    A statement's rows become one aggregated INSERT per delta table, which has no index and whose rows no one updates:
    no lock for writers to wait on. An UPDATE that changes no tracked column inserts nothing, its +new and −old rows
    cancelling out. Folding deltas into the keyed tables is left to whoever holds the compaction lock (tried, never
    waited for): a bulk statement for its own rows, a writer now and then (COMPACT_PROBABILITY), `ops_rollups compact`.
    """
    facts = facts_of(source)
    if event == TRUNCATE:
        return " ".join([*(f"DELETE FROM {t};" for fact in facts for t in (fact.table, fact.delta)), "RETURN NULL;"])
    sources = TRANSITIONS[event]
    fold = " ".join(f"{fold_sql(fact, aggregate_sql(fact, sources))};" for fact in facts)
    deltas = " ".join(f"{insert_sql(fact, fact.delta, aggregate_sql(fact, sources))};" for fact in facts)
    return (
        f"{_may_fold(f'(SELECT count(*) FROM {sources[0][0]}) >= {DIRECT_FOLD_ROWS}')}; "
        f"IF folding THEN {fold} {_compact(source)} "
        f"ELSE {deltas} {_may_fold(f'random() < {COMPACT_PROBABILITY}')}; "
        f"IF folding THEN {_compact(source)} END IF; END IF; "
        "RETURN NULL;"
    )
