"""The cached metrics on real Redis and PostgreSQL: per-table generations on commit, single flight, Redis failure."""
import json
import logging
import re
import socket
import threading
import time
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from redis import Redis
from redis.connection import AbstractConnection

from bookings.factories import BookingFactory
from bookings.models import Booking
from complaints.factories import ComplaintFactory
from ops_metrics.cache import backend as metrics_cache_access
from ops_metrics.cache import generations as metrics_cache
from ops_metrics.cache.backend import cache_call
from ops_metrics.cache.generations import read_generations
from ops_metrics.cache.payloads import CONFIG_KEY, config_under, metrics_key, source_tables
from ops_metrics.constants import ALL_GROUPS, MetricGroup, Period, SourceTable
from ops_metrics.models import OpsConfig
from ops_metrics.services import dashboard as services
from ops_metrics.services.dashboard import cached_dashboard_metrics, invalidate_metrics_cache
from staff.factories import StaffFactory

BERLIN = ZoneInfo("Europe/Berlin")
READER_GROUPS = tuple(group for group in ALL_GROUPS if group != MetricGroup.REVENUE)


def get_ops_config() -> OpsConfig:
    """The config row as a payload computation gets it: cached under the config table's generation."""
    generations, found = read_generations(names=[SourceTable.CONFIG], values=[CONFIG_KEY])
    return config_under(generations[SourceTable.CONFIG], found.get(CONFIG_KEY))


def current_generation(table: str = "bookings") -> int:
    return read_generations(names=[table])[0][table]


def _booking_total() -> int:
    return cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS]).payload["bookings"]["total"]


def _save_config(**fields) -> None:
    config = OpsConfig.objects.get_or_create(pk=OpsConfig.SINGLETON_PK)[0]
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()


def _in_thread(target):
    """Run `target` in another thread with its own database connection (a concurrent request); return its result."""
    result = {}

    def run():
        try:
            result["value"] = target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result["value"]


def _table_queries(queries, table: str) -> list[str]:
    """The queries that read `table` (quoted by the ORM, bare in the rollup engine's SQL)."""
    return [q["sql"] for q in queries if re.search(rf'(^|[\s"]){table}($|[\s"])', q["sql"])]


