"""Signal receivers: a committed write to a table the metrics read moves that table's cache generation on."""
from django.db.models.signals import post_delete, post_save

from ops_metrics.cache.generations import invalidate
from ops_metrics.constants import MODEL_TABLES

DISPATCH_UID = "ops_metrics.invalidate_metrics_cache"


def invalidate_after_commit(sender: type, using: str, **kwargs) -> None:
    """Move the sender's table generation on once the writing transaction commits; a rollback moves nothing."""
    invalidate(names=[MODEL_TABLES[sender._meta.label]], using=using)


def connect_receivers() -> None:
    """Connect the invalidation to post_save and post_delete of every watched model (idempotent)."""
    for model in MODEL_TABLES:
        for signal in (post_save, post_delete):
            signal.connect(invalidate_after_commit, sender=model, dispatch_uid=DISPATCH_UID)
