"""The metrics query, the response (one serializer per metric group) and the error bodies."""
from collections.abc import Callable

from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from bookings.models import BookingStatus, PaymentStatus
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.constants import (
    ADMIN_ONLY_GROUPS,
    ADMIN_ONLY_SERIES,
    ALL_GROUPS,
    ALL_SERIES,
    CUSTOM_PERIOD,
    Interval,
    MetricGroup,
    Period,
    ReportedPeriod,
    SeriesMetric,
)
from ops_metrics.reports.records import FIGURE_NAMES, SLA_STATES
from ops_metrics.reports.staff import ORDERINGS
from ops_metrics.web.params import (
    BOOLEANS,
    CURSORS,
    PAGE_SIZES,
    RANGE_FORMATS,
    STAFF_FORMATS,
    InvalidQuery,
    parse_metrics_query,
    parse_range,
    parse_records_query,
    parse_series_query,
    parse_staff,
    parse_staff_query,
)

# Sums of 12-digit booking amounts can outgrow 12 digits; quantizing must never fail on output.
MONEY = {"max_digits": 20, "decimal_places": 2, "coerce_to_string": True}


class MetricsQuerySerializer(serializers.Serializer):
    """Validates the raw `period`, `start`/`end`, `include` and `staff` query parameters (rules: `ops_metrics.web.params`)."""

    def to_internal_value(self, data) -> dict:
        try:
            custom = parse_range(period=data.getlist("period"), start=data.getlist("start"), end=data.getlist("end"))
            period, groups = parse_metrics_query(
                period=[] if custom else data.getlist("period"), include=data.getlist("include")
            )
            staff = parse_staff(staff=data.getlist("staff"))
        except InvalidQuery as exc:
            raise serializers.ValidationError({exc.param: [exc.message]}) from exc
        return {"period": CUSTOM_PERIOD if custom else period, "custom": custom, "groups": groups, "staff": staff}


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with the value's own UTC offset, so window bounds read in the business timezone."""

    def enforce_timezone(self, value):
        return value if timezone.is_aware(value) else super().enforce_timezone(value)


def _choice_map(name: str, choices: list[tuple[str, str]], field: Callable[[str], serializers.Field], doc: str):
    """A serializer with one required field per choice, so the schema names every key of the map."""
    fields = {value: field(label) for value, label in choices}
    return type(name, (serializers.Serializer,), {"__doc__": doc, "__module__": __name__, **fields})


def _count(what: str) -> Callable[[str], serializers.IntegerField]:
    return lambda label: serializers.IntegerField(min_value=0, help_text=f"{what} “{label}”.")


BookingStatusCounts = _choice_map(
    "BookingStatusCounts", BookingStatus.choices, _count("Bookings created in the window with status"),
    "Bookings created in the window, per status (every status, zero-filled).",
)
BookingStatusAmounts = _choice_map(
    "BookingStatusAmounts", BookingStatus.choices,
    lambda label: serializers.DecimalField(**MONEY, help_text=f"Sum of total_amount of bookings with status “{label}”."),
    "Booking amounts created in the window, per status (every status, zero-filled), as decimal strings.",
)
ComplaintPriorityCounts = _choice_map(
    "ComplaintPriorityCounts", ComplaintPriority.choices, _count("Complaints created in the window with priority"),
    "Complaints created in the window, per priority (every priority, zero-filled).",
)
ComplaintStatusCounts = _choice_map(
    "ComplaintStatusCounts", ComplaintStatus.choices, _count("Complaints created in the window with status"),
    "Complaints created in the window, per status (every status, zero-filled).",
)


class SLACounts(serializers.Serializer):
    """Unresolved complaints at risk of, or in, breach of an SLA target."""

    at_risk = serializers.IntegerField(min_value=0, help_text="Unresolved, nothing breached, a target due soon.")
    breached = serializers.IntegerField(min_value=0, help_text="Unresolved with at least one breached target.")


SLAPriorityCounts = _choice_map(
    "SLAPriorityCounts", ComplaintPriority.choices,
    lambda label: SLACounts(help_text=f"SLA figures of “{label}” priority complaints."),
    "SLA figures per complaint priority (every priority).",
)


