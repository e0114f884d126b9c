"""`manage.py ops_metrics`: print the dashboard payload as JSON, for operators and cron."""
import json

from django.core.management.base import BaseCommand, CommandError

from ops_metrics.query import InvalidQuery, parse_metrics_query
from ops_metrics.services import cached_dashboard_metrics


class Command(BaseCommand):
    help = "Print the ops dashboard metrics as JSON (same parameters and validation as the API)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", action="append", default=[], help="today, week, month or all (default all).")
        parser.add_argument(
            "--include", action="append", default=[], help="Comma-separated metric groups (default: all of them)."
        )

    def handle(self, *args, **options) -> None:
        try:
            period, groups = parse_metrics_query(period=options["period"], include=options["include"])
        except InvalidQuery as exc:
            raise CommandError(f"{exc.param}: {exc.message}") from exc
        payload = cached_dashboard_metrics(period=period, groups=groups).payload
        self.stdout.write(json.dumps(payload, indent=2))
