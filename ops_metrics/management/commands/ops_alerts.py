"""`manage.py ops_alerts run [--loop --interval S]`: evaluate the alert rules, then deliver what is due."""
import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from ops_metrics.alerts.delivery import deliver_due
from ops_metrics.alerts.evaluation import evaluate_rules

logger = logging.getLogger("ops_metrics.alerts")

MIN_INTERVAL = 1.0
MAX_INTERVAL = 3600.0


class Command(BaseCommand):
    help = "Evaluate every alert rule once (idempotent; one runner at a time on PostgreSQL) and deliver due notifications."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["run"])
        parser.add_argument("--loop", action="store_true", help="Keep running until SIGTERM or SIGINT.")
        parser.add_argument("--interval", type=float, default=30.0,
                            help=f"Seconds between passes with --loop ({MIN_INTERVAL:g}-{MAX_INTERVAL:g}, default 30).")
        parser.add_argument("--metrics-port", type=int, default=None,
                            help="With --loop: serve this process's Prometheus metrics on this port.")

    def handle(self, *args, **options) -> None:
        interval = options["interval"]
        if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
            raise CommandError(f"--interval must be between {MIN_INTERVAL:g} and {MAX_INTERVAL:g} seconds.")
        if not options["loop"]:
            self._pass(budget=interval)
            return
        if options["metrics_port"]:
            from prometheus_client import start_http_server

            start_http_server(options["metrics_port"])
        stop = threading.Event()
        previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not stop.is_set():
                try:
                    self._pass(budget=interval)
                except Exception:  # a database or cache hiccup must not end the runner: log it, try next time
                    logger.exception("alert pass failed")
                close_old_connections()
                stop.wait(interval)  # wakes at once on SIGTERM
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("ops_alerts: stopped")

    def _pass(self, *, budget: float) -> None:
        report = evaluate_rules()
        if report.ran:
            self.stdout.write(f"ops_alerts: evaluated {report.evaluated} rules ({report.computations} computations) "
                              f"in {report.seconds * 1000:.0f} ms, {len(report.notifications)} notifications")
        else:
            self.stdout.write("ops_alerts: another runner is evaluating; delivering only")
        deliveries = deliver_due(budget_seconds=budget)
        if deliveries.outcomes:
            self.stdout.write("ops_alerts: deliveries " + ", ".join(
                f"{outcome} {count}" for outcome, count in sorted(deliveries.outcomes.items())))