class WindowSerializer(serializers.Serializer):
    """The half-open interval [start, end) the period's figures are taken from."""

    start = OffsetDateTimeField(allow_null=True, help_text="Inclusive lower bound; null for period `all`.")
    end = OffsetDateTimeField(help_text="Exclusive upper bound: the moment the figures were computed for.")


class BoundedWindow(serializers.Serializer):
    """A half-open interval [start, end)."""

    start = OffsetDateTimeField(help_text="Inclusive lower bound.")
    end = OffsetDateTimeField(help_text="Exclusive upper bound.")


class Comparison(serializers.Serializer):
    """The windows growth rates compare: the current stretch and the same stretch of the previous unit."""

    current = BoundedWindow(help_text="The current window (the period's own; the month for `all`).")
    previous = BoundedWindow(help_text="The same stretch of the previous day, week or month; for a custom range, "
                             "the same number of local days (dates) or the same duration (timestamps) before it.")


class BookingsMetrics(serializers.Serializer):
    """Booking counts."""

    by_status = BookingStatusCounts(help_text="Bookings created in the window, per status.")
    total = serializers.IntegerField(min_value=0, help_text="Bookings created in the window.")
    today = serializers.IntegerField(min_value=0, help_text="Bookings created today (whatever the period).")
    week = serializers.IntegerField(min_value=0, help_text="Bookings created this ISO week (whatever the period).")
    month = serializers.IntegerField(min_value=0, help_text="Bookings created this month (whatever the period).")
    growth_rate = serializers.FloatField(
        allow_null=True, help_text="Percent change from `previous` to the current comparison window, one decimal; "
        "null when `previous` is 0.",
    )
    previous = serializers.IntegerField(min_value=0, help_text="Bookings created in the previous comparison window.")


class ComplaintsMetrics(serializers.Serializer):
    """Complaint counts."""

    by_priority = ComplaintPriorityCounts(help_text="Complaints created in the window, per priority.")
    by_status = ComplaintStatusCounts(help_text="Complaints created in the window, per status.")
    total = serializers.IntegerField(min_value=0, help_text="Complaints created in the window.")
    unresolved = serializers.IntegerField(
        min_value=0, help_text="Complaints created in the window that are open, in progress or escalated."
    )
    today = serializers.IntegerField(min_value=0, help_text="Complaints created today (whatever the period).")
    avg_resolution_hours = serializers.FloatField(
        allow_null=True, help_text="Mean hours from creation to resolution of complaints resolved in the window, "
        "2 decimals; null when none was resolved.",
    )


class SLAMetrics(serializers.Serializer):
    """Service-level figures: risk and breaches now, compliance and timings in the window."""

    at_risk = serializers.IntegerField(
        min_value=0, help_text="Unresolved complaints (all, now) with no breached target and a target due soon."
    )
    breached = serializers.IntegerField(
        min_value=0, help_text="Unresolved complaints (all, now) with at least one breached target."
    )
    by_priority = SLAPriorityCounts(help_text="`at_risk` and `breached` per priority.")
    compliance_rate = serializers.FloatField(
        allow_null=True, help_text="Percent of complaints resolved in the window with no breached target, "
        "one decimal; null when none was resolved.",
    )
    avg_response_hours = serializers.FloatField(
        allow_null=True, help_text="Mean hours from creation to first response, of complaints responded to "
        "in the window, 2 decimals; null when none.",
    )
    avg_resolution_hours = serializers.FloatField(
        allow_null=True, help_text="Mean hours from creation to resolution, of complaints resolved in the "
        "window, 2 decimals; null when none.",
    )
    avg_response_business_hours = serializers.FloatField(
        allow_null=True, help_text="Mean business hours from creation to first response (under the calendar of the "
        "complaint's SLA policy when the response was recorded; elapsed hours for a policy without calendar), of "
        "complaints responded to in the window whose business time is recorded, 2 decimals; null when none.",
    )
    avg_resolution_business_hours = serializers.FloatField(
        allow_null=True, help_text="Mean business hours from creation to resolution (under the calendar of the "
        "complaint's SLA policy when the resolution was recorded; elapsed hours for a policy without calendar), of "
        "complaints resolved in the window whose business time is recorded, 2 decimals; null when none.",
    )


