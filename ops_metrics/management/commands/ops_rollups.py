"""`manage.py ops_rollups rebuild|verify|compact`: maintain the rollup engine's summary tables (PostgreSQL)."""
import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from ops_metrics.engines import rollup, scan
from ops_metrics.rollups.maintenance import compact, rebuild, vacuum
from ops_metrics.rollups.state import rollups_current, summary_differences
from ops_metrics.windows.periods import Window


def _random_windows(*, using: str, count: int, rng: random.Random) -> list[Window]:
    """Windows with arbitrary (microsecond) bounds over the data's time span, some of them unbounded below."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT least((SELECT min(created_at) FROM bookings_booking), (SELECT min(created_at) "
            "FROM complaints_complaint)), greatest((SELECT max(created_at) FROM bookings_booking), "
            "(SELECT max(resolved_at) FROM complaints_complaint), (SELECT max(first_response_at) "
            "FROM complaints_complaint))"
        )
        first, last = cursor.fetchone()
    if first is None:
        return []
    span = (last - first) + timedelta(days=2)
    windows = []
    for index in range(count):
        a, b = sorted(first - timedelta(days=1) + span * rng.random() for _ in range(2))
        windows.append(Window(None if index % 5 == 0 else a, b + timedelta(microseconds=1)))
    return windows


def window_differences(*, using: str, windows: list[Window]) -> list[Window]:
    """The windows for which the rollup engine's totals or per-staff tallies differ from scan's (now = the window's end).

    The open backlog and its SLA states (the open-work summaries) are compared with every window.
    """
    differing = []
    for window in windows:
        sla_at = (window.end, window.end + timedelta(hours=1))
        totals = []
        for engine in (rollup, scan):
            totals.append((
                engine.booking_totals(windows={"w": window}, amounts=True, backlog=True, using=using),
                engine.complaint_totals(created={"w": window}, resolved_in=window, responded_in=window,
                                        sla_at=sla_at, backlog=True, using=using),
                engine.staff_totals(window=window, sla_at=sla_at, amounts=True, using=using),
            ))
        if totals[0] != totals[1]:
            differing.append(window)
    return differing


class Command(BaseCommand):
    help = "Rebuild, verify or compact the summary tables the rollup engine reads (PostgreSQL only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["rebuild", "verify", "compact", "status"])
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (the primary, by default).")
        parser.add_argument("--if-stale", action="store_true", help="rebuild: only when the summaries are not current.")
        parser.add_argument("--windows", type=int, default=50, help="verify: random windows compared with scan.")
        parser.add_argument("--seed", type=int, default=None, help="verify: seed of the random windows.")

    def handle(self, *args, action: str, database: str, **options) -> None:
        using = database
        if connections[using].vendor != "postgresql":
            raise CommandError("The summary tables and their triggers exist only on PostgreSQL; scan serves here.")
        if action == "status":
            self.stdout.write("current" if rollups_current(using=using) else "not current (run: ops_rollups rebuild)")
        elif action == "rebuild":
            if options["if_stale"] and rollups_current(using=using):
                self.stdout.write("summaries are current: nothing to rebuild")
                return
            rebuild(using=using, progress=options["verbosity"] > 0)
            vacuum(using=using)
            self.stdout.write(self.style.SUCCESS("summaries rebuilt from the raw rows"))
        elif action == "compact":
            written = compact(using=using)
            vacuum(using=using)
            self.stdout.write(f"{written} keys folded in")
        else:
            self._verify(using=using, windows=options["windows"], seed=options["seed"])

    def _verify(self, *, using: str, windows: int, seed: int | None) -> None:
        problems = [
            f"{table} differs from the raw rows on UTC day(s): {', '.join(day.isoformat() for day in days)}"
            for table, days in summary_differences(using=using).items()
        ]
        rng = random.Random(seed)
        for window in window_differences(using=using, windows=_random_windows(using=using, count=windows, rng=rng)):
            start = "-∞" if window.start is None else window.start.isoformat()
            problems.append(f"rollup and scan differ over [{start}, {window.end.isoformat()})")
        if problems:
            raise CommandError("\n".join(problems), returncode=1)
        self.stdout.write(self.style.SUCCESS(
            f"summaries match the raw rows on every day and over {windows} random windows"
            + ("" if rollups_current(using=using) else " (but not marked current: run ops_rollups rebuild)")
        ))
