"""Swagger UI at /docs renders the API's OpenAPI 3.1 document in a real browser.

Debian's chromium, driven through its own chromedriver (Selenium, no browser download; the
browser comes from `scripts/install-chromium`). The page must list the operations, those of
the OAuth function included, and show no "Unable to render" error. A screenshot is kept in
test-output/swagger-ui.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.conftest import ROOT

SCREENSHOT = ROOT / "test-output" / "swagger-ui.png"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,3800",  # every operation in the screenshot
]


@pytest.fixture
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip(
            "no chromium and chromedriver on PATH (scripts/install-chromium installs Debian's "
            "packages where apt-get and root are at hand)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    # The system driver, named: Selenium Manager (which would download one) is never asked.
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def test_swagger_ui_renders_every_operation_in_chromium(stack: LocalStack, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    document = requests.get(f"{stack.front_url}/openapi.json", timeout=30).json()
    assert document["openapi"].startswith("3.1")
    operations = sum(
        1
        for item in document["paths"].values()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    )
    browser.get(f"{stack.front_url}/docs")
    try:
        WebDriverWait(browser, 30).until(
            lambda page: (
                page.find_elements(By.CSS_SELECTOR, ".opblock")
                or "Unable to render" in page.find_element(By.TAG_NAME, "body").text
            )
        )
        WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "ui")))
    finally:
        SCREENSHOT.parent.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Unable to render" not in text, text[:300]
    shown = browser.find_elements(By.CSS_SELECTOR, ".opblock")
    assert len(shown) == operations, (len(shown), operations)
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/settings", "/xero/connect", "/xero/callback", "/tasks"} <= {
        p.replace("\u200b", "") for p in paths
    }
