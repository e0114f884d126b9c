"""The dashboard API: validate the query, ask the service, render; refusals audited."""

from django.core.exceptions import SuspiciousOperation
from django.http import StreamingHttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from ops_metrics.addresses import client_ip
from ops_metrics.constants import (
    DEFAULT_PERIOD,
    MAX_BUCKETS,
    MAX_SERIES_COST,
    THROTTLE_SCOPE,
    AuditAction,
    Interval,
    MetricGroup,
    Period,
    ResourceType,
    SeriesMetric,
)
from ops_metrics.reports.records import FIGURE_NAMES
from ops_metrics.reports.staff import DEFAULT_ORDERING, FIELDS
from ops_metrics.services import audit, dashboard, performance, records
from ops_metrics.web.params import InvalidQuery
from ops_metrics.web.permissions import CanViewOpsMetrics
from ops_metrics.web.renderers import (
    LenientFormatNegotiation,
    MetricsCSVRenderer,
    RecordsCSVRenderer,
    StaffCSVRenderer,
    TimeseriesCSVRenderer,
    csv_stream,
)
from ops_metrics.web.serializers import (
    VALID_QUERY_VALUES,
    VALID_RECORDS_VALUES,
    VALID_STAFF_VALUES,
    VALID_TIMESERIES_VALUES,
    DashboardMetricsResponse,
    ErrorDetail,
    MetricsQuerySerializer,
    QueryErrorResponse,
    RecordsQueryErrorResponse,
    RecordsQuerySerializer,
    RecordsResponse,
    StaffPerformanceResponse,
    StaffQueryErrorResponse,
    StaffQuerySerializer,
    TimeseriesQueryErrorResponse,
    TimeseriesQuerySerializer,
    TimeseriesResponse,
)
from ops_metrics.web.throttling import OpsMetricsThrottle

FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR,
    description="`csv` for CSV (as `Accept: text/csv`), `json` for JSON; any other value is ignored.",
)
IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="An ETag from an earlier response; 304 when it still matches.",
)
RANGE_PARAMETERS = [
    OpenApiParameter(
        "start", OpenApiTypes.STR,
        description="Custom range start, instead of `period`: a local date (YYYY-MM-DD, read in the business "
        "timezone) or an ISO 8601 timestamp with offset. Requires `end`; the response's period is `custom`.",
    ),
    OpenApiParameter(
        "end", OpenApiTypes.STR,
        description="Custom range end, exclusive, same kind as `start`: after `start`, at most 3 years later; "
        "clipped to now.",
    ),
]
STAFF_PARAMETER = OpenApiParameter(
    "staff", {"type": "string", "pattern": r"^( *(none|[0-9]{1,18})( *, *(none|[0-9]{1,18}))* *)?$"},
    description="Comma-separated staff ids and/or `none` (unassigned; empty = no filter): every figure counts only "
    "bookings whose assigned_staff and complaints whose assigned_to is among them; the workload lists only those "
    "staff. An id of no staff member is a 400.",
)


