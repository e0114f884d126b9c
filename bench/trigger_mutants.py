"""SQL-level mutation run of the rollup triggers: each mutant edits trigger bodies, the rollup tests must then fail.

Usage: .venv/bin/python bench/trigger_mutants.py [--only NAME ...] [--all-failures] [--list]
Needs PostgreSQL and Redis as bin/test does (DATABASE_URL, REDIS_URL). The test database test_<database> is migrated
once and kept as a template; each run gets a fresh copy of it (transactional tests flush what the migrations put in),
the mutant replaces the bodies of the triggers it targets there (the trigger's hash comment kept, so only behaviour can
tell), and the rollup tests run on it (pytest --reuse-db -x: the first failure names the killing test). Prints a
Markdown table. Not run in CI: about 6 minutes on 2 shared cores.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ops_mutants")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "mutants-only-secret-key")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

import django  # noqa: E402

# The rollup behavioural tests, cheapest first so that -x stops early.
TESTS = [
    "ops_metrics/tests/rollups/test_triggers.py",
    "ops_metrics/tests/rollups/test_property.py",
    "ops_metrics/tests/rollups/test_series.py",
    "ops_metrics/tests/rollups/test_concurrency.py",
]
BOOKINGS, COMPLAINTS = "bookings_booking", "complaints_complaint"
ROW_EVENTS = ("insert", "update", "delete")
# The top-level ELSE of a row trigger's body: before it the direct fold, after it the delta rows and chance compaction.
DELTA_BRANCH = " ELSE INSERT INTO "


def replace(old: str, new: str, *, branch: str = "both", count: int = -1) -> Callable[[str], str]:
    """A mutation replacing `old` by `new` (the first `count` times, all by default) in the fold or delta branch."""
    def mutate(body: str) -> str:
        if branch == "both" or DELTA_BRANCH not in body:
            return body.replace(old, new, count)
        fold, deltas = body.split(DELTA_BRANCH, 1)
        if branch == "fold":
            return fold.replace(old, new, count) + DELTA_BRANCH + deltas
        return fold + DELTA_BRANCH + deltas.replace(old, new, count)
    return mutate


def drop_delta_rows(body: str) -> str:
    """The delta branch writes nothing (the chance compaction stays)."""
    return re.sub(r" ELSE INSERT INTO .*? IF random\(\)", " ELSE IF random()", body, count=1, flags=re.S)


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str
    targets: tuple[tuple[str, str], ...]  # (raw table, event)
    mutate: Callable[[str], str]


def _all(source: str, events: tuple[str, ...] = ROW_EVENTS) -> tuple[tuple[str, str], ...]:
    return tuple((source, event) for event in events)


BOOKING_OLD_ROWS = (" UNION ALL SELECT created_at AS t, status AS status, total_amount AS amount, -1 AS sign "
                    "FROM old_rows WHERE created_at IS NOT NULL AND TRUE")
COMPLAINT_CREATED_OLD_ROWS = (" UNION ALL SELECT created_at AS t, priority AS priority, status AS status, -1 AS sign "
                              "FROM old_rows WHERE created_at IS NOT NULL AND TRUE")
MUTANTS = [
    Mutant("update-fold-forgets-old-rows", "bookings UPDATE, direct fold: the −old rows left out",
           ((BOOKINGS, "update"),), replace(BOOKING_OLD_ROWS, "", branch="fold")),
    Mutant("update-deltas-forget-old-rows", "bookings UPDATE, delta rows: the −old rows left out",
           ((BOOKINGS, "update"),), replace(BOOKING_OLD_ROWS, "", branch="delta")),
    Mutant("complaint-update-fold-forgets-old-rows", "complaints UPDATE, direct fold: created fact without −old rows",
           ((COMPLAINTS, "update"),), replace(COMPLAINT_CREATED_OLD_ROWS, "", branch="fold")),
    Mutant("delete-sign-flipped", "bookings DELETE counts old rows +1", ((BOOKINGS, "delete"),),
           replace("-1 AS sign", "1 AS sign")),
    Mutant("delete-delta-branch-dropped", "complaints DELETE below the threshold writes no delta rows",
           ((COMPLAINTS, "delete"),), drop_delta_rows),
    Mutant("fold-threshold-off-by-one", ">= 1000 rows becomes > 1000", _all(BOOKINGS) + _all(COMPLAINTS),
           replace(">= 1000", "> 1000")),
    Mutant("direct-fold-in-repeatable-read", "a bulk statement folds under snapshot isolation too",
           _all(BOOKINGS) + _all(COMPLAINTS), replace("= 'read committed'", "<> 'serializable'", count=1)),
    Mutant("outcome-due-columns-swapped", "resolved_at compared with response_due_at, not resolution_due_at",
           _all(COMPLAINTS), replace("resolved_at > resolution_due_at", "resolved_at > response_due_at")),
    Mutant("insert-dates-by-updated-at", "bookings INSERT buckets by updated_at instead of created_at",
           ((BOOKINGS, "insert"),), replace("SELECT created_at AS t,", "SELECT updated_at AS t,")),
    Mutant("fold-overwrites-instead-of-adding", "bookings INSERT direct fold: count = EXCLUDED.count",
           ((BOOKINGS, "insert"),), replace("count = t.count + EXCLUDED.count", "count = EXCLUDED.count", count=1)),
    Mutant("compaction-counts-delta-rows", "complaints compaction sums count(*) instead of sum(count)",
           _all(COMPLAINTS), replace("sum(count)", "count(*)")),
    Mutant("truncate-leaves-deltas", "bookings TRUNCATE keeps the delta rows", ((BOOKINGS, "truncate"),),
           replace("DELETE FROM ops_rollup_booking_delta;", "")),
    Mutant("fine-grid-too-short", "bookings 15-minute deltas written for 7 days, not 70", _all(BOOKINGS),
           replace("interval '70 days'", "interval '7 days'")),
    Mutant("never-compact-by-chance", "random() < 0.05 becomes random() < 0", _all(BOOKINGS) + _all(COMPLAINTS),
           replace("random() < 0.05", "random() < 0")),
    Mutant("response-duration-reversed", "complaints responded duration: created_at − first_response_at",
           _all(COMPLAINTS), replace("(EXTRACT(EPOCH FROM first_response_at) - EXTRACT(EPOCH FROM created_at))",
                                     "(EXTRACT(EPOCH FROM created_at) - EXTRACT(EPOCH FROM first_response_at))")),
    Mutant("deltas-without-fine-grain", "bookings UPDATE delta rows for the day grain only", ((BOOKINGS, "update"),),
           replace("WHERE g.grain = 1 OR", "WHERE g.grain = 1 AND", branch="delta")),
    Mutant("business-count-counts-null-rows", "complaints resolved business_count counts rows without a business time",
           _all(COMPLAINTS), replace("CASE WHEN resolution_business_time IS NULL THEN 0 ELSE 1 END", "1")),
    Mutant("business-sum-of-the-other-event", "complaints resolved business_us sums response_business_time",
           _all(COMPLAINTS), replace("EXTRACT(EPOCH FROM resolution_business_time)",
                                     "EXTRACT(EPOCH FROM response_business_time)")),
    Mutant("business-deltas-unsigned", "complaints UPDATE delta rows: business_us summed without the row's sign",
           ((COMPLAINTS, "update"),), replace("sum(d.sign * d.business_us)", "sum(d.business_us)", branch="delta")),
]


def _triggers() -> dict[tuple[str, str], tuple]:
    """(raw table, event) → (trigger, model)."""
    from ops_metrics.rollups.triggers import SOURCE_MODELS

    return {
        (model._meta.db_table, trigger.name.removeprefix("rollup_")): (trigger, model)
        for model in SOURCE_MODELS for trigger in model._meta.triggers
    }


def _install_sql(trigger, model, mutate: Callable[[str], str] | None = None) -> str:
    from pgtrigger.compiler import UpsertTriggerSql

    sql = trigger.compile(model).sql
    if mutate is None:
        return str(sql)
    body = mutate(sql.kwargs["func"])
    if body == sql.kwargs["func"]:
        raise SystemExit(f"mutation changes nothing in {trigger.get_uri(model)}")
    return str(UpsertTriggerSql(**{**sql.kwargs, "func": body}, hash=sql.hash))


def _connect(database: str):
    import environ
    import psycopg

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    return psycopg.connect(host=config["HOST"], port=config["PORT"] or 5432, user=config["USER"],
                           password=config["PASSWORD"] or None, dbname=database, autocommit=True)


def _test_database() -> str:
    import environ

    return f"test_{environ.Env.db_url_config(os.environ['DATABASE_URL'])['NAME']}"


def _fresh_copy(template: str, sql: list[str]) -> None:
    """The test database anew from the migrated template, then `sql` run in it."""
    database = _test_database()
    with _connect("postgres") as server:
        server.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        server.execute(f"CREATE DATABASE {database} TEMPLATE {template}")
    with _connect(database) as connection:
        for statement in sql:
            connection.execute(statement)


def _pytest(*args: str) -> tuple[int, str]:
    # A fixed seed and an empty example database: every mutant meets the same generated examples.
    with tempfile.TemporaryDirectory() as examples:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--reuse-db", "-q", "--hypothesis-seed=0", "-p", "bench.trigger_mutants",
             *args],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": examples},
        )
    return result.returncode, result.stdout


def _failures(output: str) -> list[str]:
    return [line.split(" ", 1)[1].split(" - ")[0] for line in output.splitlines() if line.startswith("FAILED ")]


def pytest_configure(config) -> None:
    """As a pytest plugin (-p bench.trigger_mutants): no shrinking, a mutant needs one failing example, not the least."""
    from hypothesis import Phase, settings

    settings.register_profile("mutants", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutants")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="Run these mutants only.")
    parser.add_argument("--all-failures", action="store_true", help="Run every test (not -x): all killing tests.")
    parser.add_argument("--list", action="store_true", help="List the mutants and exit.")
    args = parser.parse_args()
    django.setup()
    mutants = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for mutant in mutants:
            print(f"{mutant.name}: {mutant.what}")
        return
    triggers = _triggers()
    for mutant in mutants:  # every mutation must change what it targets
        for target in mutant.targets:
            _install_sql(*triggers[target], mutant.mutate)

    code, output = _pytest("--create-db", f"{TESTS[0]}::test_the_migrations_installed_exactly_the_triggers_the_code_declares")
    if code:
        raise SystemExit(f"could not create the test database:\n{output}")
    template = f"{_test_database()}_template"
    with _connect("postgres") as server:
        server.execute(f"DROP DATABASE IF EXISTS {template}")
        server.execute(f"CREATE DATABASE {template} TEMPLATE {_test_database()}")
    try:
        started = time.monotonic()
        _fresh_copy(template, [])
        code, output = _pytest("-x", *TESTS)
        if code:
            raise SystemExit(f"the tests fail without a mutant:\n{output[-3000:]}")
        print(f"baseline: rollup tests pass ({time.monotonic() - started:.0f} s)", flush=True)
        rows = []
        for mutant in mutants:
            started = time.monotonic()
            _fresh_copy(template, [_install_sql(*triggers[target], mutant.mutate) for target in mutant.targets])
            code, output = _pytest(*([] if args.all_failures else ["-x"]), *TESTS)
            failures = _failures(output)
            verdict = "killed" if failures else ("survived" if code == 0 else f"error (exit {code})")
            if verdict.startswith("error"):
                print(output[-2000:], flush=True)
            rows.append((mutant, verdict, failures))
            print(f"{mutant.name}: {verdict} {failures[:3]} ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        _fresh_copy(template, [])  # the real triggers again
        with _connect("postgres") as server:
            server.execute(f"DROP DATABASE IF EXISTS {template}")

    print("\n| mutant | what it breaks | verdict | killing test |\n| --- | --- | --- | --- |")
    for mutant, verdict, failures in rows:
        print(f"| {mutant.name} | {mutant.what} | {verdict} | {'<br>'.join(f'`{f}`' for f in failures) or '—'} |")
    killed = sum(1 for _, verdict, _ in rows if verdict == "killed")
    print(f"\n{killed} of {len(rows)} mutants killed.")


if __name__ == "__main__":
    main()
