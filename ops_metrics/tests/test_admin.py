"""Admin: OpsConfig is one editable row; the audit log is read-only, filterable and searchable."""
import pytest
from django.contrib.admin.sites import site
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory
from django.urls import reverse

from ops_metrics.constants import AuditAction
from ops_metrics.models import OpsAuditLog, OpsConfig
from staff.factories import UserFactory

pytestmark = pytest.mark.django_db

CONFIG_CHANGE_URL = reverse("admin:ops_opsconfig_change", args=[OpsConfig.SINGLETON_PK])
AUDIT_CHANGELIST_URL = reverse("admin:ops_opsauditlog_changelist")


@pytest.fixture
def superuser():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def superuser_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_config_changelist_goes_straight_to_the_single_row(superuser_client):
    response = superuser_client.get(reverse("admin:ops_opsconfig_changelist"))

    assert response.status_code == 302
    assert response["Location"] == CONFIG_CHANGE_URL
    assert OpsConfig.objects.count() == 1


def test_config_can_be_added_only_while_there_is_no_row(superuser):
    model_admin = site._registry[OpsConfig]

    assert model_admin.has_add_permission(_request(superuser)) is True
    OpsConfig.objects.create()
    assert model_admin.has_add_permission(_request(superuser)) is False
    assert model_admin.has_delete_permission(_request(superuser), OpsConfig.objects.get()) is False


def test_config_is_edited_in_admin(superuser_client):
    config = OpsConfig.objects.create()
    data = {k: v for k, v in model_to_dict(config).items() if k != "id"}
    data.update(metrics_cache_ttl_seconds=30, timezone="Asia/Kathmandu")

    response = superuser_client.post(CONFIG_CHANGE_URL, data)

    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.metrics_cache_ttl_seconds, config.timezone) == (30, "Asia/Kathmandu")


def test_config_delete_page_is_refused(superuser_client):
    OpsConfig.objects.create()

    response = superuser_client.post(reverse("admin:ops_opsconfig_delete", args=[OpsConfig.SINGLETON_PK]))

    assert response.status_code == 403
    assert OpsConfig.objects.count() == 1


def test_config_changelist_needs_a_permission():
    client = Client()
    client.force_login(UserFactory(username="clerk", is_staff=True))

    assert client.get(reverse("admin:ops_opsconfig_changelist")).status_code == 403


@pytest.fixture
def audit_entries(admin_user, reader_user):
    return [
        OpsAuditLog.objects.create(
            user=admin_user, action=AuditAction.VIEW_METRICS, period="week", include=["bookings"], ip_address="10.0.0.7"
        ),
        OpsAuditLog.objects.create(
            user=reader_user, action=AuditAction.VIEW_METRICS_DENIED, period="all", ip_address="192.168.1.20"
        ),
    ]


def _listed(response) -> list[int]:
    return [entry.pk for entry in response.context["cl"].result_list]


def test_audit_changelist_lists_newest_first(superuser_client, audit_entries):
    response = superuser_client.get(AUDIT_CHANGELIST_URL)

    assert response.status_code == 200
    assert _listed(response) == [audit_entries[1].pk, audit_entries[0].pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action__exact": AuditAction.VIEW_METRICS}, [0]),
        ({"action__exact": AuditAction.VIEW_METRICS_DENIED}, [1]),
        ({"q": "ops_reader"}, [1]),
        ({"q": "10.0.0"}, [0]),
        ({"q": "week"}, [0]),
    ],
)
def test_audit_changelist_filters_and_searches(superuser_client, audit_entries, query, expected):
    response = superuser_client.get(AUDIT_CHANGELIST_URL, query)

    assert response.status_code == 200
    assert _listed(response) == [audit_entries[i].pk for i in expected]


def test_audit_changelist_filters_by_user(superuser_client, audit_entries, admin_user):
    response = superuser_client.get(AUDIT_CHANGELIST_URL, {"user__id__exact": admin_user.pk})

    assert _listed(response) == [audit_entries[0].pk]


def test_audit_log_is_read_only_in_admin(superuser, superuser_client, audit_entries):
    model_admin = site._registry[OpsAuditLog]
    request = _request(superuser)
    entry = audit_entries[0]

    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, entry) is False
    assert model_admin.has_delete_permission(request, entry) is False
    assert set(model_admin.get_readonly_fields(request, entry)) == {
        "id", "user", "username", "staff", "action", "resource_type", "period", "include", "figure", "staff_filter",
        "ip_address", "created_at",
    }
    assert superuser_client.get(reverse("admin:ops_opsauditlog_change", args=[entry.pk])).status_code == 200
    assert superuser_client.post(
        reverse("admin:ops_opsauditlog_change", args=[entry.pk]), {"period": "month"}
    ).status_code == 403
    assert superuser_client.post(reverse("admin:ops_opsauditlog_delete", args=[entry.pk])).status_code == 403
    assert superuser_client.get(reverse("admin:ops_opsauditlog_add")).status_code == 403
    assert OpsAuditLog.objects.get(pk=entry.pk).period == "week"


def test_deleting_a_user_says_their_audit_rows_are_kept_and_keeps_them(superuser_client, reader_user, reader_client_api):
    reader_client_api.get("/api/v1/ops/dashboard/metrics", {"include": "sla"})
    reader_client_api.get("/api/v1/ops/dashboard/metrics", {"include": "revenue"})
    delete_url = reverse("admin:auth_user_delete", args=[reader_user.pk])

    confirmation = superuser_client.get(delete_url)

    assert confirmation.status_code == 200
    assert "Their 2 ops audit log rows will be kept" in confirmation.content.decode()
    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert list(OpsAuditLog.objects.values_list("user", "username")) == [(None, "ops_reader_user")] * 2
    listing = superuser_client.get(AUDIT_CHANGELIST_URL, {"q": "ops_reader_user"})
    assert len(_listed(listing)) == 2
    assert "ops_reader_user" in listing.content.decode()


def test_the_bulk_delete_confirmation_says_it_too(superuser_client, reader_user, admin_user, audit_entries):
    response = superuser_client.post(
        reverse("admin:auth_user_changelist"), {"action": "delete_selected", "_selected_action": [reader_user.pk, admin_user.pk]}
    )

    assert response.status_code == 200
    assert "Their 2 ops audit log rows will be kept" in response.content.decode()
