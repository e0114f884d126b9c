"""The page's records panel, staff filter, per-staff table, firing alerts and accessibility, in headless Chromium.

Values on the page are compared with the API's answers for the same query (the page is a client of the API only).
"""
import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import ComplaintPriority
from ops_metrics.constants import AlertState
from ops_metrics.models import OpsAlertRule, OpsConfig
from ops_metrics.tests.web.test_browser import METRICS, cards, log_in, open_dashboard, wait_for
from staff.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("_cache_taken_as_reachable")]

RECORDS = "/api/v1/ops/dashboard/records"
STAFF = "/api/v1/ops/dashboard/staff"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def work():
    """Seven bookings of today (five Ann's, two unassigned), complaints of Ann's and Bob's; Bob has no booking."""
    OpsConfig.load()
    now = timezone.now()
    ann, bob = StaffFactory(name="Ann Agent"), StaffFactory(name="Bob Builder")
    statuses = [BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.PENDING, BookingStatus.IN_PROGRESS,
                BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.PENDING]
    for minute, status in enumerate(statuses, start=1):
        BookingFactory(status=status, total_amount=Decimal("1000.25") + minute, created_at=now - timedelta(minutes=minute),
                       assigned_staff=ann if minute <= 5 else None)
    ComplaintFactory(priority=ComplaintPriority.HIGH, created_at=now - timedelta(minutes=30), assigned_to=ann,
                     response_due_at=now + timedelta(minutes=20), resolution_due_at=now + timedelta(hours=3))
    ComplaintFactory(priority=ComplaintPriority.CRITICAL, created_at=now - timedelta(hours=2), assigned_to=bob)
    return {"ann": ann, "bob": bob}


def records_dialog(browser) -> dict:
    return browser.execute_script("""
        const d = document.getElementById('records');
        return {open: d.open, count: d.dataset.count, rows: d.dataset.rows, loads: Number(d.dataset.loads || 0),
                ids: [...d.querySelectorAll('tbody tr[data-id]')].map((tr) => Number(tr.dataset.id)),
                columns: [...d.querySelectorAll('thead th')].map((th) => th.textContent)};""")


def open_figure(browser, selector: str) -> dict:
    """Click a count; wait for its records; the panel's state."""
    loads = records_dialog(browser)["loads"]
    browser.find_element("css selector", selector).click()
    wait_for(browser, f"Number(document.getElementById('records').dataset.loads || 0) > {loads}", "no records shown")
    return records_dialog(browser)


def click_and_wait(browser, element_id: str) -> dict:
    loads = records_dialog(browser)["loads"]
    browser.find_element("id", element_id).click()
    wait_for(browser, f"Number(document.getElementById('records').dataset.loads) > {loads}", f"{element_id} loaded nothing")
    return records_dialog(browser)


def figure_of(body: dict, path: str):
    for key in path.split("."):
        body = body[key]
    return body


def test_a_card_count_opens_its_records_pages_walk_every_row_escape_returns_focus(browser, live_server, admin_user,
                                                                                   work):
    client = log_in(browser, live_server, admin_user)
    open_dashboard(browser, live_server)
    browser.execute_script("window.opsDashboard.records.pageSize = 3;")

    shown = open_figure(browser, "#card-bookings-open")

    api = client.get(METRICS, {"period": "week"}).json()
    everything = client.get(RECORDS, {"figure": "bookings.total", "period": "week", "page_size": 500}).json()
    assert api["bookings"]["total"] == 7 and shown["open"]
    assert shown["count"] == "7" and shown["rows"] == "3"
    assert "Amount" in shown["columns"]  # ops.admin: the rows carry total_amount
    seen = shown["ids"]
    for expected_rows in (3, 1):
        seen += click_and_wait(browser, "records-next")["ids"]
        assert len(seen) == 3 + (3 if expected_rows == 3 else 4)
    assert seen == [row["id"] for row in everything["results"]]
    assert browser.find_element("id", "records-next").get_attribute("disabled") is not None
    assert browser.find_element("id", "records-position").text == "Rows 7–7 of 7"
    assert click_and_wait(browser, "records-previous")["ids"] == seen[3:6]
    assert browser.find_element("id", "records-position").text == "Rows 4–6 of 7"
    link = urlsplit(browser.find_element("id", "records-csv").get_attribute("href"))
    assert parse_qs(link.query) == {"figure": ["bookings.total"], "period": ["week"], "format": ["csv"]}
    download = b"".join(client.get(f"{link.path}?{link.query}").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(download)))
    assert [int(row["id"]) for row in rows] == seen

    from selenium.webdriver.common.keys import Keys

    browser.switch_to.active_element.send_keys(Keys.ESCAPE)

    wait_for(browser, "!document.getElementById('records').open", "Escape did not close the panel")
    assert browser.switch_to.active_element.get_attribute("id") == "card-bookings-open"


