"""Fixtures of the browser tests: one headless Chromium per module, the cache taken as reachable after each test
(`pytest.mark.usefixtures("_cache_taken_as_reachable")` in the modules that drive the page)."""
import pytest

from conftest import CHROMEDRIVER, CHROMIUM
from ops_metrics.cache.backend import forget_unreachable

WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module (starting one costs about a second)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--lang=en-US", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(WAIT_SECONDS)
    yield driver
    driver.quit()


@pytest.fixture
def _cache_taken_as_reachable():
    """A Redis reply slowed past its timeout by the browser's load must not mark the cache down for later tests."""
    yield
    forget_unreachable()


