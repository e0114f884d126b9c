"""SLA policies are edited in Django admin."""
import pytest
from django.test import Client
from django.urls import reverse

from complaints.models import ComplaintPriority, SlaPolicy
from staff.factories import UserFactory


@pytest.fixture
def superuser_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_sla_policies_are_edited_in_the_changelist(superuser_client):
    policies = list(SlaPolicy.objects.order_by("pk"))
    data = {"form-TOTAL_FORMS": len(policies), "form-INITIAL_FORMS": len(policies), "_save": "Save"}
    for index, policy in enumerate(policies):
        data |= {f"form-{index}-id": policy.pk, f"form-{index}-response_hours": policy.response_hours,
                 f"form-{index}-resolution_hours": policy.resolution_hours}
    critical = next(i for i, p in enumerate(policies) if p.priority == ComplaintPriority.CRITICAL)
    data |= {f"form-{critical}-response_hours": 2, f"form-{critical}-resolution_hours": 6}

    response = superuser_client.post(reverse("admin:complaints_slapolicy_changelist"), data)

    assert response.status_code == 302
    assert SlaPolicy.targets()[ComplaintPriority.CRITICAL] == (2, 6)
    assert SlaPolicy.targets()[ComplaintPriority.HIGH] == (4, 24)
