"""Signal receivers: a committed write to a table the metrics read moves that table's cache generation on."""
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save

from complaints.models import Complaint
from complaints.signals import complaints_bulk_updated
from ops_metrics.cache.generations import invalidate
from ops_metrics.constants import MODEL_TABLES

DISPATCH_UID = "ops_metrics.invalidate_metrics_cache"
BULK_DISPATCH_UID = "ops_metrics.invalidate_after_bulk_update"


def invalidate_after_commit(sender: type, using: str, **kwargs) -> None:
    """Move the sender's table generation on once the writing transaction commits; a rollback moves nothing."""
    invalidate(names=[MODEL_TABLES[sender._meta.label]], using=using)


def invalidate_after_bulk_update(sender: type, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """A domain's bulk write (sent after it committed, e.g. sla_recompute's batches) moves the sender's table on."""
    invalidate(names=[MODEL_TABLES[sender._meta.label]], using=using)


def connect_receivers() -> None:
    """Connect the invalidation to saves and deletes of every watched model and to complaints' bulk writes (idempotent)."""
    for model in MODEL_TABLES:
        for signal in (post_save, post_delete):
            signal.connect(invalidate_after_commit, sender=model, dispatch_uid=DISPATCH_UID)
    # A plain Signal (not a ModelSignal): the sender must be the class itself, not its "app.Model" label.
    complaints_bulk_updated.connect(invalidate_after_bulk_update, sender=Complaint, dispatch_uid=BULK_DISPATCH_UID)