class RevenueMetrics(serializers.Serializer):
    """Revenue (bookings confirmed, in progress or completed); ops.admin only."""

    total = serializers.DecimalField(**MONEY, help_text="Revenue of bookings created in the window.")
    by_status = BookingStatusAmounts(help_text="Amounts of bookings created in the window, per status.")
    today = serializers.DecimalField(**MONEY, help_text="Revenue of bookings created today.")
    week = serializers.DecimalField(**MONEY, help_text="Revenue of bookings created this ISO week.")
    month = serializers.DecimalField(**MONEY, help_text="Revenue of bookings created this month.")
    average_order_value = serializers.DecimalField(
        **MONEY, allow_null=True,
        help_text="`total` divided by the number of revenue bookings in the window; null when there are none.",
    )
    growth_rate = serializers.FloatField(
        allow_null=True, help_text="Percent change from `previous` to the current comparison window's revenue, "
        "one decimal; null when `previous` is 0.",
    )
    previous = serializers.DecimalField(**MONEY, help_text="Revenue in the previous comparison window.")
    currency = serializers.CharField(help_text="ISO 4217 code of every amount.")


class StaffWorkload(serializers.Serializer):
    """Open work assigned to one active staff member."""

    staff_id = serializers.IntegerField(help_text="Primary key of the staff member.")
    name = serializers.CharField(help_text="Name of the staff member.")
    bookings = serializers.IntegerField(min_value=0, help_text="Assigned bookings pending, confirmed or in progress.")
    complaints = serializers.IntegerField(min_value=0, help_text="Assigned unresolved complaints.")
    total = serializers.IntegerField(min_value=0, help_text="`bookings` + `complaints`.")


class RealtimeMetrics(serializers.Serializer):
    """Figures as of now, never period-filtered."""

    active_bookings = serializers.IntegerField(min_value=0, help_text="Bookings in progress.")
    pending_bookings = serializers.IntegerField(min_value=0, help_text="Bookings pending or confirmed.")
    active_complaints = serializers.IntegerField(min_value=0, help_text="Complaints open or in progress.")
    critical_complaints = serializers.IntegerField(min_value=0, help_text="Unresolved critical complaints.")
    staff_workload = StaffWorkload(
        many=True, help_text="One row per active staff member, busiest first, then by name."
    )


class DashboardMetricsResponse(serializers.Serializer):
    """The dashboard metrics; only the groups asked for (and permitted) are present."""

    period = serializers.ChoiceField(
        choices=ReportedPeriod.choices, help_text="The period the figures cover (`custom` for a start/end range)."
    )
    timezone = serializers.CharField(help_text="IANA name of the business timezone days are counted in.")
    window = WindowSerializer(help_text="The period's window.")
    comparison = Comparison(help_text="The windows growth rates compare.")
    generated_at = OffsetDateTimeField(help_text="When the figures were computed (earlier than now on a cache hit).")
    bookings = BookingsMetrics(required=False, help_text="Present when `include` asks for bookings.")
    complaints = ComplaintsMetrics(required=False, help_text="Present when `include` asks for complaints.")
    sla = SLAMetrics(required=False, help_text="Present when `include` asks for sla.")
    revenue = RevenueMetrics(required=False, help_text="Present when `include` asks for revenue and the user "
                             "has ops.admin.")
    realtime = RealtimeMetrics(required=False, help_text="Present when `include` asks for realtime.")
    redacted = serializers.ListField(
        child=serializers.ChoiceField(choices=[(g, MetricGroup(g).label) for g in ADMIN_ONLY_GROUPS]),
        help_text="Groups asked for but withheld for lack of ops.admin.",
    )


class QueryErrors(serializers.Serializer):
    """What is wrong, per query parameter."""

    period = serializers.ListField(child=serializers.CharField(), required=False, help_text="Errors in `period`.")
    include = serializers.ListField(child=serializers.CharField(), required=False, help_text="Errors in `include`.")
    start = serializers.ListField(child=serializers.CharField(), required=False, help_text="Errors in `start`.")
    end = serializers.ListField(child=serializers.CharField(), required=False, help_text="Errors in `end`.")
    staff = serializers.ListField(child=serializers.CharField(), required=False, help_text="Errors in `staff`.")


