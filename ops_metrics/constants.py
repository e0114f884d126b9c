"""Names defined once: periods, metric groups, permissions, groups, audit actions."""
from django.db import models


class Period(models.TextChoices):
    """The `period` query parameter."""

    TODAY = "today", "Today"
    WEEK = "week", "This ISO week"
    MONTH = "month", "This month"
    ALL = "all", "All time"


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


RESOURCE_DASHBOARD_METRICS = "dashboard_metrics"


class SourceTable(models.TextChoices):
    """The data a payload is computed from; each has its own cache generation (SPEC §7)."""

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
# The models whose committed writes move their table's generation on.
MODEL_TABLES = {
    "bookings.Booking": SourceTable.BOOKINGS,
    "complaints.Complaint": SourceTable.COMPLAINTS,
    "staff.Staff": SourceTable.STAFF,
    "ops.OpsConfig": SourceTable.CONFIG,
}

DEFAULT_PERIOD = Period.ALL
ALL_GROUPS = tuple(MetricGroup.values)
# Groups withheld from users who have ops.read but not ops.admin.
ADMIN_ONLY_GROUPS = (MetricGroup.REVENUE,)

PERM_READ = "ops.read"
PERM_ADMIN = "ops.admin"
READERS_GROUP = "Ops readers"
ADMINS_GROUP = "Ops admins"

# DRF throttle scope of the ops endpoints (its rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).
THROTTLE_SCOPE = "ops_metrics"
