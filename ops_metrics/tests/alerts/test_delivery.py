"""Delivery to a real HTTP receiver: signatures, retries with one webhook-id, crash safety, 410, email, no secrets."""
import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from standardwebhooks.webhooks import Webhook

from ops_metrics.alerts import delivery as delivery_module
from ops_metrics.alerts.delivery import deliver_due
from ops_metrics.alerts.outbox import write_notification
from ops_metrics.alerts.signing import signed_headers
from ops_metrics.constants import AlertEvent, AttemptOutcome
from ops_metrics.models import OpsAlertAttempt, OpsAlertDelivery, OpsAuditLog
from ops_metrics.tests.alerts.conftest import spec_signature_valid

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


@pytest.fixture
def clock(db):
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def notify(make_rule):
    def notify(**rule_fields):
        rule = make_rule(**rule_fields)
        return write_notification(rule=rule, event=AlertEvent.FIRING, value=Decimal(3), since=NOW, now=NOW)

    return notify


def test_the_signature_matches_the_published_test_vector():
    headers = signed_headers(secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
                             timestamp=1614265330, body='{"test": 2432232314}')

    assert headers == {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                       "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}


def test_a_webhook_arrives_signed_with_the_payload(clock, receiver, endpoint, notify):
    notification = notify(webhooks=[endpoint])

    report = deliver_due()

    assert report.outcomes == {AttemptOutcome.DELIVERED: 1}
    [request] = receiver.requests
    assert request.headers["webhook-id"] == notification.pk
    assert request.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert request.headers["content-type"] == "application/json"
    assert spec_signature_valid(secret=endpoint.secret, headers=request.headers, body=request.body)
    assert not spec_signature_valid(secret=endpoint.secret, headers=request.headers, body=request.body + b" ")
    assert list(json.loads(request.body)) == ["type", "rule", "figure", "value", "threshold", "since", "dashboard_url"]
    assert json.loads(request.body)["type"] == "ops.alert.firing"
    delivery = OpsAlertDelivery.objects.get()
    assert (delivery.delivered_at, delivery.attempts) == (NOW, 1)
    attempt = OpsAlertAttempt.objects.get()
    assert (attempt.status_code, attempt.outcome) == (200, AttemptOutcome.DELIVERED)


def test_the_reference_library_verifies_it_too(receiver, endpoint, notify):
    notify(webhooks=[endpoint])  # real time: the library refuses timestamps older than 5 minutes

    deliver_due()

    [request] = receiver.requests
    assert Webhook(endpoint.secret).verify(request.body, request.headers)["rule"] == "breaches"


def test_two_failures_then_success_is_one_accepted_delivery_with_one_id(clock, receiver, endpoint, notify):
    receiver.statuses = [500, 500, 200]
    notify(webhooks=[endpoint])

    assert deliver_due().outcomes == {AttemptOutcome.FAILED: 1}
    assert deliver_due().outcomes == {}  # not due yet
    for _ in range(2):
        clock.shift(timedelta(hours=1))  # past the longest backoff of the first attempts
        deliver_due()

    assert [r.headers["webhook-id"] for r in receiver.requests] == [receiver.requests[0].headers["webhook-id"]] * 3
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == 3  # each attempt signed anew
    assert all(spec_signature_valid(secret=endpoint.secret, headers=r.headers, body=r.body) for r in receiver.requests)
    delivery = OpsAlertDelivery.objects.get()
    assert (delivery.attempts, delivery.delivered_at) == (3, NOW + timedelta(hours=2))
    assert list(OpsAlertAttempt.objects.order_by("started_at").values_list("status_code", "outcome")) == [
        (500, "failed"), (500, "failed"), (200, "delivered")]
    clock.shift(timedelta(hours=1))
    assert deliver_due().outcomes == {} and len(receiver.requests) == 3


def test_backoff_is_exponential_with_full_jitter_and_capped(monkeypatch):
    monkeypatch.setattr(delivery_module.random, "uniform", lambda low, high: high)

    assert [delivery_module.backoff_seconds(attempts=n) for n in (1, 2, 3, 8, 50)] == [30, 60, 120, 3600, 3600]


def test_failures_are_given_up_after_24_hours(clock, receiver, endpoint, notify):
    receiver.statuses = [503] * 100
    notify(webhooks=[endpoint])
    deliver_due()
    clock.shift(timedelta(hours=23, minutes=59))
    deliver_due()
    assert OpsAlertDelivery.objects.get().given_up_at is None

    clock.shift(timedelta(minutes=1))
    deliver_due()

    delivery = OpsAlertDelivery.objects.get()
    assert (delivery.given_up_at, delivery.attempts) == (NOW + timedelta(hours=24), 3)
    clock.shift(timedelta(days=1))
    deliver_due()
    assert len(receiver.requests) == 3


def test_a_crash_between_send_and_record_repeats_the_delivery_with_the_same_id(clock, receiver, endpoint, notify,
                                                                                  monkeypatch):
    notification = notify(webhooks=[endpoint])

    class Crash(Exception):
        pass

    def crash(*args, **kwargs):
        raise Crash

    real = delivery_module.record_attempt
    monkeypatch.setattr(delivery_module, "record_attempt", crash)
    with pytest.raises(Crash):
        deliver_due()
    assert len(receiver.requests) == 1
    assert OpsAlertDelivery.objects.get().delivered_at is None and not OpsAlertAttempt.objects.exists()

    monkeypatch.setattr(delivery_module, "record_attempt", real)
    deliver_due()

    assert [r.headers["webhook-id"] for r in receiver.requests] == [notification.pk, notification.pk]
    assert OpsAlertDelivery.objects.get().delivered_at == NOW
    assert OpsAlertAttempt.objects.count() == 1


def test_410_disables_the_endpoint_and_its_other_deliveries_are_not_sent(clock, receiver, endpoint, notify):
    receiver.statuses = [410]
    notify(name="one", webhooks=[endpoint])
    notify(name="two", webhooks=[endpoint])

    report = deliver_due()

    endpoint.refresh_from_db()
    assert (endpoint.enabled, "410" in endpoint.disabled_reason) == (False, True)
    assert report.outcomes == {AttemptOutcome.GONE: 1, AttemptOutcome.GIVEN_UP: 1}
    assert len(receiver.requests) == 1
    assert OpsAlertDelivery.objects.filter(given_up_at__isnull=False).count() == 2


def test_redirects_are_not_followed(clock, receiver, endpoint, notify):
    receiver.statuses = [302]
    notify(webhooks=[endpoint])

    deliver_due()

    assert [r.path for r in receiver.requests] == ["/hook"]
    assert OpsAlertAttempt.objects.get().status_code == 302
    assert OpsAlertDelivery.objects.get().delivered_at is None


def test_no_answer_within_the_timeout_is_a_failed_attempt(clock, receiver, endpoint, notify, monkeypatch):
    monkeypatch.setattr(delivery_module.network, "TIMEOUT_SECONDS", 0.2)
    receiver.delay = 1.0
    notify(webhooks=[endpoint])

    deliver_due()

    attempt = OpsAlertAttempt.objects.get()
    assert (attempt.outcome, attempt.status_code) == (AttemptOutcome.FAILED, None)
    assert "timed out" in attempt.error.lower()
    assert attempt.latency_ms < 1000


def test_email_goes_through_django_mail_and_is_recorded(clock, notify, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notification = notify(emails=["ops@example.com", "oncall@example.com"])

    report = deliver_due()

    assert report.outcomes == {AttemptOutcome.DELIVERED: 2}
    assert sorted(message.to[0] for message in mail.outbox) == ["oncall@example.com", "ops@example.com"]
    message = mail.outbox[0]
    assert message.subject == "[ops alert] FIRING: breaches (sla.breached = 3)"
    assert message.extra_headers["X-Ops-Alert-Id"] == notification.pk
    assert OpsAlertAttempt.objects.filter(outcome=AttemptOutcome.DELIVERED).count() == 2


def test_secrets_never_reach_logs_attempts_or_the_audit(clock, receiver, endpoint, notify, caplog, make_rule):
    receiver.statuses = [410]
    notify(webhooks=[endpoint])
    caplog.set_level(logging.DEBUG)

    deliver_due()

    text = caplog.text + "".join(OpsAlertAttempt.objects.values_list("error", flat=True))
    text += str(list(OpsAuditLog.objects.values())) + str(list(OpsAlertDelivery.objects.values()))
    assert "410" in caplog.text
    assert endpoint.secret not in text and endpoint.secret.removeprefix("whsec_") not in text
    assert endpoint.secret not in repr(endpoint) + str(endpoint)
