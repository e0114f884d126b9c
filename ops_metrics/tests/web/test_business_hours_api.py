"""A calendar change reaches the next /metrics answer: sla_recompute's bulk updates move the complaints' generation on."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.factories import ComplaintFactory
from complaints.models import BusinessCalendar, ComplaintPriority, SlaPolicy
from conftest import FROZEN_NOW

BERLIN = ZoneInfo("Europe/Berlin")
NOW = FROZEN_NOW  # Thursday 2026-11-26 11:30 in Berlin
URL = "/api/v1/ops/dashboard/metrics"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("engine")]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def sla(client) -> dict:
    response = client.get(URL, {"include": "sla"})
    assert response.status_code == 200
    return response.json()["sla"]


def test_a_calendar_given_to_a_policy_is_visible_in_the_next_answer(
    admin_client_api, frozen, configure, django_capture_on_commit_callbacks
):
    configure(timezone="Europe/Berlin", sla_at_risk_buffer_minutes=60)
    with django_capture_on_commit_callbacks(execute=True):
        policy, _ = SlaPolicy.objects.update_or_create(
            priority=ComplaintPriority.HIGH, defaults={"response_hours": 4, "resolution_hours": 24, "calendar": None}
        )
        office = BusinessCalendar.objects.create(name="Office", timezone="Europe/Berlin")  # Mon–Fri 09:00–17:00
        # Around the clock both responses are overdue: due Thu 10:00 and Wed 19:45 (Berlin).
        ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=at(2026, 11, 26, 6))
        ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=at(2026, 11, 25, 15, 45))
    before = sla(admin_client_api)
    assert (before["at_risk"], before["breached"]) == (0, 2)
    assert sla(admin_client_api) == before  # cached

    with django_capture_on_commit_callbacks(execute=True):  # the recompute, then its batch's signal, after commit
        policy.calendar = office
        policy.save()

    # In business hours: the first is due Thu 13:00 (clear), the second Thu 11:45 (1.25 h Wed + 2.75 h Thu: at risk).
    after = sla(admin_client_api)
    assert (after["at_risk"], after["breached"]) == (1, 0)
    assert after["by_priority"]["high"] == {"at_risk": 1, "breached": 0}


def test_readers_get_the_business_hours_series_by_default_and_in_csv(reader_client_api, frozen):
    body = reader_client_api.get("/api/v1/ops/dashboard/timeseries", {"period": "today"}).json()
    assert {"avg_response_business_hours", "avg_resolution_business_hours"} <= set(body["series"])
    assert body["redacted"] == []

    response = reader_client_api.get("/api/v1/ops/dashboard/timeseries", {
        "period": "today", "metrics": "avg_response_business_hours,avg_resolution_business_hours", "format": "csv",
    })
    assert response.content.decode().splitlines()[0] == "start,end,avg_response_business_hours,avg_resolution_business_hours"