def _concurrent_today_bookings(workers: int) -> list:
    """`workers` threads (own connections) asking for today's bookings at the same moment; their results."""
    barrier = threading.Barrier(workers)
    results = [None] * workers

    def request(index):
        barrier.wait()
        results[index] = cached_dashboard_metrics(period=Period.TODAY, groups=[MetricGroup.BOOKINGS])

    threads = [threading.Thread(target=_in_thread, args=(lambda i=i: request(i),)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def counting_service(monkeypatch):
    """Wrap the computation in a slow pass-through that counts its calls."""
    calls = []
    lock = threading.Lock()
    compute = services.dashboard_metrics

    def fake(*, period, groups, config, now, custom=None, staff=None):
        with lock:
            calls.append((period, tuple(groups)))
        time.sleep(0.3)
        return compute(period=period, groups=groups, config=config, now=now, custom=custom, staff=staff)

    monkeypatch.setattr("ops_metrics.services.dashboard.dashboard_metrics", fake)
    return calls


@pytest.fixture
def closed_port_cache():
    """The default cache pointed at a port nothing listens on, with the project's django-redis options."""
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache", "run with REDIS_URL set"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{port}/0"}
    with override_settings(CACHES={"default": down}):
        yield


@pytest.mark.django_db
def test_second_call_is_a_hit_with_no_query_at_all():
    BookingFactory.create_batch(2)
    first = cached_dashboard_metrics(period=Period.WEEK, groups=ALL_GROUPS)

    with CaptureQueriesContext(connection) as queries:
        second = cached_dashboard_metrics(period=Period.WEEK, groups=ALL_GROUPS)

    assert (first.hit, second.hit) == (False, True)
    assert queries.captured_queries == []
    assert second.payload == first.payload
    assert second.payload["bookings"]["total"] == 2
    # Cached as rendered: plain JSON types, nothing left for a hit to serialize.
    assert json.loads(json.dumps(second.payload)) == second.payload
    assert datetime.fromisoformat(second.payload["generated_at"]).tzinfo is not None
    assert second.payload["generated_at"].endswith("Z")
    assert second.payload["revenue"]["total"] == "0.00"
    assert second.etag == first.etag


@pytest.mark.perf_contract(reason="a hit reads generations, config and the tagged entry in one MGET: one round trip")
@pytest.mark.django_db
def test_a_hit_costs_one_cache_round_trip():
    cached_dashboard_metrics(period=Period.WEEK, groups=ALL_GROUPS)

    with mock.patch.object(Redis, "execute_command", autospec=True, side_effect=Redis.execute_command) as commands:
        assert cached_dashboard_metrics(period=Period.WEEK, groups=ALL_GROUPS).hit is True

    assert [call.args[1] for call in commands.call_args_list] == ["MGET"]


@pytest.mark.django_db(transaction=True)
def test_config_read_while_its_save_commits_is_not_served_afterwards():
    get_ops_config()

    with transaction.atomic():
        _save_config(metrics_cache_ttl_seconds=5)
        during = _in_thread(get_ops_config)  # another connection still sees the committed row
        during_again = _in_thread(get_ops_config)

    assert (during.metrics_cache_ttl_seconds, during_again.metrics_cache_ttl_seconds) == (300, 300)
    assert get_ops_config().metrics_cache_ttl_seconds == 5


@pytest.mark.django_db
def test_config_lost_to_a_failed_invalidation_is_re_read_within_five_minutes():
    get_ops_config()
    with mock.patch.object(metrics_cache, "_move_generations_on"):  # the bump never reaches the cache
        _save_config(metrics_cache_ttl_seconds=7)

    assert get_ops_config().metrics_cache_ttl_seconds == 300  # stale while the cached copy lives
    assert 0 < cache_call("ttl", CONFIG_KEY) <= 300


@pytest.mark.django_db
def test_group_order_and_repeats_share_one_entry():
    first = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.SLA, MetricGroup.BOOKINGS])
    second = cached_dashboard_metrics(
        period=Period.ALL, groups=[MetricGroup.BOOKINGS, MetricGroup.SLA, MetricGroup.BOOKINGS]
    )

    assert (first.hit, second.hit) == (False, True)


@pytest.mark.django_db
def test_admin_warmed_entry_never_answers_a_call_without_revenue():
    BookingFactory(status="confirmed")
    admin = cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS)
    reader = cached_dashboard_metrics(period=Period.ALL, groups=READER_GROUPS)
    reader_again = cached_dashboard_metrics(period=Period.ALL, groups=READER_GROUPS)

    assert admin.payload["revenue"]["total"] is not None
    assert (admin.hit, reader.hit, reader_again.hit) == (False, False, True)
    assert MetricGroup.REVENUE not in reader.payload
    assert MetricGroup.REVENUE not in reader_again.payload
    assert reader.etag != admin.etag


@pytest.mark.django_db
def test_a_write_leaves_answers_that_do_not_read_its_table_valid(django_capture_on_commit_callbacks):
    groups = {name: [name] for name in (MetricGroup.BOOKINGS, MetricGroup.REVENUE, MetricGroup.COMPLAINTS,
                                        MetricGroup.SLA, MetricGroup.REALTIME)}

    def hits() -> dict[str, bool]:
        return {name: cached_dashboard_metrics(period=Period.ALL, groups=asked).hit for name, asked in groups.items()}

    hits()
    with django_capture_on_commit_callbacks(execute=True):
        BookingFactory()
    after_booking = hits()
    with django_capture_on_commit_callbacks(execute=True):
        ComplaintFactory()
    after_complaint = hits()
    with django_capture_on_commit_callbacks(execute=True):
        StaffFactory()
    after_staff = hits()
    with django_capture_on_commit_callbacks(execute=True):
        _save_config(sla_at_risk_buffer_minutes=30)
    after_config = hits()

    assert after_booking == {"bookings": False, "revenue": False, "complaints": True, "sla": True, "realtime": False}
    assert after_complaint == {"bookings": True, "revenue": True, "complaints": False, "sla": False, "realtime": False}
    assert after_staff == {"bookings": True, "revenue": True, "complaints": True, "sla": True, "realtime": False}
    assert after_config == dict.fromkeys(groups, False)


