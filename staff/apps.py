"""Staff app configuration."""
from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The people bookings and complaints are assigned to."""

    name = "staff"
    default_auto_field = "django.db.models.BigAutoField"
