"""Project URLs: admin, login for the browsable API, the ops API and its schema, the dashboard page, probes."""
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from django.views.decorators.cache import never_cache
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config.auth import login_protected
from config.health import ReadinessView, healthz
from config.prometheus import prometheus_metrics
from config.signals import request_refused
from ops_metrics.receivers import audit_refused_request
from ops_metrics.web.pages import dashboard_page

# The ops app audits what the project refuses on its endpoints (CSRF failures, unparsable requests, errors).
request_refused.connect(audit_refused_request, dispatch_uid="ops_metrics.audit_refused_request")

handler400 = "config.errors.bad_request"
handler500 = "config.errors.server_error"

# The Content-Security-Policy (settings) allows no inline script or style; the two API documentation pages need:
# Swagger UI its init script served from its own URL (the split view) and its one <style> block, by hash;
# ReDoc inline styles, which its styled-components insert at run time (it fails to render without them), and its
# search worker, created from a blob: URL.
SWAGGER_UI_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
swagger_ui_csp = csp_update({"style-src": [SELF, SWAGGER_UI_STYLE_HASH]})
redoc_csp = csp_update({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})

urlpatterns = [
    path("", RedirectView.as_view(url="/ops/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics/prometheus", prometheus_metrics, name="prometheus-metrics"),
    # The two login pages, ahead of the URL sets that also define them, guarded against password guessing.
    path("admin/login/", login_protected(admin.site.login)),
    path("api-auth/login/", login_protected(LoginView.as_view(template_name="rest_framework/login.html"))),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/ops/", include("ops_metrics.urls")),
    # The page holds the user's name and CSRF token: "max-age=0, no-cache, no-store, must-revalidate, private".
    path("ops/", never_cache(dashboard_page), name="ops-dashboard-page"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/schema/swagger-ui/", swagger_ui_csp(SpectacularSwaggerSplitView.as_view(url_name="schema")),
         name="swagger-ui"),
    path("api/v1/schema/redoc/", redoc_csp(SpectacularRedocView.as_view(url_name="schema")), name="redoc"),
]
