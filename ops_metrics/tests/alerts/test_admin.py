"""Admin: the endpoint secret is shown once; rule edits are logged and never write back the runner's state."""
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import Client
from django.urls import reverse

from ops_metrics.constants import AlertState
from ops_metrics.models import OpsAlertAttempt, OpsAlertRule, OpsWebhookEndpoint
from staff.factories import UserFactory


@pytest.fixture
def admin_site_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_secret_is_shown_once_after_creation(admin_site_client):
    response = admin_site_client.post(reverse("admin:ops_opswebhookendpoint_add"),
                                      {"name": "pager", "url": "https://hooks.example.com/x", "enabled": "on"},
                                      follow=True)

    endpoint = OpsWebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) >= len("whsec_") + 32
    assert endpoint.secret in response.content.decode()  # the admin message on the page after saving
    change = admin_site_client.get(reverse("admin:ops_opswebhookendpoint_change", args=[endpoint.pk]))
    listing = admin_site_client.get(reverse("admin:ops_opswebhookendpoint_changelist"))
    assert endpoint.secret not in change.content.decode() + listing.content.decode()


def test_http_endpoints_are_refused_by_default(admin_site_client):
    response = admin_site_client.post(reverse("admin:ops_opswebhookendpoint_add"),
                                      {"name": "x", "url": "http://hooks.example.com/x"})

    assert response.status_code == 200 and "must use https" in response.content.decode()
    assert not OpsWebhookEndpoint.objects.exists()


def test_a_rule_edit_is_logged_and_keeps_the_runners_state(admin_site_client):
    rule = OpsAlertRule.objects.create(name="breaches", figure="sla.breached", period="all", comparator=">",
                                       threshold=1)
    url = reverse("admin:ops_opsalertrule_change", args=[rule.pk])
    admin_site_client.get(url)
    OpsAlertRule.objects.filter(pk=rule.pk).update(state=AlertState.FIRING)  # the runner, meanwhile

    response = admin_site_client.post(url, {
        "name": "breaches", "enabled": "on", "figure": "sla.breached", "period": "all", "staff": "[]",
        "comparator": ">=", "threshold": "3", "for_seconds": "0", "repeat_seconds": "0", "emails": "[]",
    })

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.comparator, rule.threshold, rule.state) == (">=", 3, AlertState.FIRING)
    entry = LogEntry.objects.get(object_id=str(rule.pk))
    assert entry.action_flag == CHANGE and "Comparator" in entry.get_change_message()


def test_attempts_are_read_only(admin_site_client):
    assert admin_site_client.get(reverse("admin:ops_opsalertattempt_changelist")).status_code == 200
    assert admin_site_client.get(reverse("admin:ops_opsalertattempt_add")).status_code == 403
    assert not OpsAlertAttempt.objects.exists()
