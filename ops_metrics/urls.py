"""Routes of the ops API: /dashboard/metrics, with or without a trailing slash (no redirect)."""
from rest_framework.routers import SimpleRouter

from ops_metrics.web.views import OpsDashboardViewSet


class OptionalSlashRouter(SimpleRouter):
    """A router whose routes match with or without a trailing slash (DRF's only offers one or the other)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("dashboard", OpsDashboardViewSet, basename="ops-dashboard")

urlpatterns = router.urls
