"""Two runners at once on PostgreSQL: the advisory lock lets one evaluate; the outbox gets one notification."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from complaints.factories import ComplaintFactory
from ops_metrics.alerts import evaluation
from ops_metrics.alerts.evaluation import evaluate_rules
from ops_metrics.models import OpsAlertNotification, OpsAlertRule

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks exist only on PostgreSQL")


def test_two_runners_at_once_evaluate_once(transactional_db, settings, monkeypatch):
    settings.OPS_METRICS_ENGINE = "scan"
    OpsAlertRule.objects.create(name="breaches", figure="sla.breached", period="all", comparator=">", threshold=0)
    ComplaintFactory(created_at=timezone.now() - timedelta(days=3))
    inside, release = threading.Event(), threading.Event()
    real = evaluation.cached_dashboard_metrics

    def slow(**kwargs):
        inside.set()
        release.wait(10)  # hold the lock until the other runner has tried
        return real(**kwargs)

    monkeypatch.setattr(evaluation, "cached_dashboard_metrics", slow)

    def runner():
        try:
            return evaluate_rules()
        finally:
            connections.close_all()

    def second_runner():
        inside.wait(10)
        try:
            return runner()
        finally:
            release.set()

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.submit(runner), pool.submit(second_runner)
        reports = [first.result(timeout=30), second.result(timeout=30)]

    assert [report.ran for report in reports] == [True, False]
    assert OpsAlertNotification.objects.count() == 1
    assert evaluate_rules().ran  # the lock was released
    assert OpsAlertNotification.objects.count() == 1
