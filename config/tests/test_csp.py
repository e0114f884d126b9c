"""Content-Security-Policy: on every HTML page; the dashboard page and Swagger UI run under it in Chromium."""
import pytest
from django.test import Client

from conftest import CHROMEDRIVER, CHROMIUM
from staff.factories import UserFactory

REQUIRED = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
ANONYMOUS_PAGES = ["/admin/login/", "/api-auth/login/", "/api/v1/schema/swagger-ui/", "/api/v1/schema/redoc/"]
SIGNED_IN_PAGES = ["/admin/", "/admin/auth/user/", "/api/v1/ops/dashboard/metrics", "/ops/"]
WAIT_SECONDS = 15


def _policy(header: str) -> dict[str, str]:
    return dict(directive.strip().partition(" ")[::2] for directive in header.split(";"))


@pytest.fixture
def root_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("path", ANONYMOUS_PAGES + SIGNED_IN_PAGES)
def test_every_html_page_carries_the_policy(root_client, path):
    client = root_client if path in SIGNED_IN_PAGES else Client()

    response = client.get(path, HTTP_ACCEPT="text/html")
    policy = _policy(response["Content-Security-Policy"])

    assert (response.status_code, response["Content-Type"].split(";")[0]) == (200, "text/html")
    assert {name: policy.get(name) for name in REQUIRED} == REQUIRED
    assert "script-src" not in policy and "unsafe" not in policy["default-src"]


def test_only_redoc_allows_inline_styles(db):
    swagger = _policy(Client().get("/api/v1/schema/swagger-ui/")["Content-Security-Policy"])
    redoc = _policy(Client().get("/api/v1/schema/redoc/")["Content-Security-Policy"])

    assert swagger["style-src"].startswith("'self' 'sha256-") and "unsafe-inline" not in swagger["style-src"]
    assert redoc["style-src"] == "'self' 'unsafe-inline'"
    assert "style-src" not in _policy(Client().get("/admin/login/")["Content-Security-Policy"])


def test_the_swagger_ui_init_script_is_served_from_its_own_url(db):
    page = Client().get("/api/v1/schema/swagger-ui/").content.decode()
    script = Client().get("/api/v1/schema/swagger-ui/?script=")

    assert '<script src="/api/v1/schema/swagger-ui/?script="></script>' in page
    assert "<script>" not in page
    assert script["Content-Type"].startswith("application/javascript") and b"SwaggerUIBundle(" in script.content


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module that keeps the console messages."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)  # a superuser: no migrated group needed, so no serialized rollback either
@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/ops/", "document.getElementById('main').dataset.renders"),
        ("/api/v1/schema/swagger-ui/", "document.querySelectorAll('.opblock').length > 0"),
    ],
)
def test_pages_run_without_a_policy_violation(browser, live_server, path, rendered):
    from selenium.webdriver.support.ui import WebDriverWait

    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    browser.get(f"{live_server.url}/static/ops_metrics/dashboard.css")  # any page of the origin, to set its cookie
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    browser.get_log("browser")  # drop what came before

    browser.get(f"{live_server.url}{path}")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda driver: driver.execute_script(f"return {rendered}"),
                                               message=f"{path} did not render")
    # The style sheet opened to set the cookie has no icon: the browser's late /favicon.ico 404 is not the page's.
    errors = [entry["message"] for entry in browser.get_log("browser")
              if entry["level"] == "SEVERE" and "/favicon.ico " not in entry["message"]]
    # The policy is in force: an inline script added now does not run.
    injected = browser.execute_script(
        "const script = document.createElement('script'); script.textContent = 'window.injected = true;';"
        "document.head.appendChild(script); return window.injected === true;"
    )

    assert errors == []
    assert injected is False
