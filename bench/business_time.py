"""Micro-benchmark of complaints.business_time, and of sla_recompute over open complaints on PostgreSQL.

    .venv/bin/python bench/business_time.py                      # add()/between() timings
    .venv/bin/python bench/business_time.py --check-zones        # the tzdata assumption of the offset-change scan
    .venv/bin/python bench/business_time.py --recompute 100000   # + sla_recompute in a dedicated database

--recompute uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ops_hours_bench), which it migrates and
fills with that many open complaints (bulk_create), emptying its complaints, calendars and policies first.
"""
import argparse
import os
import random
import statistics
import sys
import time
import timeit
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from complaints.business_time import WEEKDAYS, BusinessClock, _transitions  # noqa: E402

GERMAN_HOLIDAYS = [  # nationwide public holidays 2026-2028
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 25),
    date(2026, 10, 3), date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29),
    date(2027, 5, 1), date(2027, 5, 6), date(2027, 5, 17), date(2027, 10, 3), date(2027, 12, 25), date(2027, 12, 26),
    date(2028, 1, 1), date(2028, 4, 14), date(2028, 4, 17), date(2028, 5, 1), date(2028, 5, 25), date(2028, 6, 5),
    date(2028, 10, 3), date(2028, 12, 25), date(2028, 12, 26),
]


def _per_call_us(function, *, number: int) -> float:
    """Best of five runs of `number` calls, microseconds per call."""
    return min(timeit.repeat(function, number=number, repeat=5)) / number * 1e6


def _starts(count: int) -> list[datetime]:
    rng = random.Random(1)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    return [base + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(count)]


def bench_clock() -> list[tuple[str, str]]:
    office = BusinessClock.from_hours(
        timezone="Europe/Berlin", hours={day: [["09:00", "12:30"], ["13:30", "18:00"]] for day in WEEKDAYS[:5]},
        holidays=GERMAN_HOLIDAYS,
    )
    hour_a_week = BusinessClock.from_hours(timezone="Australia/Lord_Howe", hours={"wed": [["10:00", "11:00"]]})
    starts = _starts(1000)
    rows = []

    def each(clock, duration):
        def run():
            for start in starts:
                clock.add(start, duration)
        return run

    _transitions.cache_clear()
    began = time.perf_counter()
    office.add(datetime(2026, 6, 1, tzinfo=UTC), timedelta(hours=4))
    rows.append(("add, cold (offset changes of the year not yet scanned)", f"{(time.perf_counter() - began) * 1e3:.2f} ms"))
    for label, clock, duration in [
        ("add 4 h, Mon-Fri 8 h with lunch break, Berlin, DE holidays", office, timedelta(hours=4)),
        ("add 48 h, same calendar", office, timedelta(hours=48)),
        ("add 8760 h (a year of business hours), same calendar", office, timedelta(hours=8760)),
        ("add 4 h, open 1 h a week (Lord Howe, 30-min DST)", hour_a_week, timedelta(hours=4)),
        ("add 72 h, open 1 h a week (crosses ~3 DST changes)", hour_a_week, timedelta(hours=72)),
        ("add 8760 h, open 1 h a week (168 years, ~336 DST changes)", hour_a_week, timedelta(hours=8760)),
    ]:
        each(clock, duration)()  # warm the offset-change cache
        rows.append((label, f"{_per_call_us(each(clock, duration), number=1) / len(starts):.1f} µs"))
    ends = [start + timedelta(days=9) for start in starts]

    def between():
        for start, end in zip(starts, ends, strict=True):
            office.between(start, end)

    rows.append(("between, 9 days apart, office calendar", f"{_per_call_us(between, number=1) / len(starts):.1f} µs"))
    # Each call timed alone; CPU time as well, since on a shared machine the wall-clock maximum is mostly preemption.
    wall, cpu = [], []
    for start in starts:
        began, began_cpu = time.perf_counter(), time.process_time()
        hour_a_week.add(start, timedelta(hours=72))
        cpu.append(time.process_time() - began_cpu)
        wall.append(time.perf_counter() - began)
    for label, samples in (("wall", wall), ("CPU", cpu)):
        samples.sort()
        rows.append((f"add 72 h, open 1 h a week, 1000 calls one by one, {label}: median / p99 / max",
                     f"{statistics.median(samples) * 1e6:.0f} / {samples[989] * 1e6:.0f} / {samples[-1] * 1e6:.0f} µs"))
    return rows


