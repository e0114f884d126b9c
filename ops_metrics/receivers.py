"""Signal receivers: writes to the data the metrics read invalidate the cache after commit."""
from django.db.models.signals import post_delete, post_save

from ops_metrics.cache import invalidate_metrics_cache

# Everything a payload is computed from: the three data models and the config that shapes the figures.
WATCHED_MODELS = ("bookings.Booking", "complaints.Complaint", "staff.Staff", "ops.OpsConfig")
DISPATCH_UID = "ops_metrics.invalidate_metrics_cache"


def invalidate_after_commit(sender: type, using: str, **kwargs) -> None:
    """Bump the cache generation once the writing transaction commits; a rollback bumps nothing."""
    invalidate_metrics_cache(using=using)


def connect_receivers() -> None:
    """Connect the invalidation to post_save and post_delete of every watched model (idempotent)."""
    for model in WATCHED_MODELS:
        for signal in (post_save, post_delete):
            signal.connect(invalidate_after_commit, sender=model, dispatch_uid=DISPATCH_UID)
