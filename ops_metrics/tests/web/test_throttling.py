"""The throttle: one atomic counter per user and window, exact under concurrency, per process when Redis is down."""
import threading
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connections
from django.test import override_settings
from redis import Redis
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory

from ops_metrics.models import OpsConfig
from ops_metrics.web.throttling import OpsMetricsThrottle
from staff.factories import UserFactory

URL = "/api/v1/ops/dashboard/metrics"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_pass_more_than_the_rate():
    # A superuser: a transactional test's database has no groups from the data migration after the first flush.
    token = Token.objects.create(user=UserFactory(is_superuser=True)).key
    # The config row exists before: its creation by the first request would move the config generation on, making
    # later requests a second cold computation of the same user (refused with 429 while the first one runs).
    OpsConfig.load()
    workers, rate = 16, 10
    barrier = threading.Barrier(workers)
    statuses: list[int] = []
    lock = threading.Lock()

    def request() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            status = client.get(URL, {"include": "bookings"}).status_code
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": f"{rate}/min"}}
    with override_settings(REST_FRAMEWORK=rest_framework):
        threads = [threading.Thread(target=request) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(statuses) == [200] * rate + [429] * (workers - rate)


@pytest.mark.django_db
def test_retry_after_is_the_rest_of_the_window(admin_client_api, time_machine):
    time_machine.move_to("2026-11-26T10:30:45Z", tick=False)
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "1/min"}}
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert admin_client_api.get(URL, {"include": "bookings"}).status_code == 200
        refused = admin_client_api.get(URL, {"include": "bookings"})
        time_machine.move_to("2026-11-26T10:31:00Z", tick=False)
        next_window = admin_client_api.get(URL, {"include": "bookings"})

    assert (refused.status_code, refused["Retry-After"]) == (429, "15")
    assert next_window.status_code == 200


@pytest.mark.perf_contract("one Redis round trip per throttled request")
def test_each_request_costs_one_round_trip_and_the_window_expires():
    request = APIRequestFactory().get(URL, REMOTE_ADDR="192.0.2.7")
    request.user = AnonymousUser()
    view = SimpleNamespace(throttle_scope="ops_metrics")
    execute = Redis.execute_command
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "2/min"}}
    with (
        override_settings(REST_FRAMEWORK=rest_framework),
        mock.patch.object(Redis, "execute_command", autospec=True, side_effect=execute) as commands,
    ):
        allowed = []
        for _ in range(3):
            throttle = OpsMetricsThrottle()
            allowed.append(throttle.allow_request(request, view))

    assert allowed == [True, True, False]
    assert [call.args[1] for call in commands.call_args_list] == ["EVAL"] * 3
    key = f"{throttle.key}:{int(throttle.now // throttle.duration)}"
    assert cache.get(key) == 3
    assert 0 < cache.ttl(key) <= 61  # set once, by the window's first request
