"""The dashboard page in headless Chromium: cards equal the API's figures, charts, redaction, 304 refresh, errors."""
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.models import OpsConfig
from staff.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("_cache_taken_as_reachable")]

METRICS = "/api/v1/ops/dashboard/metrics"
TIMESERIES = "/api/v1/ops/dashboard/timeseries"
WAIT_SECONDS = 15
# Set to a directory (e.g. docs) to save screenshots of the admin and reader views while the tests run.
SCREENSHOTS = os.environ.get("OPS_DASHBOARD_SCREENSHOTS", "")


@pytest.fixture
def data():
    """Bookings and complaints of today, this week and last week, staff with work; money above 1,000."""
    OpsConfig.load()  # created on first use otherwise, which moves the config generation on between two requests
    now = timezone.now()
    ann, bob = StaffFactory(name="Ann Agent"), StaffFactory(name="Bob Builder")
    for minutes, status, amount in [(1, BookingStatus.CONFIRMED, "1250.50"), (2, BookingStatus.COMPLETED, "980.00"),
                                    (3, BookingStatus.PENDING, "40.00"), (4, BookingStatus.IN_PROGRESS, "320.25")]:
        BookingFactory(status=status, total_amount=Decimal(amount), created_at=now - timedelta(minutes=minutes),
                       assigned_staff=ann if minutes % 2 else bob)
    BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("700.00"),
                   created_at=now - timedelta(days=7, minutes=5))
    ComplaintFactory(priority=ComplaintPriority.CRITICAL, created_at=now - timedelta(hours=2), assigned_to=ann)
    ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=now - timedelta(minutes=30),
                     response_due_at=now + timedelta(minutes=20), resolution_due_at=now + timedelta(hours=3))
    ComplaintFactory(priority=ComplaintPriority.LOW, status=ComplaintStatus.RESOLVED,
                     created_at=now - timedelta(minutes=50), first_response_at=now - timedelta(minutes=40),
                     resolved_at=now - timedelta(minutes=10))


def log_in(browser, live_server, user) -> Client:
    """Give the browser the session of `user` (and return a test client sharing it, to ask the API directly)."""
    client = Client()
    client.force_login(user)
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/static/ops_metrics/dashboard.css")  # any page of the origin, to set its cookie
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    return client


def wait_for(browser, script: str, message: str):
    """Wait until the JavaScript expression `script` is truthy; its value."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT_SECONDS).until(lambda driver: driver.execute_script(f"return {script}"),
                                                      message=message)


def open_dashboard(browser, live_server, query: str = "") -> None:
    browser.get(f"{live_server.url}/ops/{query}")
    wait_for(browser, "document.getElementById('main').dataset.renders", "the page rendered no figures")


def choose_period(browser, period: str) -> None:
    """Click the period's button (its label: the radio input inside is transparent)."""
    renders = int(browser.find_element("id", "main").get_attribute("data-renders"))
    browser.find_element("xpath", f"//input[@name='period'][@value='{period}']/parent::label").click()
    wait_for(browser, f"document.getElementById('main').dataset.period === '{period}' && "
             f"Number(document.getElementById('main').dataset.renders) > {renders}", f"{period} was not shown")


def refresh(browser) -> None:
    """One refresh of the page, as the 60-second timer does, waited for."""
    browser.execute_async_script("window.opsDashboard.refresh().then(arguments[0], arguments[0]);")


def cards(browser) -> dict[str, tuple[str, str]]:
    """Card key → (raw value as the API gave it, text shown)."""
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.CSS_SELECTOR, "#cards [data-card]")
    return {card.get_attribute("data-card"): (card.get_attribute("data-value"),
                                              card.find_element(By.CLASS_NAME, "card-value").text) for card in found}


def chart_points(browser, key: str) -> list[int]:
    """Points per dataset of a chart, read from its Chart.js instance."""
    return browser.execute_script(
        "return Chart.getChart(arguments[0]).data.datasets.map((d) => d.data.length);",
        browser.find_element("id", f"chart-{key}-canvas"),
    )


def as_text(value) -> str:
    """A JSON value as the page writes it into data-value (JavaScript's String(): 100.0 → "100")."""
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_admin_sees_every_card_equal_to_the_api_and_charts_with_the_comparison(browser, live_server, admin_user, data):
    client = log_in(browser, live_server, admin_user)

    open_dashboard(browser, live_server)

    api = client.get(METRICS, {"period": "week"}).json()
    series = client.get(TIMESERIES, {"period": "week", "compare": "true"}).json()
    shown = cards(browser)
    assert list(shown) == ["bookings", "complaints", "unresolved", "sla-compliance", "at-risk", "breached", "revenue",
                           "average-order-value"]
    assert shown["bookings"] == (as_text(api["bookings"]["total"]), f"{api['bookings']['total']:,}")
    assert shown["complaints"][0] == as_text(api["complaints"]["total"])
    assert shown["unresolved"][0] == as_text(api["complaints"]["unresolved"])
    assert shown["sla-compliance"][0] == as_text(api["sla"]["compliance_rate"])
    assert shown["at-risk"][0] == as_text(api["sla"]["at_risk"])
    assert shown["breached"][0] == as_text(api["sla"]["breached"])
    assert shown["revenue"][0] == api["revenue"]["total"]
    assert shown["revenue"][1] == "$" + f"{Decimal(api['revenue']['total']):,.2f}"  # USD, thousands separator
    assert shown["average-order-value"][0] == api["revenue"]["average_order_value"]
    growth = browser.find_element("css selector", "#card-bookings .growth").get_attribute("data-growth")
    assert growth == as_text(api["bookings"]["growth_rate"])
    # Every chart: this window and the comparison window, one point per bucket of each.
    buckets, previous = len(series["buckets"]), len(series["previous"]["buckets"])
    assert chart_points(browser, "bookings") == [buckets, previous]
    assert chart_points(browser, "revenue") == [buckets, previous]
    assert chart_points(browser, "complaints") == [buckets, previous, buckets, previous]
    assert browser.find_element("id", "timezone").text == api["timezone"]
    csv = urlsplit(browser.find_element("css selector", "#chart-revenue a.csv").get_attribute("href"))
    assert csv.path == TIMESERIES
    assert parse_qs(csv.query) == {"period": ["week"], "compare": ["true"], "metrics": ["revenue"], "format": ["csv"]}
    download = client.get(f"{csv.path}?{csv.query}")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(SCREENSHOTS) / "dashboard-admin.png"))