class ValidQueryValues(serializers.Serializer):
    """The values each query parameter accepts."""

    period = serializers.ListField(child=serializers.ChoiceField(choices=Period.choices), help_text="Valid periods.")
    include = serializers.ListField(
        child=serializers.ChoiceField(choices=MetricGroup.choices),
        help_text="Valid groups (comma-separated, any non-empty subset).",
    )
    start = serializers.ListField(child=serializers.CharField(), help_text="Accepted formats of `start`.")
    end = serializers.ListField(child=serializers.CharField(), help_text="Accepted formats of `end`.")
    staff = serializers.ListField(child=serializers.CharField(), help_text="Accepted forms of `staff`.")


VALID_QUERY_VALUES = {
    "period": Period.values, "include": list(ALL_GROUPS), "start": RANGE_FORMATS, "end": RANGE_FORMATS,
    "staff": STAFF_FORMATS,
}


class QueryErrorResponse(serializers.Serializer):
    """400 body: the parameters at fault and the values they accept."""

    detail = serializers.CharField(help_text="Summary of the error.")
    errors = QueryErrors(help_text="Messages per query parameter.")
    valid = ValidQueryValues(help_text="Accepted values per query parameter.")


class ErrorDetail(serializers.Serializer):
    """401, 403 and 429 body."""

    detail = serializers.CharField(help_text="Why the request was refused.")


class TimeseriesQuerySerializer(serializers.Serializer):
    """Validates the raw time-series query parameters (rules live in `ops_metrics.web.params`)."""

    def to_internal_value(self, data) -> dict:
        try:
            query = parse_series_query(**{param: data.getlist(param) for param in SERIES_PARAMS})
        except InvalidQuery as exc:
            raise serializers.ValidationError({exc.param: [exc.message]}) from exc
        return {"query": query}


SERIES_PARAMS = ("metrics", "period", "start", "end", "interval", "compare", "staff")


def _series(child: Callable[[], serializers.Field], doc: str) -> serializers.ListField:
    return serializers.ListField(child=child(), required=False, help_text=doc)


class SeriesValues(serializers.Serializer):
    """One list per metric asked for (and permitted), one value per bucket, in bucket order."""

    bookings_created = _series(lambda: serializers.IntegerField(min_value=0), "Bookings created (all statuses).")
    revenue = _series(
        lambda: serializers.DecimalField(**MONEY),
        "Sum of total_amount of bookings confirmed, in progress or completed, by created_at (ops.admin only).",
    )
    complaints_created = _series(lambda: serializers.IntegerField(min_value=0), "Complaints created.")
    complaints_resolved = _series(lambda: serializers.IntegerField(min_value=0), "Complaints resolved.")
    sla_compliance_rate = _series(
        lambda: serializers.FloatField(allow_null=True),
        "Percent of the complaints resolved in the bucket with no breached SLA target, one decimal; null when none.",
    )
    avg_response_hours = _series(
        lambda: serializers.FloatField(allow_null=True),
        "Mean hours from creation to first response of complaints responded to in the bucket; null when none.",
    )
    avg_resolution_hours = _series(
        lambda: serializers.FloatField(allow_null=True),
        "Mean hours from creation to resolution of complaints resolved in the bucket; null when none.",
    )
    avg_response_business_hours = _series(
        lambda: serializers.FloatField(allow_null=True),
        "Mean business hours from creation to first response of complaints responded to in the bucket whose "
        "business time is recorded; null when none.",
    )
    avg_resolution_business_hours = _series(
        lambda: serializers.FloatField(allow_null=True),
        "Mean business hours from creation to resolution of complaints resolved in the bucket whose business time "
        "is recorded; null when none.",
    )


class PreviousSeries(serializers.Serializer):
    """The comparison window cut into buckets the same way (position i compares with the current position i)."""

    window = BoundedWindow(help_text="The previous window (its end bounds the last previous bucket).")
    buckets = serializers.ListField(child=OffsetDateTimeField(), help_text="Bucket starts of the previous window.")
    series = SeriesValues(help_text="The previous window's values per metric.")


