"""The dashboard page (docs/api.md, dashboard page): a shell that its script fills from the two JSON endpoints."""
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from ops_metrics.constants import PERM_ADMIN, PERM_READ, Period
from ops_metrics.services.access import ops_permissions

LOGIN_URL = "/api-auth/login/"
# Button labels of the period switcher, short enough for a phone's width.
PERIOD_LABELS = {Period.TODAY: "Today", Period.WEEK: "This week", Period.MONTH: "This month", Period.ALL: "All time"}
REFRESH_SECONDS = 60


def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The page for staff with ops.read: anonymous users go to the login page, others without it get a 403 page.

    No figure is rendered here: the page's script asks the API, which withholds what the user may not see.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=LOGIN_URL)
    if not ops_permissions(user=request.user):
        context = {"permissions": (PERM_READ, PERM_ADMIN), "login_url": LOGIN_URL}
        return render(request, "ops_metrics/dashboard_forbidden.html", context, status=403)
    context = {
        "metrics_url": reverse("ops-dashboard-metrics"),
        "timeseries_url": reverse("ops-dashboard-timeseries"),
        "login_url": LOGIN_URL,
        "periods": [(period.value, PERIOD_LABELS[period]) for period in Period],
        "refresh_seconds": REFRESH_SECONDS,
    }
    return render(request, "ops_metrics/dashboard.html", context)
