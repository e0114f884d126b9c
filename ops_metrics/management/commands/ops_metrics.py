"""`manage.py ops_metrics`: print the dashboard payload as JSON, for operators and cron."""
import json

from django.core.management.base import BaseCommand, CommandError

from ops_metrics.constants import CUSTOM_PERIOD
from ops_metrics.services.dashboard import cached_dashboard_metrics
from ops_metrics.web.params import InvalidQuery, parse_metrics_query, parse_range


class Command(BaseCommand):
    help = "Print the ops dashboard metrics as JSON (same parameters and validation as the API)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", action="append", default=[], help="today, week, month or all (default all).")
        parser.add_argument("--start", action="append", default=[], help="Custom range start (date or timestamp).")
        parser.add_argument("--end", action="append", default=[], help="Custom range end, exclusive.")
        parser.add_argument(
            "--include", action="append", default=[], help="Comma-separated metric groups (default: all of them)."
        )

    def handle(self, *args, **options) -> None:
        try:
            custom = parse_range(period=options["period"], start=options["start"], end=options["end"])
            period, groups = parse_metrics_query(
                period=[] if custom else options["period"], include=options["include"]
            )
            payload = cached_dashboard_metrics(
                period=CUSTOM_PERIOD if custom else period, groups=groups, custom=custom
            ).payload
        except InvalidQuery as exc:
            raise CommandError(f"{exc.param}: {exc.message}") from exc
        self.stdout.write(json.dumps(payload, indent=2))