class TimeseriesResponse(serializers.Serializer):
    """Chart-ready series: bucket starts and one list of values per metric (columnar)."""

    period = serializers.ChoiceField(choices=ReportedPeriod.choices, help_text="The period, or `custom`.")
    interval = serializers.ChoiceField(choices=Interval.choices, help_text="The calendar unit of a bucket.")
    timezone = serializers.CharField(help_text="IANA name of the business timezone buckets are cut in.")
    window = BoundedWindow(help_text="The window cut into buckets (for `all`: from the earliest record's month).")
    generated_at = OffsetDateTimeField(help_text="When the figures were computed (earlier than now on a cache hit).")
    buckets = serializers.ListField(
        child=OffsetDateTimeField(),
        help_text="Bucket starts, local offsets; each bucket ends where the next starts, the last at `window.end`.",
    )
    series = SeriesValues(help_text="Values per metric, one per bucket.")
    previous = PreviousSeries(required=False, help_text="Present with `compare=true`.")
    redacted = serializers.ListField(
        child=serializers.ChoiceField(choices=[(m, SeriesMetric(m).label) for m in ADMIN_ONLY_SERIES]),
        help_text="Metrics asked for but withheld for lack of ops.admin.",
    )


def _messages(param: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False, help_text=f"Errors in `{param}`.")


class TimeseriesQueryErrors(serializers.Serializer):
    """What is wrong, per query parameter."""

    metrics = _messages("metrics")
    period = _messages("period")
    start = _messages("start")
    end = _messages("end")
    interval = _messages("interval")
    compare = _messages("compare")
    staff = _messages("staff")


class ValidTimeseriesValues(serializers.Serializer):
    """The values each time-series query parameter accepts."""

    metrics = serializers.ListField(
        child=serializers.ChoiceField(choices=SeriesMetric.choices),
        help_text="Valid metrics (comma-separated, any non-empty subset).",
    )
    period = serializers.ListField(child=serializers.ChoiceField(choices=Period.choices), help_text="Valid periods.")
    start = serializers.ListField(child=serializers.CharField(), help_text="Accepted formats of `start`.")
    end = serializers.ListField(child=serializers.CharField(), help_text="Accepted formats of `end`.")
    interval = serializers.ListField(
        child=serializers.ChoiceField(choices=Interval.choices), help_text="Valid intervals."
    )
    compare = serializers.ListField(child=serializers.CharField(), help_text="Valid values of `compare`.")
    staff = serializers.ListField(child=serializers.CharField(), help_text="Accepted forms of `staff`.")


VALID_TIMESERIES_VALUES = {
    "metrics": list(ALL_SERIES), "period": Period.values, "start": RANGE_FORMATS, "end": RANGE_FORMATS,
    "interval": Interval.values, "compare": BOOLEANS, "staff": STAFF_FORMATS,
}


class TimeseriesQueryErrorResponse(serializers.Serializer):
    """400 body of the time-series endpoint: the parameters at fault and the values they accept."""

    detail = serializers.CharField(help_text="Summary of the error.")
    errors = TimeseriesQueryErrors(help_text="Messages per query parameter.")
    valid = ValidTimeseriesValues(help_text="Accepted values per query parameter.")


RECORDS_PARAMS = ("figure", "period", "start", "end", "staff", "page_size", "cursor")


class RecordsQuerySerializer(serializers.Serializer):
    """Validates the raw records query parameters (rules live in `ops_metrics.web.params`)."""

    def to_internal_value(self, data) -> dict:
        try:
            query = parse_records_query(**{param: data.getlist(param) for param in RECORDS_PARAMS})
        except InvalidQuery as exc:
            raise serializers.ValidationError({exc.param: [exc.message]}) from exc
        return {"query": query}


class StaffRef(serializers.Serializer):
    """A staff member."""

    id = serializers.IntegerField(help_text="Primary key of the staff member.")
    name = serializers.CharField(help_text="Name of the staff member.")


class BookingRecord(serializers.Serializer):
    """A booking behind a figure."""

    id = serializers.IntegerField(help_text="Primary key of the booking.")
    reference = serializers.CharField(help_text="The booking's unique reference.")
    customer_name = serializers.CharField(help_text="The customer's name.")
    status = serializers.ChoiceField(choices=BookingStatus.choices, help_text="Booking status.")
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices, help_text="Payment status.")
    assigned_staff = StaffRef(allow_null=True, help_text="The assigned staff member, or null.")
    scheduled_for = OffsetDateTimeField(allow_null=True, help_text="When the service is scheduled, if known.")
    created_at = OffsetDateTimeField(help_text="When the booking was made.")
    total_amount = serializers.DecimalField(**MONEY, required=False, help_text="Amount (ops.admin only).")


