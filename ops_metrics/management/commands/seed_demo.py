"""`manage.py seed_demo`: load deterministic demo data and, optionally, the demo users."""
import argparse
import secrets
import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops_metrics.services.demo import SeedError, ensure_demo_users, seed_demo_data


def aware_datetime(value: str) -> datetime:
    """An ISO 8601 timestamp; without an offset it is read in the project's TIME_ZONE."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 timestamp: {value!r}") from exc
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(BaseCommand):
    help = (
        "Fill the database with realistic, deterministic demo data: the same --seed and --now give the same rows."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bookings", type=int, default=5000, help="Bookings to create (default 5000).")
        parser.add_argument("--complaints", type=int, default=1000, help="Complaints to create (default 1000).")
        parser.add_argument("--staff", type=int, default=25, help="Staff members to create (default 25).")
        parser.add_argument("--days", type=int, default=90, help="Spread activity over this many past days.")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (0 <= seed < 2**32).")
        parser.add_argument(
            "--now", type=aware_datetime, default=None,
            help="ISO 8601 anchor that timestamps are generated back from (default: the current time).",
        )
        parser.add_argument(
            "--flush", action="store_true", help="Delete existing bookings, complaints and staff first."
        )
        parser.add_argument(
            "--if-empty", action="store_true",
            help="Load data only when there are no bookings yet (demo users are still created or updated).",
        )
        parser.add_argument(
            "--demo-users", action="store_true",
            help="Create or update the users ops_admin and ops_reader with their API tokens.",
        )
        parser.add_argument("--password", help="Password of the demo users (default: a generated one, printed).")

    def handle(self, *args, **options) -> None:
        if options["password"] and not options["demo_users"]:
            raise CommandError("--password only applies with --demo-users.")
        started = time.monotonic()
        try:
            summary = seed_demo_data(
                bookings=options["bookings"],
                complaints=options["complaints"],
                staff=options["staff"],
                days=options["days"],
                seed=options["seed"],
                now=options["now"] or timezone.now(),
                flush=options["flush"],
                only_if_empty=options["if_empty"],
                progress=options["verbosity"] > 0,
            )
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        if summary is None:
            self.stdout.write("Bookings already exist; no demo data loaded.")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Loaded {summary.staff} staff, {summary.bookings} bookings and {summary.complaints} complaints "
                f"in {time.monotonic() - started:.1f}s."
            ))
        if options["demo_users"]:
            password = options["password"] or secrets.token_urlsafe(12)
            for credentials in ensure_demo_users(password=password):
                self.stdout.write(
                    f"{credentials.username} ({credentials.group}): password {credentials.password}  "
                    f"token {credentials.token}"
                )