@pytest.mark.django_db(transaction=True)
def test_write_committing_during_a_concurrent_miss_leaves_no_stale_entry():
    BookingFactory()
    get_ops_config()  # the row exists before the open transaction, so the other thread never waits on it
    generation = current_generation()

    with transaction.atomic():
        BookingFactory()
        during = _in_thread(_booking_total)
        during_again = _in_thread(lambda: cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS]))
        assert current_generation() == generation

    after = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])
    assert during == 1
    assert during_again.hit is True  # the pre-commit figure was cached ...
    assert current_generation() == generation + 1
    assert after.hit is False  # ... and is never served once the write has committed
    assert after.payload["bookings"]["total"] == 2
    assert after.etag != during_again.etag


@pytest.mark.django_db(transaction=True)
def test_rolled_back_write_invalidates_nothing():
    get_ops_config()  # creating the row is itself a committed write that moves the generation on
    BookingFactory()
    first = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])
    generation = current_generation()

    with pytest.raises(RuntimeError), transaction.atomic():
        BookingFactory()
        raise RuntimeError("rolled back")

    again = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])
    assert current_generation() == generation
    assert (first.hit, again.hit) == (False, True)
    assert again.etag == first.etag


@pytest.mark.django_db
def test_etag_is_stable_across_hits_and_changes_after_a_committed_write(django_capture_on_commit_callbacks):
    first = cached_dashboard_metrics(period=Period.MONTH, groups=ALL_GROUPS)
    hit = cached_dashboard_metrics(period=Period.MONTH, groups=ALL_GROUPS)
    with django_capture_on_commit_callbacks(execute=True):
        BookingFactory()
    after_write = cached_dashboard_metrics(period=Period.MONTH, groups=ALL_GROUPS)

    assert first.etag.startswith('"') and first.etag.endswith('"')
    assert hit.etag == first.etag
    assert after_write.hit is False
    assert after_write.etag != first.etag


@pytest.mark.parametrize("period", [Period.TODAY, Period.ALL])
@pytest.mark.django_db
def test_local_midnight_rolls_every_period_over(period, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _save_config(timezone="Europe/Berlin")
        BookingFactory(created_at=datetime(2026, 3, 10, 23, 0, tzinfo=BERLIN))

    with time_machine.travel(datetime(2026, 3, 10, 23, 59, 59, tzinfo=BERLIN), tick=False):
        before = cached_dashboard_metrics(period=period, groups=[MetricGroup.BOOKINGS])
        before_hit = cached_dashboard_metrics(period=period, groups=[MetricGroup.BOOKINGS])
    with time_machine.travel(datetime(2026, 3, 11, 0, 0, 1, tzinfo=BERLIN), tick=False):
        after = cached_dashboard_metrics(period=period, groups=[MetricGroup.BOOKINGS])

    assert (before.hit, before_hit.hit, after.hit) == (False, True, False)
    assert before.payload["bookings"]["today"] == 1
    assert after.payload["bookings"]["today"] == 0
    assert after.etag != before.etag


@pytest.mark.django_db
def test_ttl_changes_take_effect_at_once(django_capture_on_commit_callbacks):
    BookingFactory()
    cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS)
    assert cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS).hit is True

    with django_capture_on_commit_callbacks(execute=True):
        _save_config(metrics_cache_ttl_seconds=0)
    uncached = [cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS) for _ in range(2)]
    with CaptureQueriesContext(connection) as queries:
        third = cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS)

    assert [result.hit for result in [*uncached, third]] == [False, False, False]
    assert _table_queries(queries.captured_queries, Booking._meta.db_table)  # computed again

    with django_capture_on_commit_callbacks(execute=True):
        _save_config(metrics_cache_ttl_seconds=60)
    assert [cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS).hit for _ in range(2)] == [False, True]


