"""Routes of the ops API: /dashboard/metrics, /dashboard/timeseries, /alerts, with or without a trailing slash."""
from rest_framework.routers import SimpleRouter

from ops_metrics.web.alerts import OpsAlertViewSet
from ops_metrics.web.views import OpsDashboardViewSet


class OptionalSlashRouter(SimpleRouter):
    """A router whose routes match with or without a trailing slash (DRF's only offers one or the other)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("dashboard", OpsDashboardViewSet, basename="ops-dashboard")
router.register("alerts", OpsAlertViewSet, basename="ops-alerts")

urlpatterns = router.urls
