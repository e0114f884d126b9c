"""Names defined once: periods, metric groups, series metrics, intervals, permissions, groups, audit actions, alerts."""
from django.db import models


class Period(models.TextChoices):
    """The `period` query parameter."""

    TODAY = "today", "Today"
    WEEK = "week", "This ISO week"
    MONTH = "month", "This month"
    ALL = "all", "All time"


CUSTOM_PERIOD = "custom"
# The `period` a response reports: a named period, or "custom" for a start/end range (docs/api.md, custom ranges).
ReportedPeriod = models.TextChoices(
    "ReportedPeriod", [*((p.name, (p.value, p.label)) for p in Period), ("CUSTOM", (CUSTOM_PERIOD, "Custom range"))]
)
ReportedPeriod.__doc__ = "The `period` of a response: a named period or a custom range."


class MetricGroup(models.TextChoices):
    """The groups `include` may ask for, in response order."""

    BOOKINGS = "bookings", "Bookings"
    COMPLAINTS = "complaints", "Complaints"
    SLA = "sla", "SLA"
    REVENUE = "revenue", "Revenue"
    REALTIME = "realtime", "Real time"


class AuditAction(models.TextChoices):
    """What an audit row records."""

    VIEW_METRICS = "view_metrics", "Viewed metrics"
    VIEW_METRICS_DENIED = "view_metrics_denied", "Refused metrics"
    VIEW_TIMESERIES = "view_timeseries", "Viewed time series"
    VIEW_TIMESERIES_DENIED = "view_timeseries_denied", "Refused time series"
    VIEW_RECORDS = "view_records", "Viewed records"
    VIEW_RECORDS_DENIED = "view_records_denied", "Refused records"
    VIEW_STAFF = "view_staff", "Viewed staff performance"
    VIEW_STAFF_DENIED = "view_staff_denied", "Refused staff performance"
    VIEW_ALERTS = "view_alerts", "Viewed alerts"
    VIEW_ALERTS_DENIED = "view_alerts_denied", "Refused alerts"


class ResourceType(models.TextChoices):
    """What an audited request read."""

    DASHBOARD_METRICS = "dashboard_metrics", "Dashboard metrics"
    DASHBOARD_TIMESERIES = "dashboard_timeseries", "Dashboard time series"
    DASHBOARD_RECORDS = "dashboard_records", "Records behind a figure"
    DASHBOARD_STAFF = "dashboard_staff", "Per-staff performance"
    ALERTS = "alerts", "Alert rules"


class SeriesMetric(models.TextChoices):
    """The series the time-series endpoint can return (docs/api.md, time series), in response order."""

    BOOKINGS_CREATED = "bookings_created", "Bookings created"
    REVENUE = "revenue", "Revenue"
    COMPLAINTS_CREATED = "complaints_created", "Complaints created"
    COMPLAINTS_RESOLVED = "complaints_resolved", "Complaints resolved"
    SLA_COMPLIANCE_RATE = "sla_compliance_rate", "SLA compliance rate"
    AVG_RESPONSE_HOURS = "avg_response_hours", "Average response hours"
    AVG_RESOLUTION_HOURS = "avg_resolution_hours", "Average resolution hours"
    AVG_RESPONSE_BUSINESS_HOURS = "avg_response_business_hours", "Average response business hours"
    AVG_RESOLUTION_BUSINESS_HOURS = "avg_resolution_business_hours", "Average resolution business hours"


class Interval(models.TextChoices):
    """Calendar units of the business timezone a series is cut into."""

    HOUR = "hour", "Hour"
    DAY = "day", "Day"
    WEEK = "week", "ISO week (from Monday)"
    MONTH = "month", "Month (from the 1st)"


class SourceTable(models.TextChoices):
    """The data a payload is computed from; each has its own cache generation (docs/api.md, caching)."""

    BOOKINGS = "bookings", "Bookings"
    COMPLAINTS = "complaints", "Complaints"
    STAFF = "staff", "Staff"
    CONFIG = "config", "Ops configuration"


