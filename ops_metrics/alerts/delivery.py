"""Delivery of the outbox: signed webhook POSTs and emails, every attempt recorded, retried with backoff for 24 hours.

At least once: an attempt is recorded after it was sent, and a delivery is marked delivered only after a 2xx, in the
transaction that holds its row lock. A crash in between rolls both back, so the next pass sends again with the same
webhook-id (receivers de-duplicate on it); nothing is lost.
"""
import http.client
import logging
import random
import smtplib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q
from django.utils import timezone

from ops_metrics import telemetry
from ops_metrics.alerts import network
from ops_metrics.alerts.outbox import notification_body
from ops_metrics.alerts.signing import signed_headers
from ops_metrics.constants import AlertEvent, AttemptOutcome, DeliveryChannel
from ops_metrics.models import OpsAlertAttempt, OpsAlertDelivery, OpsWebhookEndpoint

logger = logging.getLogger("ops_metrics.alerts")

RETRY_WINDOW = timedelta(hours=24)
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
MAX_ERROR_CHARS = 500


@dataclass
class DeliveryReport:
    """Attempts made in one pass, by outcome."""

    outcomes: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class AttemptResult:
    """How one send went."""

    outcome: str
    status_code: int | None = None
    error: str = ""


def backoff_ceiling(*, attempts: int) -> int:
    """The longest wait after the `attempts`-th failure: base × 2^(attempts − 1) seconds, capped."""
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 20))


def backoff_seconds(*, attempts: int) -> float:
    """Full jitter: uniform in [0, backoff_ceiling] seconds, so failed receivers are not retried in lockstep."""
    return random.uniform(0, backoff_ceiling(attempts=attempts))


def _send_webhook(delivery: OpsAlertDelivery, *, now: datetime) -> AttemptResult:
    endpoint = delivery.endpoint
    body = notification_body(delivery.notification)
    headers = signed_headers(secret=endpoint.secret, message_id=delivery.notification_id,
                             timestamp=int(now.timestamp()), body=body)
    try:
        status = network.post(url=endpoint.url, body=body.encode(), headers=headers)
    except network.AddressRefused as exc:
        return AttemptResult(AttemptOutcome.REFUSED, error=str(exc))
    except (OSError, http.client.HTTPException) as exc:
        return AttemptResult(AttemptOutcome.FAILED, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
    if 200 <= status < 300:
        return AttemptResult(AttemptOutcome.DELIVERED, status_code=status)
    if status == 410:
        return AttemptResult(AttemptOutcome.GONE, status_code=status, error="410 Gone: endpoint disabled")
    return AttemptResult(AttemptOutcome.FAILED, status_code=status, error=f"HTTP {status}")


def _email_text(payload: dict) -> tuple[str, str]:
    word = "FIRING" if payload["type"] == AlertEvent.FIRING else "RESOLVED"
    subject = f"[ops alert] {word}: {payload['rule']} ({payload['figure']} = {payload['value']})"
    body = "\n".join(f"{key}: {payload.get(key)}" for key in ("type", "rule", "figure", "value", "threshold", "since",
                                                               "dashboard_url"))
    return subject, body


def _send_email(delivery: OpsAlertDelivery) -> AttemptResult:
    subject, body = _email_text(delivery.notification.payload)
    message = EmailMessage(subject=subject, body=body, to=[delivery.email],
                           headers={"X-Ops-Alert-Id": delivery.notification_id})
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        return AttemptResult(AttemptOutcome.FAILED, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
    return AttemptResult(AttemptOutcome.DELIVERED)


def send(delivery: OpsAlertDelivery, *, now: datetime) -> AttemptResult:
    """Make one attempt of a delivery (no database writes)."""
    if delivery.channel == DeliveryChannel.EMAIL:
        return _send_email(delivery)
    return _send_webhook(delivery, now=now)


def record_attempt(delivery: OpsAlertDelivery, *, result: AttemptResult, started: datetime, latency_ms: int) -> None:
    """Write the attempt and move the delivery on: delivered, given up, or due again after a backoff."""
    now = timezone.now()
    OpsAlertAttempt.objects.create(delivery=delivery, started_at=started, status_code=result.status_code,
                                   latency_ms=latency_ms, outcome=result.outcome, error=result.error)
    telemetry.ALERT_DELIVERIES.labels(channel=delivery.channel, outcome=result.outcome).inc()
    delivery.attempts += 1
    if result.outcome == AttemptOutcome.DELIVERED:
        delivery.delivered_at = now
    elif result.outcome == AttemptOutcome.GONE:
        delivery.given_up_at = now
        OpsWebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
            enabled=False, disabled_reason=f"Answered 410 Gone at {now:%Y-%m-%d %H:%M:%S %Z}; re-enable to resume.",
        )
        logger.warning("alert webhook endpoint %s answered 410 Gone: disabled", delivery.endpoint_id)
    else:
        deadline = delivery.notification.created_at + RETRY_WINDOW
        if now >= deadline:
            delivery.given_up_at = now
            telemetry.ALERT_DELIVERIES.labels(channel=delivery.channel, outcome=AttemptOutcome.GIVEN_UP).inc()
            logger.warning("alert delivery %s given up after %s attempts", delivery.pk, delivery.attempts)
        else:
            delivery.next_attempt_at = min(now + timedelta(seconds=backoff_seconds(attempts=delivery.attempts)),
                                           deadline)
    delivery.save(update_fields=["attempts", "delivered_at", "given_up_at", "next_attempt_at"])


def _give_up_disabled(delivery: OpsAlertDelivery, *, now: datetime) -> None:
    reason = delivery.endpoint.disabled_reason or "disabled"
    OpsAlertAttempt.objects.create(delivery=delivery, started_at=now, outcome=AttemptOutcome.GIVEN_UP,
                                   error=f"Endpoint disabled ({reason}): not sent.")
    telemetry.ALERT_DELIVERIES.labels(channel=delivery.channel, outcome=AttemptOutcome.GIVEN_UP).inc()
    delivery.given_up_at = now
    delivery.save(update_fields=["given_up_at"])


def deliver_due(*, budget_seconds: float = 60.0, using: str = DEFAULT_DB_ALIAS) -> DeliveryReport:
    """Attempt every delivery due now, oldest first, until none is left or `budget_seconds` have passed.

    Each delivery is locked (FOR UPDATE SKIP LOCKED) for its attempt, so concurrent runners share the work and never
    send one attempt twice; the lock is held while sending, at most the 5-second timeout.
    """
    report = DeliveryReport()
    started_pass = time.monotonic()
    due = Q(delivered_at__isnull=True, given_up_at__isnull=True)
    while time.monotonic() - started_pass < budget_seconds:
        with transaction.atomic(using=using):
            now = timezone.now()
            delivery = (
                OpsAlertDelivery.objects.using(using).select_for_update(skip_locked=True, of=("self",))
                .select_related("notification", "endpoint").filter(due, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id").first()
            )
            if delivery is None:
                break
            if delivery.channel == DeliveryChannel.WEBHOOK and not delivery.endpoint.enabled:
                _give_up_disabled(delivery, now=now)
                report.outcomes[AttemptOutcome.GIVEN_UP] += 1
                continue
            clock = time.perf_counter()
            result = send(delivery, now=now)
            latency_ms = round((time.perf_counter() - clock) * 1000)
            record_attempt(delivery, result=result, started=now, latency_ms=latency_ms)
            report.outcomes[result.outcome] += 1
    return report
