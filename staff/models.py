"""Staff members."""
from django.conf import settings
from django.db import models


class Staff(models.Model):
    """A member of staff, optionally linked to a login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return self.name
