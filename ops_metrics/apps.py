"""Ops metrics app configuration."""
from django.apps import AppConfig


class OpsMetricsConfig(AppConfig):
    """The dashboard metrics app; its label `ops` names the permissions `ops.read` and `ops.admin`."""

    name = "ops_metrics"
    label = "ops"
    verbose_name = "Ops metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ops_metrics import checks  # noqa: F401  (registers the system checks)
        from ops_metrics.receivers import connect_receivers

        connect_receivers()