class ComplaintRecord(serializers.Serializer):
    """A complaint behind a figure, with where it stands against its SLA targets now."""

    id = serializers.IntegerField(help_text="Primary key of the complaint.")
    subject = serializers.CharField(help_text="The complaint's subject.")
    priority = serializers.ChoiceField(choices=ComplaintPriority.choices, help_text="Priority.")
    status = serializers.ChoiceField(choices=ComplaintStatus.choices, help_text="Status.")
    assigned_to = StaffRef(allow_null=True, help_text="The assigned staff member, or null.")
    booking_reference = serializers.CharField(allow_null=True, help_text="Reference of the booking, if any.")
    created_at = OffsetDateTimeField(help_text="When the complaint was made.")
    response_due_at = OffsetDateTimeField(allow_null=True, help_text="First response due; null: not tracked.")
    resolution_due_at = OffsetDateTimeField(allow_null=True, help_text="Resolution due; null: not tracked.")
    first_response_at = OffsetDateTimeField(allow_null=True, help_text="First response, if any.")
    resolved_at = OffsetDateTimeField(allow_null=True, help_text="Resolution, if any.")
    sla_state = serializers.ChoiceField(
        choices=[(state, state) for state in SLA_STATES],
        help_text="untracked (no due time), ok, at_risk or breached, by the SLA rules at `generated_at`.",
    )


class RecordsResponse(serializers.Serializer):
    """A page of the records behind a figure, newest first."""

    figure = serializers.ChoiceField(choices=[(name, name) for name in FIGURE_NAMES], help_text="The figure.")
    window = WindowSerializer(help_text="The window the rows were created (or resolved) in; for figures of now, "
                              "start is null and end is now.")
    generated_at = OffsetDateTimeField(help_text="The instant the figure is taken at (pinned by the cursor).")
    count = serializers.IntegerField(min_value=0, help_text="How many rows in all: the figure of /metrics.")
    amount = serializers.DecimalField(**MONEY, required=False, help_text="Revenue figures: their amount.")
    results = PolymorphicProxySerializer(
        component_name="Record", serializers=[BookingRecord, ComplaintRecord], resource_type_field_name=None,
        many=True, help_text="The page's rows, newest first: bookings or complaints, as the figure counts.",
    )
    next = serializers.CharField(allow_null=True, help_text="Cursor of the next (older) page, or null.")
    previous = serializers.CharField(allow_null=True, help_text="Cursor of the previous (newer) page, or null.")


class RecordsQueryErrors(serializers.Serializer):
    """What is wrong, per query parameter."""

    figure = _messages("figure")
    period = _messages("period")
    start = _messages("start")
    end = _messages("end")
    staff = _messages("staff")
    page_size = _messages("page_size")
    cursor = _messages("cursor")


class ValidRecordsValues(serializers.Serializer):
    """The values each records query parameter accepts."""

    figure = serializers.ListField(child=serializers.CharField(), help_text="Valid figures.")
    period = serializers.ListField(child=serializers.ChoiceField(choices=Period.choices), help_text="Valid periods.")
    start = serializers.ListField(child=serializers.CharField(), help_text="Accepted formats of `start`.")
    end = serializers.ListField(child=serializers.CharField(), help_text="Accepted formats of `end`.")
    staff = serializers.ListField(child=serializers.CharField(), help_text="Accepted forms of `staff`.")
    page_size = serializers.ListField(child=serializers.CharField(), help_text="Accepted page sizes.")
    cursor = serializers.ListField(child=serializers.CharField(), help_text="Accepted cursors.")


VALID_RECORDS_VALUES = {
    "figure": FIGURE_NAMES, "period": Period.values, "start": RANGE_FORMATS, "end": RANGE_FORMATS,
    "staff": STAFF_FORMATS, "page_size": PAGE_SIZES, "cursor": CURSORS,
}


class RecordsQueryErrorResponse(serializers.Serializer):
    """400 body of the records endpoint: the parameters at fault and the values they accept."""

    detail = serializers.CharField(help_text="Summary of the error.")
    errors = RecordsQueryErrors(help_text="Messages per query parameter.")
    valid = ValidRecordsValues(help_text="Accepted values per query parameter.")


