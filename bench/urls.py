"""Project URLs plus the bare comparison view."""
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

BARE_CACHE_KEY = "bench:bare-body"


def bare_view(request):
    """The floor for a cache hit: the same cached bytes, no auth, no audit, no DRF."""
    return HttpResponse(cache.get(BARE_CACHE_KEY), content_type="application/json")


urlpatterns = [path("bench/bare", bare_view), *project_urlpatterns]
