"""Concurrent writers on several connections: no wait on a summary row, no deadlock, no lost update, verify clean."""
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from bookings.models import Booking, BookingStatus
from complaints.models import Complaint, ComplaintStatus
from ops_metrics.rollups.maintenance import compact, rebuild
from ops_metrics.rollups.state import rollups_current, summary_differences
from ops_metrics.tests.rollups.support import assert_engines_agree

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the summaries exist only on PostgreSQL")

NOW = datetime(2026, 11, 18, 13, 7, tzinfo=UTC)
# Every writer dates its rows inside these two 15-minute buckets: the same summary keys, as hot as they get.
HOT = (NOW - timedelta(minutes=20), NOW - timedelta(minutes=5))


def _in_thread(work):
    def run(*args):
        try:
            with connection.cursor() as cursor:
                # A writer that had to wait on another's summary row would fail here instead of hanging.
                cursor.execute("SET lock_timeout = '3s'")
            return work(*args)
        finally:
            connections.close_all()
    return run


def test_an_uncommitted_writer_holds_up_no_other_writer_of_the_same_buckets(transactional_db):
    started, release = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():
            Booking.objects.create(reference="HOLD", customer_name="x", total_amount=Decimal("1"), created_at=HOT[0])
            Complaint.objects.create(subject="x", created_at=HOT[0], resolved_at=HOT[1], first_response_at=HOT[1])
            compact(using="default")  # holds the fold lock and the keyed rows it folded into until commit
            started.set()
            release.wait(10)

    def other():
        started.wait(10)
        for index in range(3):
            Booking.objects.create(reference=f"OTHER-{index}", customer_name="x", total_amount=Decimal("2"),
                                   created_at=HOT[0])
            Complaint.objects.create(subject="x", created_at=HOT[0], resolved_at=HOT[1], first_response_at=HOT[1])
        Booking.objects.filter(reference__startswith="OTHER").update(status=BookingStatus.CANCELLED)
        release.set()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_in_thread(holder)), pool.submit(_in_thread(other))]
        for future in futures:
            future.result(timeout=30)
    assert summary_differences(using="default") == {}


def _writer(number: int, transactions: int) -> int:
    """Random transactions on this writer's own rows, all dated in the hot buckets; returns the bookings it left."""
    rng = random.Random(number)
    mine = []
    for step in range(transactions):
        with transaction.atomic():
            choice = rng.random()
            if choice < 0.4 or not mine:
                rows = Booking.objects.bulk_create(
                    Booking(reference=f"W{number}-{step}-{i}", customer_name="x", total_amount=Decimal("1.25"),
                            created_at=rng.choice(HOT), status=rng.choice(BookingStatus.values))
                    for i in range(rng.randint(1, 20))
                )
                mine += [row.pk for row in rows]
                Complaint.objects.create(subject="x", created_at=rng.choice(HOT), response_due_at=NOW,
                                         first_response_at=rng.choice([None, HOT[1]]), resolved_at=HOT[1])
            elif choice < 0.7:
                Booking.objects.filter(pk__in=rng.sample(mine, min(len(mine), 10))).update(
                    status=rng.choice(BookingStatus.values), total_amount=Decimal(rng.randint(0, 999)),
                )
            elif choice < 0.85:
                gone = rng.sample(mine, min(len(mine), 3))
                Booking.objects.filter(pk__in=gone).delete()
                mine = [pk for pk in mine if pk not in gone]
            else:
                booking = Booking.objects.get(pk=rng.choice(mine))
                booking.created_at = rng.choice(HOT)
                booking.status = BookingStatus.COMPLETED
                booking.save()
    return len(mine)


def _maintenance(stop: threading.Event) -> int:
    """Compactions and one rebuild while the writers write."""
    passes = 0
    while not stop.is_set():
        if passes == 3:
            rebuild(using="default")
        else:
            compact(using="default")
        passes += 1
    return passes


@pytest.mark.parametrize("writers", [6])
def test_concurrent_writers_compaction_and_a_rebuild_keep_the_summaries_exact(transactional_db, writers):
    rebuild(using="default")  # a transactional test starts from a flushed database, state row included
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=writers + 1) as pool:
        maintenance = pool.submit(_in_thread(_maintenance), stop)
        futures = [pool.submit(_in_thread(_writer), number, 60) for number in range(writers)]
        left = sum(future.result(timeout=120) for future in futures)
        stop.set()
        assert maintenance.result(timeout=60) > 3
    assert Booking.objects.count() == left
    assert summary_differences(using="default") == {}
    assert rollups_current(using="default")
    assert Complaint.objects.filter(status=ComplaintStatus.OPEN).exists()
    call_command("ops_rollups", "verify", "--windows", "10", stdout=StringIO())
    assert_engines_agree(now=NOW + timedelta(minutes=1), timezone="Asia/Kathmandu")