def _responses(body: type, error: type, description: str) -> dict:
    """The documented responses: JSON bodies, or CSV text when CSV was asked for (errors as one flattened row)."""
    csv_text = {"type": "string", "description": "CSV, UTF-8, header row first."}
    documented = {
        200: (body, description),
        400: (error, "A query parameter is invalid."),
        401: (ErrorDetail, "No or invalid credentials."),
        403: (ErrorDetail, "Neither ops.read nor ops.admin."),
        429: (ErrorDetail, "Too many requests, or another cold computation of yours still running; see Retry-After."),
    }
    responses: dict = {304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match.")}
    for code, (schema, text) in documented.items():
        responses[(code, "application/json")] = OpenApiResponse(schema, description=text)
        responses[(code, "text/csv")] = OpenApiResponse(csv_text, description=text)
    return responses


RECORDS_DESCRIPTION = (
    "The bookings or complaints behind one count of the metrics endpoint, newest first (created_at, then id, "
    "descending), a page at a time: `count` equals the figure of /metrics for the same window and staff filter. "
    "Requires ops.read; revenue figures and the rows' total_amount require ops.admin (a reader asking for a revenue "
    "figure gets 403). `next` and `previous` are links to the neighbouring pages; their cursor pins the instant the "
    "first page was taken at. As CSV (`?format=csv` or `Accept: text/csv`): every row, streamed, same columns."
)


def _representation_etag(etag: str, representation: str) -> str:
    """The validator of one representation (json, api = browsable HTML, csv) of a payload: each body has its own."""
    return f'{etag[:-1]}-{representation}"'


def _carries_revenue(payload: dict) -> bool:
    """Whether a payload holds an amount: the revenue group or series, a revenue figure's records, staff revenue."""
    rows = payload.get("results", payload.get("rows", []))
    return (MetricGroup.REVENUE in payload or SeriesMetric.REVENUE in payload.get("series", {}) or "amount" in payload
            or any("total_amount" in row or "revenue" in row for row in rows))


class OpsDashboardViewSet(viewsets.ViewSet):
    """The operations dashboard."""

    permission_classes = [CanViewOpsMetrics]
    throttle_classes = [OpsMetricsThrottle]
    throttle_scope = THROTTLE_SCOPE
    content_negotiation_class = LenientFormatNegotiation

    def _audit_refusal(self) -> None:
        """One denied row for the endpoint asked: the period and groups or metrics when the query parses, else none."""
        if "records" in self.action_map.values():
            figure = self.request.query_params.get("figure", "")
            audit.record_audit(
                user=self.request.user, action=AuditAction.VIEW_RECORDS_DENIED, period="", include=(),
                ip_address=client_ip(self.request), resource_type=ResourceType.DASHBOARD_RECORDS,
                figure=figure if figure in FIGURE_NAMES else "",
            )
            return
        if "staff" in self.action_map.values():
            audit.record_audit(
                user=self.request.user, action=AuditAction.VIEW_STAFF_DENIED, period="", include=(),
                ip_address=client_ip(self.request), resource_type=ResourceType.DASHBOARD_STAFF,
            )
            return
        if "timeseries" in self.action_map.values():
            query = TimeseriesQuerySerializer(data=self.request.query_params)
            parsed = query.validated_data["query"] if query.is_valid() else None
            audit.record_audit(
                user=self.request.user, action=AuditAction.VIEW_TIMESERIES_DENIED,
                period=parsed.period if parsed else "", include=(parsed.metrics or ()) if parsed else (),
                ip_address=client_ip(self.request), resource_type=ResourceType.DASHBOARD_TIMESERIES,
            )
            return
        try:
            query = MetricsQuerySerializer(data=self.request.query_params)
            asked = query.validated_data if query.is_valid() else {"period": "", "groups": ()}
        except SuspiciousOperation:  # too many parameters to parse at all
            asked = {"period": "", "groups": ()}
        audit.record_audit(
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
        # Every refusal of a logged-in user is audited here, once per request (docs/api.md, audit): permission,
        # throttle, method, content negotiation (406 for an unmet Accept; an unknown ?format= is ignored) and an
        # unparsable query string. The browsable API's renderer re-checks permissions later, outside this handler.
        # Without credentials there is no user to record.
        if isinstance(exc, SuspiciousOperation):
            # Django refuses to parse an oversized query string (DATA_UPLOAD_MAX_NUMBER_FIELDS): a JSON 400 too.
            exc = exceptions.ParseError("The query string has too many parameters.")
        refused = (
            exceptions.PermissionDenied, exceptions.Throttled, exceptions.MethodNotAllowed, exceptions.NotAcceptable,
            exceptions.ParseError,
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
                "all: no lower bound (growth then compares months). Business timezone. Not together with start/end.",
            ),
            *RANGE_PARAMETERS,
            STAFF_PARAMETER,
            OpenApiParameter(
                "include", {"type": "array", "items": {"type": "string", "enum": MetricGroup.values}, "minItems": 1},
                style="form", explode=False,
                description="Comma-separated metric groups to return (duplicates ignored); default: all of them.",
            ),
            FORMAT_PARAMETER,
            IF_NONE_MATCH_PARAMETER,
        ],
        responses=_responses(
            DashboardMetricsResponse, QueryErrorResponse,
            "The figures; as CSV one row with a `group.field` column per figure (nested maps flattened).",
        ),
    )
    @action(
        detail=False, methods=["get"], url_path="metrics", name="Ops dashboard metrics",
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, MetricsCSVRenderer],
    )
    def metrics(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        if not query.is_valid():
            self._audit_refusal()
            body = {"detail": "Invalid query parameters.", "errors": query.errors, "valid": VALID_QUERY_VALUES}
            return Response(QueryErrorResponse(body).data, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = dashboard.metrics_for_user(
                user=request.user, period=query.validated_data["period"], groups=query.validated_data["groups"],
                custom=query.validated_data["custom"], staff=query.validated_data["staff"], ip_address=client_ip(request),
            )
        except dashboard.ComputationBusy as exc:
            raise _busy(exc) from exc
        except InvalidQuery as exc:  # the range cannot be served (audited by the service)
            body = {"detail": "Invalid query parameters.", "errors": {exc.param: [exc.message]},
                    "valid": VALID_QUERY_VALUES}
            return Response(QueryErrorResponse(body).data, status=status.HTTP_400_BAD_REQUEST)
        return self._conditional(result)

    def _conditional(self, result: dashboard.CachedMetrics) -> Response:
        """The payload, or 304 when If-None-Match holds this representation's ETag; private, varying by credentials."""
        request = self.request
        etag = _representation_etag(result.etag, request.accepted_renderer.format)
        unchanged = get_conditional_response(request, etag=etag)  # weak If-None-Match comparison, "*" included
        if unchanged is not None and unchanged.status_code == status.HTTP_304_NOT_MODIFIED:
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(result.payload)  # rendered once per computation (reports.encoding.render_payload)
        response["ETag"] = etag
        response["X-Cache"] = "hit" if result.hit else "miss"
        if result.age is not None:  # an older generation served while it is recomputed (max_staleness_seconds)
            response["Age"] = str(result.age)
        if _carries_revenue(result.payload):
            # Revenue is kept on no disk or shared cache; the page and API clients revalidate with the ETag themselves.
            patch_cache_control(response, private=True, no_store=True)
        else:
            # Bodies depend on who asks; browsers may keep them but must revalidate (cheap, thanks to the ETag).
            patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        return response

    @extend_schema(
        operation_id="ops_dashboard_timeseries",
        summary="Dashboard time series",
        description=(
            "Chart-ready series per calendar bucket (hour, day, ISO week, month) of the business timezone, "
            "columnar: bucket starts and one list of values per metric. Requires ops.read; the revenue series "
            "requires ops.admin and is otherwise withheld and listed in `redacted` when asked for. Counts are "
            "zero-filled, rates and averages null when empty. Send the ETag back in If-None-Match to get 304."
        ),
        parameters=[
            OpenApiParameter(
                "metrics",
                {"type": "array", "items": {"type": "string", "enum": SeriesMetric.values}, "minItems": 1,
                 "maxItems": len(SeriesMetric.values), "uniqueItems": True},
                style="form", explode=False,
                description="Comma-separated series to return (duplicates ignored); default: all the user may see.",
            ),
            OpenApiParameter(
                "period", OpenApiTypes.STR, enum=Period.values, default=DEFAULT_PERIOD.value,
                description="As for the metrics endpoint; `all` starts at the month of the earliest record. "
                "Not together with start/end.",
            ),
            *RANGE_PARAMETERS,
            OpenApiParameter(
                "interval", OpenApiTypes.STR, enum=Interval.values,
                description="Bucket unit; default hour for today, day for week and month, month for all; for a "
                "custom range hour up to 2 days, day up to 92, week up to 366, else month. At most "
                f"{MAX_BUCKETS} buckets, and at most {MAX_SERIES_COST} buckets times metrics (the buckets of both "
                "windows with compare=true).",
            ),
            OpenApiParameter(
                "compare", OpenApiTypes.BOOL, default=False,
                description="Add the previous window's series (not with period=all).",
            ),
            STAFF_PARAMETER,
            FORMAT_PARAMETER,
            IF_NONE_MATCH_PARAMETER,
        ],
        responses=_responses(
            TimeseriesResponse, TimeseriesQueryErrorResponse,
            "The series; as CSV one row per bucket: start, end, one column per metric (with compare=true a "
            "leading `window` column, current rows then previous rows).",
        ),
    )
    @action(
        detail=False, methods=["get"], url_path="timeseries", name="Ops dashboard time series",
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, TimeseriesCSVRenderer],
    )
    def timeseries(self, request: Request) -> Response:
        query = TimeseriesQuerySerializer(data=request.query_params)
        if not query.is_valid():
            self._audit_refusal()
            return _timeseries_error(query.errors)
        try:
            result = dashboard.timeseries_for_user(
                user=request.user, query=query.validated_data["query"], ip_address=client_ip(request)
            )
        except dashboard.ComputationBusy as exc:
            raise _busy(exc) from exc
        except InvalidQuery as exc:  # the window cannot be served (audited by the service)
            return _timeseries_error({exc.param: [exc.message]})
        return self._conditional(result)

    @extend_schema(
        operation_id="ops_dashboard_records",
        summary="Records behind a figure",
        description=RECORDS_DESCRIPTION,
        parameters=[
            OpenApiParameter("figure", OpenApiTypes.STR, required=True, enum=FIGURE_NAMES,
                             description="The JSON path of a count in the metrics response."),
            OpenApiParameter(
                "period", OpenApiTypes.STR, enum=Period.values, default=DEFAULT_PERIOD.value,
                description="As for the metrics endpoint; ignored by figures of now (sla.at_risk, realtime.*). "
                "Not together with start/end.",
            ),
            *RANGE_PARAMETERS,
            STAFF_PARAMETER,
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 500}, default=50,
                             description="Rows per page."),
            OpenApiParameter("cursor", OpenApiTypes.STR,
                             description="Opaque cursor from a `next` or `previous` link of the same query."),
            FORMAT_PARAMETER,
            IF_NONE_MATCH_PARAMETER,
        ],
        responses=_responses(
            RecordsResponse, RecordsQueryErrorResponse,
            "A page of rows; as CSV every row (one line each, the columns of a row, staff as `id` and `name`).",
        ),
    )
    @action(
        detail=False, methods=["get"], url_path="records", name="Ops dashboard records",
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, RecordsCSVRenderer],
    )
    def records(self, request: Request) -> Response:
        query = RecordsQuerySerializer(data=request.query_params)
        if not query.is_valid():
            self._audit_refusal()
            return _error(query.errors, VALID_RECORDS_VALUES, RecordsQueryErrorResponse)
        parsed = query.validated_data["query"]
        asked = {"user": request.user, "query": parsed, "ip_address": client_ip(request)}
        try:
            if request.accepted_renderer.format == "csv":
                return _streamed(records.records_export_for_user(**asked))
            page = records.records_for_user(**asked)
        except InvalidQuery as exc:  # a cursor or range that cannot be served (audited by the service)
            return _error({exc.param: [exc.message]}, VALID_RECORDS_VALUES, RecordsQueryErrorResponse)
        except records.NotPermitted as exc:  # audited by the service
            return Response(ErrorDetail({"detail": str(exc)}).data, status=status.HTTP_403_FORBIDDEN)
        payload = {**page.payload}
        for link in ("next", "previous"):
            if payload[link] is not None:
                payload[link] = _with_query(request, cursor=payload[link])
        return self._conditional(dashboard.CachedMetrics(payload=payload, hit=False, etag=page.etag))


    @extend_schema(
        operation_id="ops_dashboard_staff",
        summary="Per-staff performance",
        description=(
            "One row per active staff member (inactive ones too when some counted work is theirs) plus one row for "
            "unassigned work, with the metrics' definitions restricted to each: their counts add up to the "
            "unfiltered figures of /metrics. Requires ops.read; `revenue` requires ops.admin and is otherwise "
            "withheld and listed in `redacted`. Send the ETag back in If-None-Match to get 304."
        ),
        parameters=[
            OpenApiParameter(
                "period", OpenApiTypes.STR, enum=Period.values, default=DEFAULT_PERIOD.value,
                description="As for the metrics endpoint. Not together with start/end.",
            ),
            *RANGE_PARAMETERS,
            STAFF_PARAMETER,
            OpenApiParameter(
                "ordering", {"type": "string", "pattern": f"^(-?({'|'.join(FIELDS)}))?$"}, default=DEFAULT_ORDERING,
                description=f"A field to sort by ({', '.join(FIELDS)}), `-` first for descending; nulls last; empty = "
                "the default. `staff` sorts by name with "
                "the unassigned row last; `revenue` needs ops.admin.",
            ),
            FORMAT_PARAMETER,
            IF_NONE_MATCH_PARAMETER,
        ],
        responses=_responses(
            StaffPerformanceResponse, StaffQueryErrorResponse,
            "The rows; as CSV one line per row (staff as `staff_id` and `staff_name`).",
        ),
    )
    @action(
        detail=False, methods=["get"], url_path="staff", name="Ops dashboard staff performance",
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, StaffCSVRenderer],
    )
    def staff(self, request: Request) -> Response:
        query = StaffQuerySerializer(data=request.query_params)
        if not query.is_valid():
            self._audit_refusal()
            return _error(query.errors, VALID_STAFF_VALUES, StaffQueryErrorResponse)
        try:
            result = performance.staff_for_user(user=request.user, ip_address=client_ip(request),
                                                **query.validated_data)
        except InvalidQuery as exc:  # audited by the service
            return _error({exc.param: [exc.message]}, VALID_STAFF_VALUES, StaffQueryErrorResponse)
        return self._conditional(result)


