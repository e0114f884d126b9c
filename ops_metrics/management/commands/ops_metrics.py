"""`manage.py ops_metrics`: print the dashboard payload as JSON, for operators and cron."""
import json
from datetime import datetime
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from ops_metrics.query import InvalidQuery, parse_metrics_query
from ops_metrics.services import dashboard_metrics


def render(value: object) -> object:
    """JSON for what `json` cannot encode, as the API renders it: money "1250.50", ISO 8601 datetimes ("Z" for UTC)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


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
        payload = dashboard_metrics(period=period, groups=groups)
        self.stdout.write(json.dumps(payload, default=render, indent=2))
