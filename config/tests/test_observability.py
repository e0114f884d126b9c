"""Prometheus endpoint: off unless configured, guarded by token and/or network; Django and service metrics exposed."""
import re

import pytest
from django.test import Client

URL = "/metrics/prometheus"


def test_disabled_without_token_or_networks(db):
    assert Client().get(URL).status_code == 404


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 403), ("Bearer wrong-token", 403), ("Token s3cret-scrape-token", 403), ("Bearer s3cret-scrape-token", 200)],
)
def test_token_protects_the_endpoint(db, settings, authorization, status):
    settings.PROMETHEUS_TOKEN = "s3cret-scrape-token"
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    assert Client().get(URL, **headers).status_code == status


@pytest.mark.parametrize(("address", "status"), [("10.1.2.3", 200), ("192.168.1.20", 403), ("::1", 403)])
def test_allowed_networks_protect_the_endpoint(db, settings, address, status):
    settings.PROMETHEUS_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.1/32"]

    assert Client(REMOTE_ADDR=address).get(URL).status_code == status


def test_token_and_network_are_both_required_when_both_are_set(db, settings):
    settings.PROMETHEUS_TOKEN = "s3cret-scrape-token"
    settings.PROMETHEUS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    token = {"HTTP_AUTHORIZATION": "Bearer s3cret-scrape-token"}

    assert Client(REMOTE_ADDR="192.168.1.20").get(URL, **token).status_code == 403
    assert Client(REMOTE_ADDR="10.1.2.3").get(URL).status_code == 403
    assert Client(REMOTE_ADDR="10.1.2.3").get(URL, **token).status_code == 200


def test_exposes_django_http_and_database_metrics_and_the_service_metrics(superuser_client_api, settings):
    settings.PROMETHEUS_TOKEN = "s3cret-scrape-token"
    for _ in range(2):  # a miss (computed), then a hit
        superuser_client_api.get("/api/v1/ops/dashboard/metrics", {"include": "bookings", "period": "week"})

    response = Client().get(URL, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    body = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert 'django_http_responses_total_by_status_total{status="200"}' in body
    assert 'django_db_execute_total{alias="default",vendor="postgresql"}' in body
    for name in ("hits", "misses"):
        assert re.search(rf'^ops_metrics_cache_{name}_total{{kind="metrics"}} [1-9]', body, re.MULTILINE)
    assert re.search(r'^ops_metrics_computation_seconds_count{engine="(scan|rollup)",kind="metrics",period="week"} [1-9]',
                     body, re.MULTILINE)
    for name in ("cache_invalidation_failures", "audit_write_failures"):
        assert re.search(rf"^ops_metrics_{name}_total \d", body, re.MULTILINE)
