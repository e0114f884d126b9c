"""The dashboard page (docs/api.md, dashboard page): a shell that its ES modules fill from the JSON endpoints."""
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from ops_metrics import app_settings
from ops_metrics.constants import DEFAULT_PAGE_PERIOD, PERM_ADMIN, PERM_READ, Period
from ops_metrics.services.access import ops_permissions

LOGIN_URL = "/api-auth/login/"
# Button labels of the period switcher, short enough for a phone's width.
PERIOD_LABELS = {Period.TODAY: "Today", Period.WEEK: "This week", Period.MONTH: "This month", Period.ALL: "All time"}
REFRESH_SECONDS = 60
RECORDS_PAGE_SIZE = 25


def page_config(*, permissions: frozenset[str]) -> dict:
    """What the page's modules read from the server (json_script: no inline script under the CSP)."""
    return {
        "urls": {
            "metrics": reverse("ops-dashboard-metrics"),
            "timeseries": reverse("ops-dashboard-timeseries"),
            "records": reverse("ops-dashboard-records"),
            "staff": reverse("ops-dashboard-staff"),
            "alerts": reverse("ops-alerts-list"),
            "login": LOGIN_URL,
        },
        "permissions": sorted(permissions),
        # Decides which columns the page builds (amounts); the API withholds amounts from readers whatever it says.
        "admin": PERM_ADMIN in permissions,
        "currency": app_settings.currency(),
        "periods": list(Period.values),
        "defaultPeriod": DEFAULT_PAGE_PERIOD.value,
        "refreshSeconds": REFRESH_SECONDS,
        "recordsPageSize": RECORDS_PAGE_SIZE,
    }


def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The page for staff with ops.read: anonymous users go to the login page, others without it get a 403 page.

    No figure is rendered here: the page's script asks the API, which withholds what the user may not see.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=LOGIN_URL)
    permissions = ops_permissions(user=request.user)
    if not permissions:
        context = {"permissions": (PERM_READ, PERM_ADMIN), "login_url": LOGIN_URL}
        return render(request, "ops_metrics/dashboard_forbidden.html", context, status=403)
    context = {
        "page_config": page_config(permissions=permissions),
        "login_url": LOGIN_URL,
        "periods": [(period.value, PERIOD_LABELS[period]) for period in Period],
        "default_period": DEFAULT_PAGE_PERIOD.value,
    }
    return render(request, "ops_metrics/dashboard.html", context)