@pytest.mark.django_db
def test_bulk_writes_are_seen_after_the_public_invalidation(django_capture_on_commit_callbacks):
    BookingFactory()
    assert _booking_total() == 1
    Booking.objects.bulk_create([BookingFactory.build(), BookingFactory.build()])
    assert _booking_total() == 1  # bulk_create sends no signal: the cache still answers

    with django_capture_on_commit_callbacks(execute=True):
        invalidate_metrics_cache()
    after_create = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])
    with django_capture_on_commit_callbacks(execute=True):
        Booking.objects.update(status="cancelled")
        invalidate_metrics_cache()
    after_update = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])

    assert (after_create.hit, after_create.payload["bookings"]["total"]) == (False, 3)
    assert after_update.hit is False
    assert after_update.payload["bookings"]["by_status"]["cancelled"] == 3


@pytest.mark.django_db(transaction=True)
def test_public_invalidation_waits_for_the_surrounding_transaction():
    generation = current_generation()

    with transaction.atomic():
        invalidate_metrics_cache()
        assert current_generation() == generation
    committed = current_generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        invalidate_metrics_cache()
        raise RuntimeError("rolled back")

    assert committed == generation + 1
    assert current_generation() == committed
    invalidate_metrics_cache()  # outside any transaction: at once
    assert current_generation() == committed + 1


@pytest.mark.django_db
def test_a_lost_counter_restarts_away_from_every_number_it_handed_out(django_capture_on_commit_callbacks):
    # More writes than milliseconds elapsed: a restart from the clock would hand out the first number again.
    with time_machine.travel(timezone.now(), tick=False):
        stale = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])
        handed_out = {current_generation()}
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                BookingFactory()
            handed_out.add(current_generation())
        cache_call("delete", metrics_cache.cache_key("generation", "bookings"))  # evicted, or culled by a full local-memory cache

        # A second on (the bookings are created at the frozen instant, and windows end before `now`), same day.
        later = timezone.now() + timedelta(seconds=1)
        after = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS], now=later)

    assert len(handed_out) == 4
    assert stale.payload["bookings"]["total"] == 0
    assert current_generation() not in handed_out
    assert (after.hit, after.payload["bookings"]["total"]) == (False, 3)


@pytest.mark.django_db(transaction=True)
def test_concurrent_cold_misses_compute_once(counting_service):
    get_ops_config()
    workers = 8
    results = _concurrent_today_bookings(workers)

    assert counting_service == [(Period.TODAY, (MetricGroup.BOOKINGS,))]
    assert sorted(result.hit for result in results) == [False] + [True] * (workers - 1)
    assert len({result.etag for result in results}) == 1
    assert all(result.payload == results[0].payload for result in results)


@pytest.mark.django_db
def test_a_lock_whose_holder_died_delays_but_does_not_block(counting_service, monkeypatch):
    monkeypatch.setattr(metrics_cache, "POLL_ATTEMPTS", 2)
    monkeypatch.setattr(metrics_cache, "POLL_SECONDS", 0)
    now = datetime(2026, 3, 10, 12, 0, tzinfo=BERLIN)
    config = get_ops_config()
    key = metrics_key(period=Period.ALL, groups=(MetricGroup.BOOKINGS,))
    tag = metrics_cache.tag_of(generations=read_generations(names=source_tables([MetricGroup.BOOKINGS]))[0],
                               local_date=now.astimezone(ZoneInfo(config.timezone)).date())
    lock = metrics_cache.lock_key(key, tag)
    cache_call("add", lock, "someone-else", timeout=60)

    first = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS], now=now)
    second = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS], now=now)

    assert (first.hit, second.hit) == (False, True)
    assert len(counting_service) == 1
    assert cache_call("get", lock) == "someone-else"  # not ours, not released


