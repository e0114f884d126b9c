"""GET /api/v1/ops/alerts: the alert rules a user may see, with their state; refusals audited."""
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from ops_metrics.alerts.queries import alert_rules_for_user, record_alerts_refusal
from ops_metrics.constants import THROTTLE_SCOPE, AlertComparator, AlertState, Period
from ops_metrics.web.permissions import CanViewOpsMetrics
from ops_metrics.web.serializers import ErrorDetail
from ops_metrics.web.throttling import OpsMetricsThrottle
from ops_metrics.web.views import client_ip


class AlertRuleSerializer(serializers.Serializer):
    """An alert rule and where its state machine stands (channels are not shown)."""

    id = serializers.IntegerField(help_text="The rule's id.")
    name = serializers.CharField(help_text="The rule's name, as notifications carry it in `rule`.")
    figure = serializers.CharField(help_text="JSON path of the watched figure in the metrics payload.")
    period = serializers.ChoiceField(choices=Period.choices, help_text="The period the figure is computed for.")
    comparator = serializers.ChoiceField(choices=AlertComparator.choices,
                                         help_text="How the figure is compared with the threshold.")
    threshold = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True,
                                         help_text="The line the figure is compared with.")
    for_seconds = serializers.IntegerField(help_text="How long the condition must hold before the rule fires.")
    repeat_seconds = serializers.IntegerField(help_text="Re-notification interval while firing; 0 = never.")
    enabled = serializers.BooleanField(help_text="Whether the rule is evaluated.")
    state = serializers.ChoiceField(choices=AlertState.choices,
                                    help_text="ok; pending (condition holds, not yet for `for_seconds`); firing.")
    state_since = serializers.DateTimeField(allow_null=True, help_text="When the rule entered its state.")
    last_value = serializers.DecimalField(max_digits=16, decimal_places=2, coerce_to_string=True, allow_null=True,
                                          help_text="The figure at the last evaluation (null: not evaluated or null).")
    last_evaluated_at = serializers.DateTimeField(allow_null=True, help_text="When the rule was last evaluated.")
    last_notified_at = serializers.DateTimeField(allow_null=True, help_text="When it last caused a notification.")


class AlertListResponse(serializers.Serializer):
    """The rules the user may see, firing first."""

    firing = serializers.IntegerField(help_text="How many of the listed rules are firing.")
    results = AlertRuleSerializer(many=True, help_text="The rules, firing first, then by name.")


class OpsAlertViewSet(viewsets.ViewSet):
    """Alert rules."""

    permission_classes = [CanViewOpsMetrics]
    throttle_classes = [OpsMetricsThrottle]
    throttle_scope = THROTTLE_SCOPE

    def handle_exception(self, exc: Exception) -> Response:
        refused = (exceptions.PermissionDenied, exceptions.Throttled, exceptions.MethodNotAllowed,
                   exceptions.NotAcceptable, exceptions.NotFound, Http404)
        if isinstance(exc, refused):
            try:
                user = self.request.user
            except exceptions.APIException:
                user = None
            if user is not None and user.is_authenticated:
                record_alerts_refusal(user=user, ip_address=client_ip(self.request))
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="ops_alerts",
        summary="Alert rules and their state",
        description="Every alert rule the user may see with its state (ok, pending, firing), firing first. Requires "
        "ops.read; rules over revenue figures are listed for ops.admin only.",
        responses={
            200: AlertListResponse,
            401: OpenApiResponse(ErrorDetail, description="No or invalid credentials."),
            403: OpenApiResponse(ErrorDetail, description="Neither ops.read nor ops.admin."),
            429: OpenApiResponse(ErrorDetail, description="Too many requests; see Retry-After."),
        },
    )
    def list(self, request: Request) -> Response:
        rules = alert_rules_for_user(user=request.user, ip_address=client_ip(request))
        firing = sum(rule.state == AlertState.FIRING for rule in rules)
        body = AlertListResponse({"firing": firing, "results": rules}).data
        response = Response(body)
        response["Cache-Control"] = "private, no-cache"
        return response
