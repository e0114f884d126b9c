"""The ops app's models: its config row, the audit log and the rollup summary tables."""
from ops_metrics.models.audit import OpsAuditLog
from ops_metrics.models.config import OpsConfig, default_timezone, validate_timezone
from ops_metrics.models.invalidations import PendingInvalidation
from ops_metrics.models.rollups import (
    BookingRollup,
    ComplaintCreatedRollup,
    ComplaintResolvedRollup,
    ComplaintRespondedRollup,
    ResolvedOutcome,
    Rollup,
    RollupState,
)

__all__ = [
    "BookingRollup", "ComplaintCreatedRollup", "ComplaintResolvedRollup", "ComplaintRespondedRollup", "OpsAuditLog",
    "OpsConfig", "PendingInvalidation", "ResolvedOutcome", "Rollup", "RollupState", "default_timezone", "validate_timezone",
]