# What each group reads; every key also depends on the config.
GROUP_TABLES = {
    MetricGroup.BOOKINGS: (SourceTable.BOOKINGS,),
    MetricGroup.REVENUE: (SourceTable.BOOKINGS,),
    MetricGroup.COMPLAINTS: (SourceTable.COMPLAINTS,),
    MetricGroup.SLA: (SourceTable.COMPLAINTS,),
    MetricGroup.REALTIME: (SourceTable.BOOKINGS, SourceTable.COMPLAINTS, SourceTable.STAFF),
}
SERIES_TABLES = {
    SeriesMetric.BOOKINGS_CREATED: (SourceTable.BOOKINGS,),
    SeriesMetric.REVENUE: (SourceTable.BOOKINGS,),
    SeriesMetric.COMPLAINTS_CREATED: (SourceTable.COMPLAINTS,),
    SeriesMetric.COMPLAINTS_RESOLVED: (SourceTable.COMPLAINTS,),
    SeriesMetric.SLA_COMPLIANCE_RATE: (SourceTable.COMPLAINTS,),
    SeriesMetric.AVG_RESPONSE_HOURS: (SourceTable.COMPLAINTS,),
    SeriesMetric.AVG_RESOLUTION_HOURS: (SourceTable.COMPLAINTS,),
    SeriesMetric.AVG_RESPONSE_BUSINESS_HOURS: (SourceTable.COMPLAINTS,),
    SeriesMetric.AVG_RESOLUTION_BUSINESS_HOURS: (SourceTable.COMPLAINTS,),
}
# The models whose committed writes move their table's generation on.
MODEL_TABLES = {
    "bookings.Booking": SourceTable.BOOKINGS,
    "complaints.Complaint": SourceTable.COMPLAINTS,
    "staff.Staff": SourceTable.STAFF,
    "ops.OpsConfig": SourceTable.CONFIG,
}

DEFAULT_PERIOD = Period.ALL
# The /ops/ page opens on this week (a person's first question), not on the API's default.
DEFAULT_PAGE_PERIOD = Period.WEEK
ALL_GROUPS = tuple(MetricGroup.values)
# Groups withheld from users who have ops.read but not ops.admin.
ADMIN_ONLY_GROUPS = (MetricGroup.REVENUE,)
ALL_SERIES = tuple(SeriesMetric.values)
ADMIN_ONLY_SERIES = (SeriesMetric.REVENUE,)
DEFAULT_INTERVALS = {Period.TODAY: Interval.HOUR, Period.WEEK: Interval.DAY, Period.MONTH: Interval.DAY,
                     Period.ALL: Interval.MONTH}
MAX_BUCKETS = 1000
# The most a time series may cost, in buckets (of both windows with compare=true) times metrics (docs/decisions.md, limits):
# the largest default view, `all` by month, is at most MAX_BUCKETS buckets of every metric, with no comparison.
MAX_SERIES_COST = MAX_BUCKETS * len(SeriesMetric)
MAX_RANGE_YEARS = 3
# The years a custom range's `start` and `end` may fall in (docs/decisions.md, limits): every window, comparison and bucket
# computed from such a range stays far inside what datetime can hold (years 1-9999), whatever the offset or timezone.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200

PERM_READ = "ops.read"
PERM_ADMIN = "ops.admin"
READERS_GROUP = "Ops readers"
ADMINS_GROUP = "Ops admins"
# The cache generation of every user's ops permissions: moved on by any committed change that can alter one.
PERMISSIONS_GENERATION = "permissions"

# DRF throttle scope of the ops endpoints (its rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).
THROTTLE_SCOPE = "ops_metrics"


class AlertComparator(models.TextChoices):
    """How an alert rule compares its figure with its threshold."""

    GT = ">", "greater than"
    GE = ">=", "greater than or equal to"
    LT = "<", "less than"
    LE = "<=", "less than or equal to"


class AlertState(models.TextChoices):
    """Where an alert rule stands: ok → pending (condition holds, not yet for long enough) → firing → ok."""

    OK = "ok", "OK"
    PENDING = "pending", "Pending"
    FIRING = "firing", "Firing"


class AlertEvent(models.TextChoices):
    """The `type` of an alert notification (docs/api.md, webhook notifications)."""

    FIRING = "ops.alert.firing", "Firing"
    RESOLVED = "ops.alert.resolved", "Resolved"


class DeliveryChannel(models.TextChoices):
    """Where an alert notification goes."""

    WEBHOOK = "webhook", "Webhook"
    EMAIL = "email", "Email"


class AttemptOutcome(models.TextChoices):
    """What one delivery attempt came to (also the `outcome` label of ops_alert_deliveries_total)."""

    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (retried)"
    REFUSED = "refused", "Refused by the address guard (retried)"
    GONE = "gone", "410 Gone (endpoint disabled)"
    GIVEN_UP = "given_up", "Given up"


# Figures an alert rule may watch beyond the counts of the records endpoint (docs/api.md, alerts).
ALERT_EXTRA_FIGURES = ("sla.compliance_rate", "bookings.growth_rate")
