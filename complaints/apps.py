"""Complaints app configuration."""
from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    """Customer complaints with SLA targets."""

    name = "complaints"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from complaints import receivers

        receivers.connect()
