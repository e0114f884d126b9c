"""OpsConfig: the one row of run-time settings, and the ops.read / ops.admin permissions."""
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

logger = logging.getLogger(__name__)


def default_timezone() -> str:
    """The business timezone a new config starts with: the project's TIME_ZONE."""
    return settings.TIME_ZONE


def validate_timezone(value: str) -> None:
    """Reject names that zoneinfo does not know."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an IANA timezone name.") from exc


class OpsConfig(models.Model):
    """The single row of settings an operations admin can change at run time."""

    SINGLETON_PK = 1

    metrics_cache_ttl_seconds = models.PositiveIntegerField(
        default=300, validators=[MaxValueValidator(86400)], help_text="0 turns caching off."
    )
    sla_at_risk_buffer_minutes = models.PositiveIntegerField(
        default=60, validators=[MaxValueValidator(10080)],
        help_text="An unmet target due within this many minutes is at risk.",
    )
    timezone = models.CharField(
        max_length=64, default=default_timezone, validators=[validate_timezone],
        help_text="IANA name of the business timezone that days, weeks and months are counted in.",
    )
    max_staleness_seconds = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(3600)],
        help_text="Above 0, figures up to this old may be served while they are recomputed (the response carries Age).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ops configuration"
        verbose_name_plural = "ops configuration"
        permissions = [
            ("read", "Can view the ops dashboard metrics"),
            ("admin", "Can view every ops dashboard metric, revenue included"),
        ]

    def __str__(self) -> str:
        return "Ops configuration"

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The ops configuration cannot be deleted.")

    @classmethod
    def load(cls) -> "OpsConfig":
        """The single row, created with defaults on first use."""
        config, _ = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return config

    @property
    def tzinfo(self) -> ZoneInfo:
        """The business timezone; the project's TIME_ZONE (error logged) for a stored name zoneinfo does not know."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            # Only a write that bypassed validation (QuerySet.update, raw SQL) stores one; every request would fail.
            logger.error("OpsConfig.timezone %r is not an IANA timezone name; using %s", self.timezone,
                         settings.TIME_ZONE)
            return ZoneInfo(settings.TIME_ZONE)
