"""The dashboard page /ops/: who gets it, what it holds (no figures: its script asks the API), its links."""
import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

PAGE = "/ops/"


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == "/api-auth/login/?next=/ops/"


def test_anonymous_users_come_back_with_their_query(client):
    response = client.get(PAGE, {"period": "month"})

    assert response["Location"] == "/api-auth/login/?next=/ops/%3Fperiod%3Dmonth"


def test_users_without_an_ops_permission_get_a_clear_403_page(client, plain_user):
    client.force_login(plain_user)

    response = client.get(PAGE)

    assert response.status_code == 403
    body = response.content.decode()
    assert "You may not view the ops dashboard" in body
    assert "ops.read" in body and "Ops readers" in body
    assert "data-metrics-url" not in body


@pytest.mark.parametrize("user_fixture", ["reader_user", "admin_user"])
def test_readers_and_admins_get_the_page_wired_to_the_two_endpoints(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-metrics-url="/api/v1/ops/dashboard/metrics"' in body
    assert 'data-timeseries-url="/api/v1/ops/dashboard/timeseries"' in body
    assert re.findall(r'name="period" value="(\w+)"', body) == ["today", "week", "month", "all"]
    assert '<label for="range-start">' in body and '<label for="range-end">' in body


def test_the_page_holds_no_figure_and_no_revenue_element_of_its_own(client, admin_user):
    """Figures, revenue included, are built by the script from what the API returns for the user."""
    client.force_login(admin_user)

    body = client.get(PAGE).content.decode()

    assert "revenue" not in body.lower()


def test_every_asset_is_served_by_the_app(client, admin_user):
    client.force_login(admin_user)

    body = client.get(PAGE).content.decode()

    sources = re.findall(r'(?:src|href)="(/static/[^"]+)"', body)
    assert sources == ["/static/ops_metrics/dashboard.css", "/static/ops_metrics/vendor/chartjs-4.5.1/chart.umd.min.js",
                       "/static/ops_metrics/dashboard.js"]
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source
    assert finders.find("ops_metrics/vendor/chartjs-4.5.1/LICENSE.md")
    assert "http://" not in body and "https://" not in body


def test_the_browsable_api_links_to_the_page(client, reader_user):
    client.force_login(reader_user)

    body = client.get("/api/v1/ops/dashboard/metrics", HTTP_ACCEPT="text/html").content.decode()

    assert '<a href="/ops/">Dashboard page</a>' in body


def test_the_admin_index_links_to_the_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))

    body = client.get("/admin/").content.decode()

    assert '<a href="/ops/">Ops dashboard</a>' in body
    assert "App administration" in body or "Site administration" in body
