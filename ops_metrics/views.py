"""The dashboard API: validate the query, ask the service, render; refusals audited."""
import ipaddress

from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ops_metrics import app_settings, services
from ops_metrics.constants import DEFAULT_PERIOD, THROTTLE_SCOPE, AuditAction, MetricGroup, Period
from ops_metrics.permissions import CanViewOpsMetrics
from ops_metrics.serializers import (
    VALID_QUERY_VALUES,
    DashboardMetricsResponse,
    ErrorDetail,
    MetricsQuerySerializer,
    QueryErrorResponse,
)
from ops_metrics.throttling import OpsMetricsThrottle


def client_ip(request: Request) -> str | None:
    """REMOTE_ADDR, or the address the trusted proxy appended to X-Forwarded-For when so configured."""
    candidate = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if app_settings.trust_x_forwarded_for() and forwarded:
        # The last entry is the one our proxy wrote; earlier ones are whatever the client sent.
        candidate = forwarded.rsplit(",", 1)[-1].strip()
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    # PostgreSQL's inet has no IPv6 zone index ("fe80::1%eth0"), and Django only drops it from short addresses.
    return str(address).partition("%")[0]


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison, as If-None-Match requires."""
    if not if_none_match:
        return False
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in parse_etags(if_none_match))


class OpsDashboardViewSet(viewsets.ViewSet):
    """The operations dashboard."""

    permission_classes = [CanViewOpsMetrics]
    throttle_classes = [OpsMetricsThrottle]
    throttle_scope = THROTTLE_SCOPE

    def _audit_refusal(self) -> None:
        """One view_metrics_denied row: the period and groups asked for when the query parses, else none."""
        try:
            query = MetricsQuerySerializer(data=self.request.query_params)
            asked = query.validated_data if query.is_valid() else {"period": "", "groups": ()}
        except SuspiciousOperation:  # too many parameters to parse at all
            asked = {"period": "", "groups": ()}
        services.record_audit(
            user=self.request.user, action=AuditAction.VIEW_METRICS_DENIED, period=asked["period"],
            include=asked["groups"], ip_address=client_ip(self.request),
        )

    def _logged_in(self) -> bool:
        """Whether the request carries a valid login (refusals before authentication ran authenticate here)."""
        try:
            return bool(self.request.user and self.request.user.is_authenticated)
        except exceptions.APIException:
            return False

    def handle_exception(self, exc: Exception) -> Response:
        # Every refusal of a logged-in user is audited here, once per request (SPEC §6): permission, throttle,
        # method, content negotiation (404 for an unknown ?format=, 406 for an unmet Accept) and an unparsable
        # query string. The browsable API's renderer re-checks permissions later, outside this handler. Without
        # credentials there is no user to record.
        if isinstance(exc, SuspiciousOperation):
            # Django refuses to parse an oversized query string (DATA_UPLOAD_MAX_NUMBER_FIELDS): a JSON 400 too.
            exc = exceptions.ParseError("The query string has too many parameters.")
        refused = (
            exceptions.PermissionDenied, exceptions.Throttled, exceptions.MethodNotAllowed, exceptions.NotFound,
            exceptions.NotAcceptable, exceptions.ParseError, Http404,
        )
        if isinstance(exc, refused) and self._logged_in():
            self._audit_refusal()
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="ops_dashboard_metrics",
        summary="Dashboard metrics",
        description=(
            "Bookings, complaints, SLA, revenue and real-time figures for the operations dashboard. "
            "Requires ops.read; the revenue group requires ops.admin and is otherwise withheld and listed in "
            "`redacted`. Send the ETag back in If-None-Match to get 304 while the figures are unchanged."
        ),
        parameters=[
            OpenApiParameter(
                "period", OpenApiTypes.STR, enum=Period.values, default=DEFAULT_PERIOD.value,
                description="today: since local midnight; week: since Monday 00:00; month: since the 1st 00:00; "
                "all: no lower bound (growth then compares months). Business timezone.",
            ),
            OpenApiParameter(
                "include", {"type": "array", "items": {"type": "string", "enum": MetricGroup.values}, "minItems": 1},
                style="form", explode=False,
                description="Comma-separated metric groups to return (duplicates ignored); default: all of them.",
            ),
            OpenApiParameter(
                "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                description="An ETag from an earlier response; 304 when it still matches.",
            ),
        ],
        responses={
            200: OpenApiResponse(DashboardMetricsResponse, description="The figures."),
            304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match."),
            400: OpenApiResponse(QueryErrorResponse, description="A query parameter is invalid."),
            401: OpenApiResponse(ErrorDetail, description="No or invalid credentials."),
            403: OpenApiResponse(ErrorDetail, description="Neither ops.read nor ops.admin."),
            429: OpenApiResponse(ErrorDetail, description="Too many requests; see Retry-After."),
        },
    )
    @action(detail=False, methods=["get"], url_path="metrics", name="Ops dashboard metrics")
    def metrics(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        if not query.is_valid():
            self._audit_refusal()
            body = {"detail": "Invalid query parameters.", "errors": query.errors, "valid": VALID_QUERY_VALUES}
            return Response(QueryErrorResponse(body).data, status=status.HTTP_400_BAD_REQUEST)

        result = services.metrics_for_user(
            user=request.user, period=query.validated_data["period"], groups=query.validated_data["groups"],
            ip_address=client_ip(request),
        )
        if _etag_matches(request.headers.get("If-None-Match"), result.etag):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(result.payload)  # rendered once per computation (services.render_metrics)
        response["ETag"] = result.etag
        response["X-Cache"] = "hit" if result.hit else "miss"
        # Bodies depend on who asks; browsers may keep them but must revalidate (cheap, thanks to the ETag).
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        return response
