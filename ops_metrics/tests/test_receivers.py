"""Receivers: writes to watched models invalidate the metrics cache once, after commit."""
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bookings.factories import BookingFactory
from complaints.factories import ComplaintFactory
from ops_metrics.cache import current_generation
from ops_metrics.config import get_ops_config
from ops_metrics.constants import AuditAction
from ops_metrics.models import OpsAuditLog, OpsConfig
from ops_metrics.receivers import connect_receivers
from staff.factories import StaffFactory, UserFactory

FACTORIES = [BookingFactory, ComplaintFactory, StaffFactory]


@pytest.mark.parametrize("factory", FACTORIES)
@pytest.mark.django_db
def test_save_and_delete_each_schedule_one_invalidation_on_commit(factory, django_capture_on_commit_callbacks):
    get_ops_config()
    generation = current_generation()
    with django_capture_on_commit_callbacks(execute=True) as on_save:
        instance = factory()
    with django_capture_on_commit_callbacks(execute=True) as on_delete:
        instance.delete()

    assert (len(on_save), len(on_delete)) == (1, 1)
    assert current_generation() == generation + 2


@pytest.mark.django_db
def test_ops_config_save_schedules_one_invalidation(django_capture_on_commit_callbacks):
    config = get_ops_config()
    generation = current_generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        config.save()

    assert len(callbacks) == 1
    assert current_generation() == generation + 1


@pytest.mark.django_db
def test_connecting_again_does_not_double_the_receivers(django_capture_on_commit_callbacks):
    connect_receivers()
    connect_receivers()
    get_ops_config()
    generation = current_generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        BookingFactory()

    assert len(callbacks) == 1
    assert current_generation() == generation + 1


@pytest.mark.django_db
def test_unwatched_models_do_not_invalidate(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        OpsAuditLog.objects.create(user=user, action=AuditAction.VIEW_METRICS)
        user.save()

    assert callbacks == []


@pytest.mark.django_db(transaction=True)
def test_generation_moves_on_once_per_committed_write_and_not_on_rollback():
    get_ops_config()
    generation = current_generation()

    with transaction.atomic():
        staff = StaffFactory()
        BookingFactory(assigned_staff=staff)
        assert current_generation() == generation
    after_commit = current_generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        ComplaintFactory()
        raise RuntimeError("rolled back")

    assert after_commit == generation + 2
    assert current_generation() == after_commit


@pytest.mark.django_db
def test_config_save_is_read_at_once_and_then_costs_no_query(django_capture_on_commit_callbacks):
    assert get_ops_config().metrics_cache_ttl_seconds == 300
    with django_capture_on_commit_callbacks(execute=True):
        config = OpsConfig.objects.get(pk=OpsConfig.SINGLETON_PK)
        config.metrics_cache_ttl_seconds = 5
        config.save()

    reread = get_ops_config()
    with CaptureQueriesContext(connection) as queries:
        again = get_ops_config()

    assert (reread.metrics_cache_ttl_seconds, again.metrics_cache_ttl_seconds) == (5, 5)
    assert queries.captured_queries == []