def test_table_counts_open_their_records_equal_to_the_figures(browser, live_server, reader_user, work):
    client = log_in(browser, live_server, reader_user)
    open_dashboard(browser, live_server)
    api = client.get(METRICS, {"period": "week"}).json()

    shown = open_figure(browser, "[data-figure='sla.by_priority.high.at_risk']")

    assert shown["count"] == str(api["sla"]["by_priority"]["high"]["at_risk"]) == "1"
    browser.find_element("id", "records-close").click()
    ann = work["ann"].pk
    cell = next(row for row in api["realtime"]["staff_workload"] if row["staff_id"] == ann)
    shown = open_figure(browser, f"[data-figure='realtime.staff_workload.bookings'][data-staff='{ann}']")
    assert shown["count"] == str(cell["bookings"]) == "4"  # open: not the completed one
    assert "Ann Agent" in browser.find_element("id", "records-title").text
    # A reader's rows carry no amount, and the panel builds no amount column.
    assert "Amount" not in shown["columns"]
    assert browser.find_elements("css selector", "#records [data-column=total_amount]") == []
    browser.find_element("id", "records-close").click()
    shown = open_figure(browser, "[data-figure='sla.resolved']:not([data-staff])")
    assert shown["count"] == "0"
    source = browser.page_source.lower()
    assert "revenue" not in source and "amount" not in source and "1,00" not in source
    assert "revenue" not in browser.find_element("id", "staff-table").get_attribute("outerHTML").lower()


def test_the_staff_filter_applies_to_every_figure_and_stays_in_the_address(browser, live_server, admin_user, work):
    client = log_in(browser, live_server, admin_user)
    open_dashboard(browser, live_server)
    ann = work["ann"].pk
    assert cards(browser)["bookings"][0] == "7"

    browser.find_element("css selector", "#staff-filter summary").click()
    options = [e.get_attribute("value") for e in browser.find_elements("css selector", "input[name=staff]")]
    assert options == [str(ann), str(work["bob"].pk), "none"]  # by name, then Unassigned
    browser.find_element("css selector", f"input[name=staff][value='{ann}']").click()
    wait_for(browser, f"document.getElementById('main').dataset.staff === '{ann}'", "the filter was not applied")

    query = {"period": "week", "staff": str(ann)}
    api = client.get(METRICS, query).json()
    shown = cards(browser)
    assert shown["bookings"][0] == str(api["bookings"]["total"]) == "5"
    assert shown["complaints"][0] == str(api["complaints"]["total"]) == "1"
    assert shown["revenue"][0] == api["revenue"]["total"]
    assert browser.current_url.endswith(f"/ops/?period=week&staff={ann}")
    workload = browser.find_elements("css selector", "#workload-table tbody tr[data-staff-id]")
    assert [row.get_attribute("data-staff-id") for row in workload] == [str(ann)]
    staff_rows = browser.find_elements("css selector", "#staff-table tbody tr")
    assert [row.get_attribute("data-staff") for row in staff_rows] == [str(ann)]
    csv_link = parse_qs(urlsplit(browser.find_element("css selector", "#chart-bookings a.csv").get_attribute("href")).query)
    assert csv_link["staff"] == [str(ann)]
    shown = open_figure(browser, "#card-bookings-open")
    assert shown["count"] == "5"

    browser.find_element("id", "records-close").click()
    browser.find_element("css selector", "input[name=staff][value='none']").click()
    wait_for(browser, f"document.getElementById('main').dataset.staff === '{ann},none'", "none was not added")
    assert cards(browser)["bookings"][0] == str(client.get(METRICS, {**query, "staff": f"{ann},none"}).json()[
        "bookings"]["total"]) == "7"
    # Reloading the address keeps the filter.
    open_dashboard(browser, live_server, f"?period=week&staff={ann}")
    assert browser.find_element("css selector", f"input[name=staff][value='{ann}']").is_selected()
    assert cards(browser)["bookings"][0] == "5"


