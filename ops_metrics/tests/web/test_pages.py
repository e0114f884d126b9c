"""The dashboard page /ops/: who gets it, what it holds (no figures: its script asks the API), its links."""
import json
import re
from pathlib import Path

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
    assert "ops-config" not in body


def page_config(body: str) -> dict:
    """The constants the page's modules read (json_script)."""
    found = re.search(r'<script id="ops-config" type="application/json">(.*?)</script>', body, re.S)
    assert found, "no json_script config"
    return json.loads(found.group(1))


@pytest.mark.parametrize(("user_fixture", "admin"), [("reader_user", False), ("admin_user", True)])
def test_readers_and_admins_get_the_page_wired_to_the_endpoints(client, request, user_fixture, admin):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    config = page_config(body)
    assert config["urls"] == {
        "metrics": "/api/v1/ops/dashboard/metrics", "timeseries": "/api/v1/ops/dashboard/timeseries",
        "records": "/api/v1/ops/dashboard/records", "staff": "/api/v1/ops/dashboard/staff",
        "alerts": "/api/v1/ops/alerts", "login": "/api-auth/login/",
    }
    assert config["admin"] is admin
    assert config["permissions"] == (["ops.admin", "ops.read"] if admin else ["ops.read"])
    assert config["currency"] == "USD" and config["refreshSeconds"] == 60
    assert config["periods"] == ["today", "week", "month", "all"] and config["defaultPeriod"] == "week"
    assert re.findall(r'name="period" value="(\w+)"', body) == ["today", "week", "month", "all"]
    assert '<label for="range-start">' in body and '<label for="range-end">' in body


def test_no_inline_script_under_the_content_security_policy(client, admin_user):
    """Only the config data block and external scripts: the CSP (default-src 'self') allows no inline script."""
    client.force_login(admin_user)

    response = client.get(PAGE)

    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]  # default-src 'self' applies
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.content.decode(), re.S)
    inline = [attributes for attributes, text in scripts if text.strip() and 'type="application/json"' not in attributes]
    assert inline == []
    assert [a for a, _ in scripts if "src=" in a] == [
        ' src="/static/ops_metrics/vendor/chartjs-4.5.1/chart.umd.min.js" defer',
        ' type="module" src="/static/ops_metrics/js/main.js"',
    ]


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
                       "/static/ops_metrics/js/main.js"]
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source
    # The modules main.js imports, and theirs: relative paths, every one served by the app.
    modules, seen = ["main.js"], set()
    while modules:
        name = modules.pop()
        seen.add(name)
        text = Path(finders.find(f"ops_metrics/js/{name}")).read_text()
        imported = re.findall(r'from "\./([a-z]+\.js)"', text)
        assert not re.findall(r'from "(?!\./)', text), name  # nothing from another origin or a bare package name
        modules += [module for module in imported if module not in seen]
    assert seen == {path.name for path in Path(finders.find("ops_metrics/js/main.js")).parent.glob("*.js")}
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


def test_every_scrolling_table_is_keyboard_reachable_and_named(client, reader_user):
    """axe's scrollable-region-focusable: a scroll container is in the tab order, a region named by its heading."""
    client.force_login(reader_user)

    body = client.get(PAGE).content.decode()

    wraps = re.findall(r'<div class="table-wrap[^"]*"([^>]*)>', body)
    assert len(wraps) == 4  # SLA, workload, per-staff, records panel
    for attributes in wraps:
        assert 'tabindex="0"' in attributes and 'role="region"' in attributes
        labelled_by = re.search(r'aria-labelledby="([^"]+)"', attributes).group(1)
        assert f'id="{labelled_by}"' in body
