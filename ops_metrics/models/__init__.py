"""The ops app's models: its config row, the audit log, the rollup summary tables and the alerts."""
from ops_metrics.models.alerts import (
    ALERT_FIGURES,
    OpsAlertAttempt,
    OpsAlertDelivery,
    OpsAlertNotification,
    OpsAlertRule,
    OpsWebhookEndpoint,
)
from ops_metrics.models.audit import OpsAuditLog
from ops_metrics.models.config import OpsConfig, default_timezone, validate_timezone
from ops_metrics.models.invalidations import PendingInvalidation
from ops_metrics.models.rollups import (
    BookingRollup,
    ComplaintCreatedRollup,
    ComplaintResolvedRollup,
    ComplaintRespondedRollup,
    OpenBookingRollup,
    OpenComplaintRollup,
    ResolvedOutcome,
    Rollup,
    RollupState,
    StaffBookingRollup,
    StaffBookingTotal,
    StaffComplaintCreatedRollup,
    StaffComplaintCreatedTotal,
    StaffComplaintResolvedRollup,
    StaffComplaintResolvedTotal,
    StaffComplaintRespondedRollup,
    StaffComplaintRespondedTotal,
)

__all__ = [
    "ALERT_FIGURES", "BookingRollup", "ComplaintCreatedRollup", "ComplaintResolvedRollup", "ComplaintRespondedRollup",
    "OpenBookingRollup", "OpenComplaintRollup", "OpsAlertAttempt", "OpsAlertDelivery", "OpsAlertNotification",
    "OpsAlertRule", "OpsAuditLog", "OpsConfig", "OpsWebhookEndpoint", "PendingInvalidation", "ResolvedOutcome",
    "Rollup", "RollupState", "StaffBookingRollup", "StaffBookingTotal", "StaffComplaintCreatedRollup",
    "StaffComplaintCreatedTotal", "StaffComplaintResolvedRollup", "StaffComplaintResolvedTotal",
    "StaffComplaintRespondedRollup", "StaffComplaintRespondedTotal", "default_timezone", "validate_timezone",
]