def test_sorting_the_per_staff_table_asks_the_server(browser, live_server, admin_user, work):
    client = log_in(browser, live_server, admin_user)
    open_dashboard(browser, live_server)

    def order() -> list[str]:
        return [row.get_attribute("data-staff") for row in browser.find_elements("css selector", "#staff-table tbody tr")]

    def sort_by(field: str) -> None:
        renders = browser.execute_script("return Number(document.getElementById('main').dataset.staffRenders || 0)")
        browser.find_element("css selector", f"#staff-table button[data-ordering='{field}']").click()
        wait_for(browser, f"Number(document.getElementById('main').dataset.staffRenders) > {renders}", "not re-sorted")

    def api_order(ordering: str) -> list[str]:
        rows = client.get(STAFF, {"period": "week", "ordering": ordering}).json()["rows"]
        return [str(row["staff"]["id"]) if row["staff"] else "none" for row in rows]

    assert order() == api_order("staff")
    headers = [e.text for e in browser.find_elements("css selector", "#staff-table thead th")]
    assert headers[0].startswith("Staff member") and headers[-1] == "Revenue"  # ops.admin

    sort_by("complaints")
    assert order() == api_order("-complaints")
    assert browser.find_element("xpath", "//button[@data-ordering='complaints']/..").get_attribute("aria-sort") == \
        "descending"
    sort_by("bookings")
    assert order() == api_order("-bookings") == [str(work["ann"].pk), "none", str(work["bob"].pk)]
    sort_by("bookings")
    assert order() == api_order("bookings")
    assert browser.switch_to.active_element.get_attribute("data-ordering") == "bookings"


def test_the_banner_lists_firing_alerts_only(browser, live_server, reader_user, work):
    OpsAlertRule.objects.create(name="Quiet rule", figure="sla.breached", comparator=">", threshold=50,
                                state=AlertState.OK)
    log_in(browser, live_server, reader_user)
    open_dashboard(browser, live_server)
    wait_for(browser, "document.getElementById('alerts').dataset.firing === '0'", "alerts were not asked for")
    assert not browser.find_element("id", "alerts").is_displayed()

    OpsAlertRule.objects.create(name="Too many breaches", figure="sla.breached", comparator=">=", threshold=1,
                                state=AlertState.FIRING, state_since=timezone.now(), last_value=Decimal("2"))
    browser.execute_async_script("window.opsDashboard.refresh().then(arguments[0], arguments[0]);")

    banner = browser.find_element("id", "alerts")
    assert banner.is_displayed() and banner.get_attribute("data-firing") == "1"
    assert "Too many breaches" in banner.text and "sla.breached" in banner.text
    assert "Quiet rule" not in banner.text


AXE_SCRIPT = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
  .then((result) => done(JSON.stringify(result.violations.filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)})))))
  .catch((error) => done(JSON.stringify([{id: "axe failed", impact: String(error)}])));
"""


def axe_violations(browser) -> list[dict]:
    browser.execute_script(AXE.read_text())
    return json.loads(browser.execute_async_script(AXE_SCRIPT))


@pytest.mark.parametrize("user_fixture", ["admin_user", "reader_user"])
def test_no_serious_or_critical_wcag_violation(browser, live_server, request, user_fixture, work):
    if not AXE.exists():
        pytest.skip(f"axe-core not installed ({AXE.relative_to(settings.BASE_DIR)} missing): run `npm ci --no-audit "
                    "--no-fund` at the repository root (needs node and npm)")
    OpsAlertRule.objects.create(name="Breaches", figure="sla.breached", comparator=">=", threshold=1,
                                state=AlertState.FIRING, state_since=timezone.now(), last_value=Decimal("1"))
    log_in(browser, live_server, request.getfixturevalue(user_fixture))
    open_dashboard(browser, live_server)
    wait_for(browser, "document.getElementById('alerts').dataset.firing === '1'", "no alert banner")
    browser.find_element("css selector", "#staff-filter summary").click()  # the filter's checkboxes shown too

    assert axe_violations(browser) == []

    open_figure(browser, "#card-bookings-open")

    assert axe_violations(browser) == []
