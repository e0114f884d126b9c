"""Ops metrics app configuration."""
from importlib import import_module

from django.apps import AppConfig


class OpsMetricsConfig(AppConfig):
    """The dashboard metrics app; its label `ops` names the permissions `ops.read` and `ops.admin`."""

    name = "ops_metrics"
    label = "ops"
    verbose_name = "Ops metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def import_models(self) -> None:
        super().import_models()
        # The proxies carrying the rollup triggers are made of the rollups layer's SQL, above models/: registered here,
        # with the other models, so that migrations and django-pgtrigger see them.
        import_module("ops_metrics.rollups.triggers")

    def ready(self) -> None:
        from ops_metrics import checks  # noqa: F401  (registers the system checks)
        from ops_metrics.receivers import connect_receivers

        connect_receivers()
