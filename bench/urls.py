"""Project URLs plus the comparison views the warm path is measured against."""
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns
from ops_metrics.constants import AuditAction
from ops_metrics.services.audit import record_audit

BARE_CACHE_KEY = "bench:bare-body"


def bare_view(request):
    """The floor for a cache hit: the same cached bytes, no auth, no audit, no DRF."""
    return HttpResponse(cache.get(BARE_CACHE_KEY), content_type="application/json")


class FloorView(APIView):
    """The floor of a cache hit (docs/api.md, access): DRF, token authentication, one audit INSERT, cached bytes."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        record_audit(user=request.user, action=AuditAction.VIEW_METRICS, period="month", include=[], ip_address=None)
        return HttpResponse(cache.get(BARE_CACHE_KEY), content_type="application/json")


urlpatterns = [path("bench/bare", bare_view), path("bench/floor", FloorView.as_view()), *project_urlpatterns]
