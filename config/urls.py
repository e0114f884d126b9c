"""Project URLs: admin, login for the browsable API, the ops API and its schema, the dashboard page."""
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from ops_metrics.pages import dashboard_page

urlpatterns = [
    path("", RedirectView.as_view(url="/api/v1/ops/dashboard/metrics", permanent=False)),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/ops/", include("ops_metrics.urls")),
    path("ops/", dashboard_page, name="ops-dashboard-page"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/schema/swagger-ui/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/schema/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