STAFF_PARAMS = ("period", "start", "end", "staff", "ordering")


class StaffQuerySerializer(serializers.Serializer):
    """Validates the raw per-staff query parameters (rules live in `ops_metrics.web.params`)."""

    def to_internal_value(self, data) -> dict:
        try:
            return parse_staff_query(**{param: data.getlist(param) for param in STAFF_PARAMS})
        except InvalidQuery as exc:
            raise serializers.ValidationError({exc.param: [exc.message]}) from exc


def _rate(text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=text)


class StaffPerformanceRow(serializers.Serializer):
    """One staff member's figures (or unassigned work's), by the metrics' definitions restricted to them."""

    staff = StaffRef(allow_null=True, help_text="The staff member; null for the unassigned row.")
    bookings = serializers.IntegerField(min_value=0, help_text="Assigned bookings created in the window.")
    bookings_completed = serializers.IntegerField(min_value=0, help_text="Of those, status completed.")
    complaints = serializers.IntegerField(min_value=0, help_text="Assigned complaints created in the window.")
    complaints_resolved = serializers.IntegerField(min_value=0, help_text="Assigned complaints resolved in the window.")
    compliance_rate = _rate("Percent of those resolved in the window with no breached SLA target; null when none.")
    avg_response_hours = _rate("Mean hours to first response of those responded to in the window; null when none.")
    avg_resolution_hours = _rate("Mean hours to resolution of those resolved in the window; null when none.")
    at_risk = serializers.IntegerField(min_value=0, help_text="Unresolved, nothing breached, a target due soon (now).")
    breached = serializers.IntegerField(min_value=0, help_text="Unresolved with a breached target (now).")
    open_bookings = serializers.IntegerField(min_value=0, help_text="Pending, confirmed or in progress (now).")
    open_complaints = serializers.IntegerField(min_value=0, help_text="Open, in progress or escalated (now).")
    revenue = serializers.DecimalField(**MONEY, required=False, help_text="Revenue of the assigned bookings created "
                                       "in the window (ops.admin only).")


class StaffPerformanceResponse(serializers.Serializer):
    """One row per active staff member (and inactive ones with counted work), plus the unassigned row."""

    period = serializers.ChoiceField(choices=ReportedPeriod.choices, help_text="The period, or `custom`.")
    window = WindowSerializer(help_text="The period's window.")
    generated_at = OffsetDateTimeField(help_text="When the figures were computed (earlier than now on a cache hit).")
    rows = StaffPerformanceRow(many=True, help_text="In the order asked for.")
    redacted = serializers.ListField(
        child=serializers.ChoiceField(choices=[("revenue", "Revenue")]),
        help_text="Fields withheld for lack of ops.admin.",
    )


class StaffQueryErrors(serializers.Serializer):
    """What is wrong, per query parameter."""

    period = _messages("period")
    start = _messages("start")
    end = _messages("end")
    staff = _messages("staff")
    ordering = _messages("ordering")


class ValidStaffValues(serializers.Serializer):
    """The values each per-staff query parameter accepts."""

    period = serializers.ListField(child=serializers.ChoiceField(choices=Period.choices), help_text="Valid periods.")
    start = serializers.ListField(child=serializers.CharField(), help_text="Accepted formats of `start`.")
    end = serializers.ListField(child=serializers.CharField(), help_text="Accepted formats of `end`.")
    staff = serializers.ListField(child=serializers.CharField(), help_text="Accepted forms of `staff`.")
    ordering = serializers.ListField(child=serializers.CharField(), help_text="Valid orderings.")


VALID_STAFF_VALUES = {
    "period": Period.values, "start": RANGE_FORMATS, "end": RANGE_FORMATS, "staff": STAFF_FORMATS, "ordering": ORDERINGS,
}


class StaffQueryErrorResponse(serializers.Serializer):
    """400 body of the per-staff endpoint: the parameters at fault and the values they accept."""

    detail = serializers.CharField(help_text="Summary of the error.")
    errors = StaffQueryErrors(help_text="Messages per query parameter.")
    valid = ValidStaffValues(help_text="Accepted values per query parameter.")
