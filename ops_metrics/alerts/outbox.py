"""The outbox: a notification and its deliveries, written in the transaction that changes a rule's state."""
import json
from datetime import datetime
from decimal import Decimal

from django.urls import reverse

from ops_metrics import app_settings
from ops_metrics.constants import DeliveryChannel
from ops_metrics.models import OpsAlertDelivery, OpsAlertNotification, OpsAlertRule
from ops_metrics.models.alerts import is_admin_figure
from ops_metrics.windows.figures import money

# The payload's keys, in the order its JSON body lists them (docs/api.md, webhook notifications).
PAYLOAD_KEYS = ("type", "rule", "figure", "value", "threshold", "since", "dashboard_url")


def render_number(*, figure: str, value: Decimal | None) -> int | float | str | None:
    """A figure's value as the metrics payload renders it: money as a 2-place string, counts as integers."""
    if value is None:
        return None
    if is_admin_figure(figure):
        return str(money(value))
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def dashboard_url(*, period: str) -> str:
    """The dashboard page showing the rule's period (absolute when OPS_ALERTS_BASE_URL is set)."""
    return f"{app_settings.alerts_base_url()}{reverse('ops-dashboard-page')}?period={period}"


def notification_payload(*, rule: OpsAlertRule, event: str, value: Decimal | None, since: datetime) -> dict:
    """What a notification says: the event, the rule, its figure's value against the threshold, since when."""
    return {
        "type": event,
        "rule": rule.name,
        "figure": rule.figure,
        "value": render_number(figure=rule.figure, value=value),
        "threshold": render_number(figure=rule.figure, value=Decimal(rule.threshold)),
        "since": since.isoformat().replace("+00:00", "Z"),
        "dashboard_url": dashboard_url(period=rule.period),
    }


def notification_body(notification: OpsAlertNotification) -> str:
    """The JSON body, the same text on every attempt (keys in PAYLOAD_KEYS order, whatever the JSON column keeps)."""
    payload = notification.payload
    return json.dumps({key: payload.get(key) for key in PAYLOAD_KEYS}, separators=(",", ":"))


def write_notification(
    *, rule: OpsAlertRule, event: str, value: Decimal | None, since: datetime, now: datetime
) -> OpsAlertNotification:
    """One notification of `rule` and a delivery per enabled webhook endpoint and email address, due now.

    Call inside the transaction that saves the rule's new state, so both are written or neither.
    """
    notification = OpsAlertNotification.objects.create(
        rule=rule, type=event, payload=notification_payload(rule=rule, event=event, value=value, since=since),
        created_at=now,
    )
    deliveries = [
        OpsAlertDelivery(notification=notification, channel=DeliveryChannel.WEBHOOK, endpoint=endpoint,
                         next_attempt_at=now)
        for endpoint in rule.webhooks.all() if endpoint.enabled
    ] + [
        OpsAlertDelivery(notification=notification, channel=DeliveryChannel.EMAIL, email=address, next_attempt_at=now)
        for address in dict.fromkeys(rule.emails)
    ]
    OpsAlertDelivery.objects.bulk_create(deliveries)
    return notification