def test_switching_periods_asks_the_api_again(browser, live_server, admin_user, data):
    client = log_in(browser, live_server, admin_user)
    open_dashboard(browser, live_server)

    choose_period(browser, "today")

    api = client.get(METRICS, {"period": "today"}).json()
    series = client.get(TIMESERIES, {"period": "today", "compare": "true"}).json()
    shown = cards(browser)
    assert shown["bookings"][0] == as_text(api["bookings"]["total"])
    assert shown["revenue"][0] == api["revenue"]["total"]
    assert chart_points(browser, "bookings")[0] == len(series["buckets"])  # hours of today so far
    assert browser.current_url.endswith("/ops/?period=today")

    today = timezone.localdate()
    custom = {"start": (today - timedelta(days=9)).isoformat(), "end": (today + timedelta(days=1)).isoformat()}
    browser.execute_script("window.opsDashboard.setQuery(arguments[0]);", custom)
    wait_for(browser, "document.getElementById('main').dataset.timeseriesStatus === '200' && "
             "!document.getElementById('banner').dataset.kind && location.search.includes('start=')", "no custom range")
    custom_series = client.get(TIMESERIES, {**custom, "compare": "true"}).json()
    wait_for(browser, f"Chart.getChart(document.getElementById('chart-bookings-canvas')).data.datasets[0].data.length"
             f" === {len(custom_series['buckets'])}", "the custom range was not charted")
    assert len(custom_series["buckets"]) == 10  # local days, the last one partial
    custom_api = client.get(METRICS, custom).json()
    assert custom_api["period"] == "custom"
    assert cards(browser)["bookings"][0] == as_text(custom_api["bookings"]["total"])

    choose_period(browser, "all")

    all_series = client.get(TIMESERIES, {"period": "all"}).json()
    assert chart_points(browser, "bookings") == [len(all_series["buckets"])]  # no comparison for "all"
    assert cards(browser)["bookings"][0] == as_text(client.get(METRICS, {"period": "all"}).json()["bookings"]["total"])


def test_reader_page_holds_no_revenue_element(browser, live_server, reader_user, data):
    log_in(browser, live_server, reader_user)

    open_dashboard(browser, live_server)

    assert "bookings" in cards(browser)
    assert browser.find_elements("css selector", "#card-revenue, #card-average-order-value, #chart-revenue") == []
    assert browser.find_elements("css selector", "[data-card*=revenue], [data-chart*=revenue], [href*=revenue]") == []
    assert "revenue" not in browser.page_source.lower()
    if SCREENSHOTS:
        browser.save_screenshot(str(Path(SCREENSHOTS) / "dashboard-reader.png"))
        browser.set_window_size(400, 1600)
        try:
            browser.execute_script("Object.values(window.opsDashboard.charts).forEach((c) => c.chart.resize());")
            browser.save_screenshot(str(Path(SCREENSHOTS) / "dashboard-phone.png"))
        finally:
            browser.set_window_size(1280, 1000)


def test_refresh_sends_the_etag_and_a_304_leaves_the_page_as_it_is(browser, live_server, admin_user, data):
    log_in(browser, live_server, admin_user)
    open_dashboard(browser, live_server)
    main = browser.find_element("id", "main")
    assert (main.get_attribute("data-metrics-status"), main.get_attribute("data-timeseries-status")) == ("200", "200")
    before = browser.find_element("id", "cards").get_attribute("innerHTML")

    refresh(browser)

    assert (main.get_attribute("data-metrics-status"), main.get_attribute("data-timeseries-status")) == ("304", "304")
    assert main.get_attribute("data-renders") == "1"
    assert browser.find_element("id", "cards").get_attribute("innerHTML") == before


def test_server_errors_and_throttling_show_a_banner_and_keep_the_figures(browser, live_server, admin_user, data):
    log_in(browser, live_server, admin_user)
    open_dashboard(browser, live_server)
    banner = browser.find_element("id", "banner")
    assert not banner.is_displayed()

    browser.execute_script("""
        window.realFetch = window.fetch;
        window.fetch = () => Promise.resolve(new Response('{"detail": "boom"}', {status: 500}));""")
    refresh(browser)

    assert banner.is_displayed() and banner.get_attribute("data-kind") == "error"
    assert "The server failed (HTTP 500)" in banner.text
    assert "last ones received" in banner.text
    assert len(cards(browser)) == 8  # never a blank page

    browser.execute_script("""
        window.fetch = () => Promise.resolve(new Response('{"detail": "slow down"}',
                                                          {status: 429, headers: {"Retry-After": "1"}}));""")
    refresh(browser)

    assert banner.get_attribute("data-kind") == "notice"
    assert "Too many requests" in banner.text and "Retrying in 1 s" in banner.text
    browser.execute_script("window.fetch = window.realFetch;")
    wait_for(browser, "document.getElementById('banner').hidden", "the page did not retry after Retry-After")
    assert browser.find_element("id", "main").get_attribute("data-metrics-status") in ("200", "304")
