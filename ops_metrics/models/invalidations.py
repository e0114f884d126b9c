"""PendingInvalidation: a table write whose cache invalidation could not reach the cache, kept until one is delivered."""
from django.db import models
from django.utils import timezone


class PendingInvalidation(models.Model):
    """One undelivered generation move of `table`; any process delivers it once the cache answers, then deletes it."""

    table = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "ops_pending_invalidation"

    def __str__(self) -> str:
        return f"{self.table} at {self.created_at:%Y-%m-%d %H:%M:%S}"