@pytest.mark.django_db
def test_cache_on_a_closed_port_degrades_to_the_database(
    closed_port_cache, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    BookingFactory.create_batch(3)
    sleeps = []
    monkeypatch.setattr(metrics_cache.time, "sleep", sleeps.append)

    with caplog.at_level(logging.WARNING, logger="ops_metrics.cache"):
        results = [cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS) for _ in range(2)]
        with django_capture_on_commit_callbacks(execute=True):
            invalidate_metrics_cache()

    assert [result.hit for result in results] == [False, False]
    assert [result.payload["bookings"]["total"] for result in results] == [3, 3]
    assert sleeps == []  # "unreachable" was never taken for "lock held by another request"
    assert sum(record.exc_info is not None for record in caplog.records) == 1  # one traceback for the outage
    assert any("not invalidated yet; retrying" in message for message in caplog.messages)


@pytest.mark.django_db
def test_a_down_cache_costs_one_connection_attempt_then_none_until_the_backoff_ends(
    closed_port_cache, django_capture_on_commit_callbacks
):
    with mock.patch.object(AbstractConnection, "connect", autospec=True, side_effect=AbstractConnection.connect) as tries:
        cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS)
        first_request = tries.call_count
        cached_dashboard_metrics(period=Period.ALL, groups=ALL_GROUPS)
        second_request = tries.call_count - first_request
        with django_capture_on_commit_callbacks(execute=True):
            invalidate_metrics_cache()
        invalidation = tries.call_count - first_request - second_request

    assert (first_request, second_request, invalidation) == (1, 0, 1)


@pytest.mark.django_db(transaction=True)
def test_an_invalidation_lost_to_a_redis_pause_is_delivered_before_the_next_answer():
    BookingFactory()
    assert _booking_total() == 1
    admin = Redis.from_url(settings.CACHES["default"]["LOCATION"])
    admin.execute_command("CLIENT", "PAUSE", 1200, "ALL")  # every client's command waits: socket timeouts
    try:
        BookingFactory()  # committed; its invalidation times out and is kept pending
        assert metrics_cache.pending_invalidations() == {"bookings"}
        deadline = time.monotonic() + 10
        while metrics_cache.pending_invalidations():  # the retry thread delivers it once Redis answers again
            assert time.monotonic() < deadline, "the pending invalidation was never delivered"
            time.sleep(0.05)
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
    metrics_cache_access.forget_unreachable()

    after = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])

    assert (after.hit, after.payload["bookings"]["total"]) == (False, 2)


@pytest.mark.django_db
def test_a_pending_invalidation_is_delivered_before_this_process_reads_the_cache(monkeypatch, caplog):
    monkeypatch.setattr(metrics_cache, "_start_retrier", lambda: None)  # only the read path delivers it here
    BookingFactory()
    assert _booking_total() == 1
    Booking.objects.update(total_amount=5)
    BookingFactory()
    with mock.patch.object(metrics_cache, "_move_on", side_effect=metrics_cache.CacheUnavailable("paused")):
        metrics_cache._move_generations_on(["bookings"])
    assert metrics_cache.pending_invalidations() == {"bookings"}

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ops_metrics.cache"):
        after = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])

    assert (after.hit, after.payload["bookings"]["total"]) == (False, 2)
    assert metrics_cache.pending_invalidations() == frozenset()
    # The operator is told the outage's invalidation went through in the end.
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "metrics cache invalidation delivered after the cache came back")
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_misses_compute_once_per_process_while_the_cache_is_down(closed_port_cache, counting_service):
    OpsConfig.load()
    workers = 6
    results = _concurrent_today_bookings(workers)

    assert counting_service == [(Period.TODAY, (MetricGroup.BOOKINGS,))]
    assert [result.hit for result in results] == [False] * workers
    assert len({result.etag for result in results}) == 1