def check_zones() -> None:
    """Every tzdata zone since 1970: no two UTC-offset changes less than a day apart (the daily scan's assumption)."""
    from zoneinfo import _zoneinfo, available_timezones  # the pure-Python implementation exposes its transitions

    closest = (None, None, float("inf"))
    for key in sorted(available_timezones()):
        tz = _zoneinfo.ZoneInfo.no_cache(key)
        previous = tz._tti_before.utcoff if tz._tti_before else None
        changes = []
        for moment, info in zip(tz._trans_utc, tz._ttinfos, strict=True):
            if info.utcoff != previous and moment >= 0:
                changes.append(moment)
            previous = info.utcoff
        for first, second in zip(changes, changes[1:], strict=False):
            if second - first < closest[2]:
                closest = (key, datetime.fromtimestamp(first, UTC), second - first)
    key, when, gap = closest
    print(f"{len(available_timezones())} zones; closest offset changes since 1970: {key} at {when:%Y-%m-%d %H:%M} UTC, "
          f"{gap / 86400:.1f} days apart: {'OK' if gap >= 86400 else 'VIOLATES the daily scan'}")


def bench_recompute(count: int) -> list[tuple[str, str]]:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ops_hours_bench")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from complaints.models import BusinessCalendar, Complaint, ComplaintPriority, SlaPolicy
    from complaints.services import sla_recompute

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE complaints_complaint, complaints_businessholiday RESTART IDENTITY CASCADE")
    SlaPolicy.objects.update(calendar=None)
    BusinessCalendar.objects.all().delete()
    rng = random.Random(2)
    now = datetime.now(UTC)
    priorities = ComplaintPriority.values
    began = time.perf_counter()
    rows = []
    for index in range(count):
        created_at = now - timedelta(seconds=rng.randrange(30 * 86400))
        rows.append(Complaint(
            subject=f"Bench {index}", priority=priorities[index % 4], created_at=created_at,
            response_due_at=created_at + timedelta(hours=4), resolution_due_at=created_at + timedelta(hours=24),
        ))
    Complaint.objects.bulk_create(rows, batch_size=5000)
    loaded = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
    # bulk_create and update(): no signals, so the timed runs below are the only recomputes.
    (calendar,) = BusinessCalendar.objects.bulk_create([BusinessCalendar(
        name="Bench office", timezone="Europe/Berlin", hours={day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}
    )])
    SlaPolicy.objects.update(calendar=calendar)
    results = [(f"bulk_create {count:,} open complaints", f"{loaded:.1f} s")]
    for label in ("sla_recompute, every due time moves", "sla_recompute again, nothing moves"):
        began = time.perf_counter()
        result = sla_recompute()
        elapsed = time.perf_counter() - began
        results.append((f"{label} ({result.changed:,} of {result.checked:,} written)",
                        f"{elapsed:.1f} s ({elapsed / result.checked * 1e6:.0f} µs per complaint)"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recompute", type=int, default=0, help="Also time sla_recompute over this many complaints.")
    parser.add_argument("--check-zones", action="store_true", help="Check the tzdata assumption of the offset scan.")
    args = parser.parse_args()
    if args.check_zones:
        check_zones()
        return
    rows = bench_clock()
    if args.recompute:
        rows += bench_recompute(args.recompute)
    width = max(len(label) for label, _ in rows)
    for label, figure in rows:
        print(f"{label:<{width}}  {figure}")


if __name__ == "__main__":
    main()
