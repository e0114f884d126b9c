"""`manage.py ops_alerts run`: one pass, or a loop that SIGTERM ends cleanly between passes."""
import os
import signal
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from complaints.factories import ComplaintFactory
from ops_metrics.constants import AlertState
from ops_metrics.models import OpsAlertDelivery, OpsAlertRule


@pytest.fixture
def firing_setup(db, settings, endpoint):
    settings.OPS_METRICS_ENGINE = "scan"
    rule = OpsAlertRule.objects.create(name="breaches", figure="sla.breached", period="all", comparator=">",
                                       threshold=0)
    rule.webhooks.set([endpoint])
    ComplaintFactory(created_at=timezone.now() - timedelta(days=3))
    return rule


def test_one_pass_evaluates_then_delivers(firing_setup, receiver):
    out = StringIO()

    call_command("ops_alerts", "run", stdout=out)

    assert "evaluated 1 rules (1 computations)" in out.getvalue()
    assert "deliveries delivered 1" in out.getvalue()
    firing_setup.refresh_from_db()
    assert firing_setup.state == AlertState.FIRING
    assert OpsAlertDelivery.objects.get().delivered_at is not None
    assert len(receiver.requests) == 1


def test_the_loop_stops_cleanly_on_sigterm(firing_setup, receiver):
    out = StringIO()
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()

    call_command("ops_alerts", "run", "--loop", "--interval", "1", stdout=out)

    assert out.getvalue().count("evaluated 1 rules") == 1
    assert out.getvalue().rstrip().endswith("ops_alerts: stopped")
    assert signal.getsignal(signal.SIGTERM) is previous  # the handler it installed is gone


@pytest.mark.parametrize("interval", ["0", "7200"])
def test_the_interval_is_bounded(db, interval):
    with pytest.raises(CommandError, match="--interval"):
        call_command("ops_alerts", "run", "--loop", "--interval", interval)
