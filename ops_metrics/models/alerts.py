"""Alerts: rules over dashboard figures, webhook endpoints, and the outbox of notifications, deliveries and attempts."""
import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, validate_email
from django.db import models
from django.utils import timezone

from bookings.models import BookingStatus
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics import app_settings
from ops_metrics.constants import (
    ALERT_EXTRA_FIGURES,
    PERM_ADMIN,
    AlertComparator,
    AlertEvent,
    AlertState,
    AttemptOutcome,
    DeliveryChannel,
    MetricGroup,
    Period,
)
from staff.models import Staff

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
DAY_SECONDS = 86400

# JSON paths of the figures in the metrics payload a rule may watch: every count of the records endpoint, plus rates.
ALERT_FIGURES: tuple[str, ...] = (
    "bookings.total",
    *(f"bookings.by_status.{status}" for status in BookingStatus.values),
    "complaints.total",
    "complaints.unresolved",
    *(f"complaints.by_priority.{priority}" for priority in ComplaintPriority.values),
    *(f"complaints.by_status.{status}" for status in ComplaintStatus.values),
    "sla.at_risk",
    "sla.breached",
    *(f"sla.by_priority.{priority}.{state}" for priority in ComplaintPriority.values for state in ("at_risk", "breached")),
    "realtime.active_bookings",
    "realtime.pending_bookings",
    "realtime.active_complaints",
    "realtime.critical_complaints",
    *ALERT_EXTRA_FIGURES,
    "revenue.total",
    *(f"revenue.by_status.{status}" for status in BookingStatus.values),
)


def figure_group(figure: str) -> str:
    """The metric group a figure's path starts with."""
    return figure.partition(".")[0]


def is_admin_figure(figure: str) -> bool:
    """Whether only ops.admin may see (and own a rule over) this figure."""
    return figure_group(figure) == MetricGroup.REVENUE


def validate_figure(value: str) -> None:
    """Reject paths that are not an alertable figure of the metrics payload."""
    if value not in ALERT_FIGURES:
        raise ValidationError(f"{value!r} is not an alertable figure; valid: {', '.join(ALERT_FIGURES)}.")


def validate_emails(value: object) -> None:
    """A JSON list of email addresses."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Enter a list of email addresses.")
    for address in value:
        validate_email(address)


def validate_staff_filter(value: object) -> None:
    """A JSON list of the ids of existing staff members (empty: everyone's figures)."""
    if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        raise ValidationError("Enter a list of staff ids.")
    unknown = set(value) - set(Staff.objects.filter(pk__in=value).values_list("pk", flat=True))
    if unknown:
        raise ValidationError(f"No staff member has id {', '.join(map(str, sorted(unknown)))}.")


def generate_secret() -> str:
    """A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """A notification id, sent as `webhook-id`: `msg_` + a random UUID."""
    return f"msg_{uuid.uuid4().hex}"


class OpsWebhookEndpoint(models.Model):
    """A URL that alert notifications are POSTed to, signed with its own secret (shown once, at creation)."""

    name = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, help_text="https (http only with OPS_ALERTS_ALLOW_HTTP).")
    secret = models.CharField(max_length=100, default=generate_secret, editable=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "ops webhook endpoint"

    def __str__(self) -> str:
        return self.name or self.url

    def clean(self) -> None:
        scheme = self.url.partition(":")[0].lower()
        if scheme != "https" and not (scheme == "http" and app_settings.alerts_allow_http()):
            raise ValidationError({"url": "Webhook URLs must use https (http needs OPS_ALERTS_ALLOW_HTTP)."})


class OpsAlertRule(models.Model):
    """A condition over one dashboard figure, its channels, and where its state machine stands."""

    name = models.CharField(max_length=100, unique=True)
    figure = models.CharField(max_length=80, validators=[validate_figure],
                              help_text="JSON path of the figure in the metrics payload, e.g. sla.breached.")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.TODAY)
    staff = models.JSONField(default=list, blank=True, validators=[validate_staff_filter],
                             help_text="Ids of staff members whose work the figure counts (empty: everyone's).")
    comparator = models.CharField(max_length=2, choices=AlertComparator.choices)
    threshold = models.DecimalField(max_digits=14, decimal_places=2)
    for_seconds = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(7 * DAY_SECONDS)],
        help_text="The condition must hold this long before the rule fires.",
    )
    repeat_seconds = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(7 * DAY_SECONDS)],
        help_text="Notify again every so many seconds while firing; 0 = never.",
    )
    enabled = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="ops_alert_rules", help_text="A revenue rule needs an ops.admin owner.")
    webhooks = models.ManyToManyField(OpsWebhookEndpoint, blank=True, related_name="rules")
    emails = models.JSONField(default=list, blank=True, validators=[validate_emails],
                              help_text='A list of addresses, e.g. ["ops@example.com"].')

    state = models.CharField(max_length=8, choices=AlertState.choices, default=AlertState.OK, editable=False)
    state_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True, editable=False)
    last_evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    STATE_FIELDS = ("state", "state_since", "last_value", "last_evaluated_at", "last_notified_at")

    class Meta:
        ordering = ["name"]
        verbose_name = "ops alert rule"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if is_admin_figure(self.figure) and not (self.owner and self.owner.has_perm(PERM_ADMIN)):
            raise ValidationError({"owner": "A rule over a revenue figure needs an owner with ops.admin."})


class OpsAlertNotification(models.Model):
    """The outbox: one event of a rule (firing, resolved), written in the transaction that changed its state."""

    id = models.CharField(primary_key=True, max_length=40, default=new_message_id, editable=False,
                          help_text="Sent as webhook-id, the same on every retry.")
    rule = models.ForeignKey(OpsAlertRule, null=True, on_delete=models.SET_NULL, related_name="notifications")
    type = models.CharField(max_length=32, choices=AlertEvent.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "ops alert notification"

    def __str__(self) -> str:
        return self.id


class OpsAlertDelivery(models.Model):
    """One notification to one channel (a webhook endpoint or an email address), retried until delivered or given up."""

    notification = models.ForeignKey(OpsAlertNotification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    endpoint = models.ForeignKey(OpsWebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="deliveries")
    email = models.EmailField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "ops alert delivery"
        verbose_name_plural = "ops alert deliveries"
        constraints = [
            models.UniqueConstraint(fields=["notification", "endpoint"], condition=models.Q(endpoint__isnull=False),
                                    name="ops_alert_delivery_endpoint_once"),
            models.UniqueConstraint(fields=["notification", "email"], condition=~models.Q(email=""),
                                    name="ops_alert_delivery_email_once"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="ops_alert_delivery_due_idx",
                         condition=models.Q(delivered_at__isnull=True, given_up_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} → {self.endpoint or self.email}"


class OpsAlertAttempt(models.Model):
    """One try of a delivery: HTTP status (webhooks), latency, outcome and error text; never the secret."""

    delivery = models.ForeignKey(OpsAlertDelivery, on_delete=models.CASCADE, related_name="attempts_made")
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=12, choices=AttemptOutcome.choices)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "ops alert delivery attempt"

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.outcome} {self.status_code or ''}".strip()
