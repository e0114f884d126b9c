"""Redis through a real Sentinel: the cache and the metrics API while the master dies and a replica is promoted."""
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.cache import caches
from django_redis.exceptions import ConnectionInterrupted

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from config.tests.topology import RedisSentinelTopology
from ops_metrics.cache import backend as cache_access

METRICS = "/api/v1/ops/dashboard/metrics"
# The cache's socket timeouts are 0.25 s: no operation, and no request, may wait much longer on a dead master.
OPERATION_LIMIT = 1.0
REQUEST_LIMIT = 2.0
FAILOVER_DEADLINE = 20.0

pytestmark = pytest.mark.django_db


def _during_failover(topology: RedisSentinelTopology, old_master: int, step: Callable[[], None]) -> int:
    """Run `step` again and again until a Sentinel names a new master; returns how many times it ran."""
    deadline = time.monotonic() + FAILOVER_DEADLINE
    steps = 0
    while topology.healthy_master() in (None, old_master):
        assert time.monotonic() < deadline, "no promotion within the deadline"
        step()
        steps += 1
        time.sleep(0.05)
    return steps


def test_cache_through_sentinel_fails_fast_during_a_failover_and_works_on_the_new_master(sentinel_cache):
    topology = sentinel_cache
    cache = caches["default"]
    cache.set("before", 1, timeout=None)
    assert cache.get("before") == 1
    topology.wait_replicated()  # the write is on the replica before the master goes
    old_master = topology.kill_master()
    outcomes: list[tuple[str, float]] = []

    def write_and_read() -> None:
        started = time.monotonic()
        try:  # the client, not the backend: with IGNORE_EXCEPTIONS the backend would hide a failure as a miss
            cache.client.set("during", len(outcomes))
            outcome = "ok" if cache.client.get("during") == len(outcomes) else "wrong"
        except ConnectionInterrupted:
            outcome = "failed"
        outcomes.append((outcome, time.monotonic() - started))

    _during_failover(topology, old_master, write_and_read)
    new_master = topology.wait_for_promotion(old_master)

    assert outcomes, "the failover window was not observed"
    assert {outcome for outcome, _ in outcomes} <= {"ok", "failed"}
    assert max(elapsed for _, elapsed in outcomes) < OPERATION_LIMIT
    cache.set("after", 2, timeout=None)
    assert (cache.get("before"), cache.get("after")) == (1, 2)
    assert topology.client(new_master).exists(cache.make_key("after")) == 1


def test_metrics_answer_exact_figures_through_a_failover(
    sentinel_cache, admin_client_api, django_capture_on_commit_callbacks, monkeypatch
):
    topology = sentinel_cache
    # The cache is skipped for a while after a failure; shorter here so the test sees it used again soon.
    monkeypatch.setattr(cache_access, "UNREACHABLE_BACKOFF_SECONDS", 0.5)

    def book(amount: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal(amount))

    def figures() -> tuple[tuple[int, str], str]:
        started = time.monotonic()
        response = admin_client_api.get(METRICS, {"include": "bookings,revenue"})
        assert time.monotonic() - started < REQUEST_LIMIT
        assert response.status_code == 200
        body = response.json()
        return (body["bookings"]["total"], body["revenue"]["total"]), response["X-Cache"]

    book("100.00")
    book("50.00")
    assert figures() == ((2, "150.00"), "miss")
    assert figures() == ((2, "150.00"), "hit")
    old_master = topology.kill_master()
    expected = [(2, "150.00")]

    def answer_then_book_once() -> None:
        assert figures()[0] == expected[-1]
        if len(expected) == 1:  # a write while no master answers: its invalidation cannot be delivered yet
            book("25.00")
            expected.append((3, "175.00"))

    assert _during_failover(topology, old_master, answer_then_book_once) > 1
    topology.wait_for_promotion(old_master)
    assert figures()[0] == (3, "175.00")
    book("10.00")
    assert figures()[0] == (4, "185.00")

    # Once the backoff passes (a pooled connection to the old master may fail once more), answers go through the new
    # master's cache again.
    deadline = time.monotonic() + 10
    while (answer := figures()) != ((4, "185.00"), "hit") and time.monotonic() < deadline:
        assert answer[0] == (4, "185.00")
        time.sleep(0.2)
    assert answer == ((4, "185.00"), "hit")


def test_a_generation_bump_lost_in_the_failover_does_not_bring_back_a_stale_answer(
    sentinel_cache, admin_client_api, django_capture_on_commit_callbacks, monkeypatch
):
    topology = sentinel_cache
    monkeypatch.setattr(cache_access, "UNREACHABLE_BACKOFF_SECONDS", 0.5)

    def book() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("10.00"))

    def total() -> int:
        response = admin_client_api.get(METRICS, {"include": "bookings"})
        assert response.status_code == 200
        return response.json()["bookings"]["total"]

    book()
    assert (total(), total()) == (1, 1)  # cached, and the entry replicated
    topology.wait_replicated()
    # The booking commits and its invalidation reaches the old master only: the new one has the old generation.
    old_master = topology.kill_master_losing(book)
    topology.wait_for_promotion(old_master)
    time.sleep(0.6)  # past any backoff: the cache is read again

    assert total() == 2
