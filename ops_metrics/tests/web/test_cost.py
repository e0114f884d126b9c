"""What one user can make the server compute: a cost budget per series, one cold computation at a time per endpoint."""
import threading

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ops_metrics.constants import MAX_SERIES_COST, AuditAction
from ops_metrics.models import OpsAuditLog
from ops_metrics.services import dashboard
from staff.factories import UserFactory

URL = "/api/v1/ops/dashboard/timeseries"
METRICS_URL = "/api/v1/ops/dashboard/metrics"
# Every wait of the threaded test gives up after this long instead of hanging the suite.
DEADLINE = 10


def test_the_budget_is_every_metric_of_the_largest_default_view():
    assert MAX_SERIES_COST == 9000  # the figure docs/api.md (limits) states


@pytest.mark.django_db
def test_a_series_over_the_cost_budget_is_400_naming_interval(admin_client_api, frozen):
    # 41 days by hour with its comparison: 984 buckets x 2 windows x 9 metrics = 17,712 (seconds of work at 1M rows).
    query = {"start": "2026-10-01", "end": "2026-11-11", "interval": "hour", "compare": "true"}

    response = admin_client_api.get(URL, query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["interval"]
    assert "cost 17712, more than the 9000" in response.json()["errors"]["interval"][0]
    assert OpsAuditLog.objects.get().action == AuditAction.VIEW_TIMESERIES_DENIED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-10-01", "end": "2026-11-11", "interval": "hour"},  # 984 x 9 = 8,856: no comparison
        {"start": "2026-10-01", "end": "2026-11-11", "interval": "hour", "compare": "true",
         "metrics": "bookings_created,revenue,complaints_created"},  # 984 x 2 x 3 = 5,904
        {"start": "2026-08-26", "end": "2026-11-26", "compare": "true"},  # the page's largest default: 92 days by day
        {"period": "today", "compare": "true"},
        {"period": "month", "compare": "true"},
    ],
)
def test_series_within_the_budget_are_served(admin_client_api, frozen, query):
    assert admin_client_api.get(URL, query).status_code == 200


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.django_db(transaction=True)
def test_a_second_concurrent_cold_computation_of_the_same_user_is_429(monkeypatch):
    # A superuser: a transactional test's database has no groups from the data migration after the first flush.
    user = UserFactory(is_superuser=True)
    token = Token.objects.create(user=user).key
    started, release = threading.Event(), threading.Event()
    compute = dashboard.timeseries

    def slow_timeseries(**kwargs):
        if kwargs["query"].period == "week":  # the first request's computation, held until released
            started.set()
            assert release.wait(DEADLINE)
        return compute(**kwargs)

    monkeypatch.setattr(dashboard, "timeseries", slow_timeseries)
    first: dict = {}

    def request_first() -> None:
        try:
            first["response"] = _client(token).get(URL, {"period": "week"})
        finally:
            connections.close_all()

    thread = threading.Thread(target=request_first)
    thread.start()
    try:
        assert started.wait(DEADLINE)
        # Another query is another key: a cold computation of its own, refused while the first one runs.
        second = _client(token).get(URL, {"period": "month"})
        # The page asks for the metrics while its series compute: the other endpoint is served.
        metrics = _client(token).get(METRICS_URL, {"period": "week"})
        # Another user is not held up either.
        other = _client(Token.objects.create(user=UserFactory(is_superuser=True)).key).get(URL, {"period": "today"})
    finally:
        release.set()
        thread.join(DEADLINE)
    assert not thread.is_alive()

    assert (second.status_code, second["Retry-After"]) == (429, "2")
    assert "still running" in second.json()["detail"]
    assert (first["response"].status_code, metrics.status_code, other.status_code) == (200, 200, 200)
    assert list(OpsAuditLog.objects.filter(user=user).order_by("id").values_list("action", flat=True)) == [
        AuditAction.VIEW_TIMESERIES_DENIED, AuditAction.VIEW_METRICS, AuditAction.VIEW_TIMESERIES
    ]
    # The slot was released: the refused query is served now.
    assert _client(token).get(URL, {"period": "month"}).status_code == 200