def _busy(exc: dashboard.ComputationBusy) -> exceptions.Throttled:
    """A 429 with Retry-After, audited by handle_exception like the rate limit's."""
    return exceptions.Throttled(wait=exc.retry_after, detail="Another computation of yours is still running.")


def _timeseries_error(errors: dict) -> Response:
    body = {"detail": "Invalid query parameters.", "errors": errors, "valid": VALID_TIMESERIES_VALUES}
    return Response(TimeseriesQueryErrorResponse(body).data, status=status.HTTP_400_BAD_REQUEST)




def _with_query(request: Request, **params: str) -> str:
    """The request's absolute URL with `params` replaced."""
    query = request.query_params.copy()
    for name, value in params.items():
        query[name] = value
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


STAFF_COLUMNS = ("assigned_staff", "assigned_to")


def _streamed(export: records.RecordsExport) -> StreamingHttpResponse:
    """The whole list as CSV, written as the rows are read (staff as `id` and `name`)."""

    def cells(row: dict) -> list:
        flat = []
        for column in export.columns:
            if column in STAFF_COLUMNS:
                staff = row[column] or {}
                flat += [staff.get("id"), staff.get("name")]
            else:
                flat.append(row[column])
        return flat

    header = []
    for column in export.columns:
        header += [f"{column}_id", f"{column}_name"] if column in STAFF_COLUMNS else [column]
    rows = (cells(row) for row in export.rows)
    response = StreamingHttpResponse(csv_stream(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    if "total_amount" in export.columns:  # amounts are kept on no disk (as in _carries_revenue)
        patch_cache_control(response, private=True, no_store=True)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
    return response


def _error(errors: dict, valid: dict, body_type: type) -> Response:
    body = {"detail": "Invalid query parameters.", "errors": errors, "valid": valid}
    return Response(body_type(body).data, status=status.HTTP_400_BAD_REQUEST)
