"""Receivers: a committed write to a watched model moves its own table's generation on, once."""
import pytest
from django.db import transaction
from django.test import Client

from bookings.factories import BookingFactory
from bookings.models import Booking
from complaints.factories import ComplaintFactory
from complaints.models import Complaint
from complaints.signals import complaints_bulk_updated
from ops_metrics.cache.generations import read_generations
from ops_metrics.constants import PERMISSIONS_GENERATION, AuditAction, SourceTable
from ops_metrics.models import OpsAuditLog, OpsConfig
from ops_metrics.receivers import connect_receivers
from staff.factories import StaffFactory, UserFactory

TABLES = ["bookings", "complaints", "staff", "config"]


def generations() -> dict[str, int]:
    return read_generations(names=TABLES)[0]


def current_generation(table: str = "bookings") -> int:
    return generations()[table]


@pytest.mark.parametrize(
    ("factory", "table"),
    [(BookingFactory, "bookings"), (ComplaintFactory, "complaints"), (StaffFactory, "staff")],
)
@pytest.mark.django_db
def test_save_and_delete_move_only_their_own_table_on(factory, table, django_capture_on_commit_callbacks):
    before = generations()
    with django_capture_on_commit_callbacks(execute=True) as on_save:
        instance = factory()
    with django_capture_on_commit_callbacks(execute=True) as on_delete:
        instance.delete()

    assert (len(on_save), len(on_delete)) == (1, 1)
    assert generations() == {**before, table: before[table] + 2}


@pytest.mark.django_db
def test_ops_config_save_moves_the_config_generation_on(django_capture_on_commit_callbacks):
    config = OpsConfig.load()
    before = generations()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        config.save()

    assert len(callbacks) == 1
    assert generations() == {**before, SourceTable.CONFIG: before[SourceTable.CONFIG] + 1}


@pytest.mark.django_db
def test_connecting_again_does_not_double_the_receivers(django_capture_on_commit_callbacks):
    connect_receivers()
    connect_receivers()
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
        user.save(update_fields=["last_login"])

    assert callbacks == []


@pytest.mark.django_db
def test_a_user_save_moves_only_the_permissions_generation_on(django_capture_on_commit_callbacks):
    user = UserFactory()
    before = generations()
    permissions = read_generations(names=[PERMISSIONS_GENERATION])[0][PERMISSIONS_GENERATION]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user.save()

    assert len(callbacks) == 1
    assert generations() == before
    assert read_generations(names=[PERMISSIONS_GENERATION])[0][PERMISSIONS_GENERATION] == permissions + 1


@pytest.mark.django_db(transaction=True)
def test_generation_moves_on_once_per_committed_write_and_not_on_rollback():
    generation = current_generation()

    with transaction.atomic():
        BookingFactory()
        BookingFactory()
        assert current_generation() == generation
    after_commit = current_generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        BookingFactory()
        raise RuntimeError("rolled back")

    assert after_commit == generation + 2
    assert current_generation() == after_commit


@pytest.mark.django_db
def test_a_bulk_update_of_complaints_moves_only_the_complaints_generation_on_once(django_capture_on_commit_callbacks):
    connect_receivers()  # again: still one receiver
    before = generations()
    with django_capture_on_commit_callbacks(execute=True):
        complaints_bulk_updated.send(sender=Complaint, pks=frozenset({1, 2}))

    assert generations() == {**before, SourceTable.COMPLAINTS: before[SourceTable.COMPLAINTS] + 1}


@pytest.mark.django_db
def test_the_bulk_signal_of_another_sender_moves_nothing(django_capture_on_commit_callbacks):
    before = generations()
    with django_capture_on_commit_callbacks(execute=True):
        complaints_bulk_updated.send(sender=Booking, pks=frozenset({1}))

    assert generations() == before


METRICS_URL = "/api/v1/ops/dashboard/metrics"


def _denied_rows() -> list[tuple[str, str, str]]:
    return list(OpsAuditLog.objects.values_list("username", "action", "resource_type"))


@pytest.mark.django_db
def test_a_session_post_without_a_csrf_token_is_refused_and_audited_once(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(METRICS_URL)

    assert response.status_code == 403
    assert _denied_rows() == [(admin_user.username, "view_metrics_denied", "dashboard_metrics")]


@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_with_a_request_id_and_an_audit_row(admin_client_api, admin_user, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("ops_metrics.services.dashboard.metrics_for_user", fail)
    admin_client_api.raise_request_exception = False

    response = admin_client_api.get(f"{METRICS_URL}?period=week", HTTP_X_REQUEST_ID="probe-500")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["request_id"] == response["X-Request-ID"]
    assert "boom" not in response.content.decode()
    assert _denied_rows() == [(admin_user.username, "view_metrics_denied", "dashboard_metrics")]


@pytest.mark.django_db
def test_a_refusal_outside_the_ops_endpoints_writes_no_audit_row(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    assert client.post("/api-auth/logout/").status_code == 403
    assert _denied_rows() == []
