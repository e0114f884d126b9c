"""GET /api/v1/ops/alerts: the rules a user may see with their state; revenue rules for ops.admin only; audited."""
import pytest

from ops_metrics.constants import AlertState, AuditAction, ResourceType
from ops_metrics.models import OpsAlertRule, OpsAuditLog

URL = "/api/v1/ops/alerts"


@pytest.fixture
def rules(db, admin_user):
    OpsAlertRule.objects.create(name="Breaches", figure="sla.breached", period="all", comparator=">", threshold=5,
                                state=AlertState.FIRING)
    OpsAlertRule.objects.create(name="A revenue drop", figure="revenue.total", period="today", comparator="<",
                                threshold=1000, owner=admin_user)
    OpsAlertRule.objects.create(name="At risk", figure="sla.at_risk", period="all", comparator=">=", threshold=3)


def test_a_reader_never_sees_a_revenue_rule(reader_client_api, rules):
    response = reader_client_api.get(URL)

    assert response.status_code == 200
    assert [rule["name"] for rule in response.json()["results"]] == ["Breaches", "At risk"]
    assert "revenue" not in response.content.decode()


def test_an_admin_sees_every_rule_firing_first_with_its_state(admin_client_api, rules):
    body = admin_client_api.get(f"{URL}/").json()

    assert body["firing"] == 1
    assert [rule["name"] for rule in body["results"]] == ["Breaches", "A revenue drop", "At risk"]
    first = body["results"][0]
    assert {key: first[key] for key in ("figure", "comparator", "threshold", "state", "last_value")} == {
        "figure": "sla.breached", "comparator": ">", "threshold": "5.00", "state": "firing", "last_value": None}
    assert "emails" not in first and "webhooks" not in first


def test_requests_are_audited_and_refusals_too(reader_client_api, plain_client_api, anonymous_client_api, rules):
    reader_client_api.get(URL)
    assert plain_client_api.get(URL).status_code == 403
    assert anonymous_client_api.get(URL).status_code == 401

    rows = list(OpsAuditLog.objects.order_by("id").values_list("user__username", "action", "resource_type"))
    assert rows == [("ops_reader_user", AuditAction.VIEW_ALERTS, ResourceType.ALERTS),
                    ("plain_user", AuditAction.VIEW_ALERTS_DENIED, ResourceType.ALERTS)]


def test_the_schema_documents_the_endpoint():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "ops_alerts"
    assert set(operation["responses"]) == {"200", "401", "403", "429"}
    rule = schema["components"]["schemas"]["AlertRule"]
    assert schema["components"]["schemas"]["AlertStateEnum"]["enum"] == ["ok", "pending", "firing"]
    assert "state" in rule["required"]