WRITER = """
from bookings.factories import BookingFactory
BookingFactory(reference="FROM-ANOTHER-PROCESS")
"""


@pytest.mark.django_db(transaction=True)
def test_a_write_from_a_process_that_exits_while_the_cache_is_unreachable_shows_within_ten_seconds():
    """The writer cannot reach Redis and exits at once; a reader that cached the old figure serves the new one soon."""
    import os
    import subprocess
    import sys

    get_ops_config()
    before = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS])
    assert before.payload["bookings"]["total"] == 0
    database = connection.settings_dict
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/15",
           "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"}
    writer = subprocess.run([sys.executable, "manage.py", "shell", "-c", WRITER], env=env, capture_output=True,
                            text=True, timeout=60, cwd=settings.BASE_DIR)
    assert writer.returncode == 0, writer.stderr
    assert "not invalidated yet" in writer.stderr

    # As in a process that has just looked: the writer's start-up alone can outlast the look's interval on a busy host.
    metrics_cache.postpone_recorded_check()
    deadline = time.monotonic() + 10
    totals = []
    while time.monotonic() < deadline:
        totals.append(cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS]).payload["bookings"]["total"])
        if totals[-1] == 1:
            break
        time.sleep(0.2)
    assert totals[0] == 0  # served from the cache until a look at the recorded invalidations
    assert totals[-1] == 1
    assert not metrics_cache.PendingInvalidation.objects.exists()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bookings_total(**kwargs) -> tuple[int, int | None]:
    result = cached_dashboard_metrics(period=Period.ALL, groups=[MetricGroup.BOOKINGS], **kwargs)
    return result.payload["bookings"]["total"], result.age


@pytest.mark.django_db(transaction=True)
def test_max_staleness_serves_the_previous_figures_while_one_request_recomputes(configure):
    OpsConfig.objects.update_or_create(pk=OpsConfig.SINGLETON_PK, defaults={"max_staleness_seconds": 60})
    assert _bookings_total() == (0, None)
    BookingFactory()  # committed: the bookings generation moves on

    with time_machine.travel(timezone.now() + timedelta(seconds=7), tick=True):
        total, age = _bookings_total()  # the older generation and its age, while a background refresh computes
    assert total == 0
    assert 7 <= age < 60
    deadline = time.monotonic() + 10
    while (current := _bookings_total()) != (1, None) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert current == (1, None)


@pytest.mark.django_db(transaction=True)
def test_max_staleness_never_serves_figures_older_than_it(configure):
    OpsConfig.objects.update_or_create(pk=OpsConfig.SINGLETON_PK, defaults={"max_staleness_seconds": 60})
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert _bookings_total() == (0, None)
        BookingFactory(created_at=timezone.now() - timedelta(seconds=1))
        traveller.shift(timedelta(seconds=61))
        assert _bookings_total() == (1, None)  # the cached figures are 61 s old: computed now, not served


@pytest.mark.django_db(transaction=True)
def test_without_max_staleness_a_write_shows_at_once():
    assert _bookings_total() == (0, None)
    BookingFactory()
    assert _bookings_total() == (1, None)


@pytest.mark.parametrize(("every", "again"), [(0.0, True), (0.6, False)])
def test_a_refresh_starts_at_most_once_per_interval(every, again):
    """Back to back without an interval; with one, a refresh that finished early still holds the next one back."""
    done = []

    def started() -> bool:
        finished = threading.Event()
        if not metrics_cache.refresh_in_background(
            key="k", tag="t", ttl=60, compute=lambda: (done.append(1), finished.set()), every=every
        ):
            return False
        assert finished.wait(5)
        time.sleep(0.1)  # the lock released, or its expiry set
        return True

    assert started()
    assert started() is again
    time.sleep(every)
    assert started()
