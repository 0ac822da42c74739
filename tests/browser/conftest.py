"""The web app in a real browser: Debian's chromium (scripts/install-chromium), driven by
Playwright through its executable path (no browser download), on the local stack.

`store` opens the local store page, which frames the app and hands it a session by postMessage,
as the marketplace does. `store.app` is the app's frame to click in; `store.check(screen)` runs
axe-core in the frame (0 serious or critical violations allowed) and keeps its counts in
test-output/axe/<screen>.json; `store.picture(name)` writes the README's screenshot.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack
from local.web_host import WEB_DIST
from tests.conftest import ROOT

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
AXE_OUT = ROOT / "test-output" / "axe"
SCREENS = ROOT / "docs" / "screens"  # the README's pictures
SHOTS = ROOT / "test-output" / "screens"  # every other screenshot
STORE_WIDTH = 1280
BLOCKING = {"serious", "critical"}
CLICKS: Counter[str] = Counter()  # clicks per test, in this (xdist) worker


def pytest_sessionfinish(session: pytest.Session) -> None:
    if CLICKS:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        out = ROOT / "test-output" / f"browser-clicks-{worker}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(dict(sorted(CLICKS.items())), indent=1) + "\n")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip(
            "no chromium on PATH: scripts/install-chromium (run by `make setup`) installs "
            "Debian's package where apt-get and root are at hand"
        )
    return found


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not (WEB_DIST / "index.html").is_file():
        pytest.skip("the web app is not built: `make web` builds web/dist")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_chromium(),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@dataclass
class Store:
    """The store page with the app in its frame."""

    stack: LocalStack
    page: Any
    clicks: list[str] = field(default_factory=list)

    @property
    def app(self) -> Any:
        """The app's frame, for locators (get_by_role and the like)."""
        return self.page.frame_locator("iframe#integration")

    @property
    def frame(self) -> Any:
        """The app's frame as a Frame, for evaluating script in it."""
        frame = self.page.frame(url=lambda url: url.startswith(self.stack.app_url))
        assert frame is not None, "the app's frame is not on the store page"
        return frame

    def go(self, path: str) -> None:
        """Opens a screen by its route (as a link in the app would)."""
        self.frame.evaluate("(path) => { window.location.hash = path; }", path)

    def click(self, locator: Any) -> None:
        """Clicks and counts the click (test-output/browser-clicks-*.json: steps clicked)."""
        self.clicks.append(str(locator))
        CLICKS[os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]] += 1
        locator.click()

    def check(self, screen: str) -> dict[str, int]:
        """axe-core in the app's frame: 0 serious or critical violations on this screen."""
        frame = self.frame
        if not frame.evaluate("() => typeof window.axe === 'object'"):
            frame.evaluate(AXE.read_text() + "\n;void 0")  # CDP evaluation: CSP does not apply
        result = frame.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ["violations", "passes"]});
                return {
                  violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})),
                  passes: r.passes.length,
                };
            }"""
        )
        counts = {
            impact: sum(1 for v in result["violations"] if v["impact"] == impact)
            for impact in ("minor", "moderate", "serious", "critical")
        }
        AXE_OUT.mkdir(parents=True, exist_ok=True)
        (AXE_OUT / f"{screen}.json").write_text(
            json.dumps(
                {
                    "screen": screen,
                    "passes": result["passes"],
                    **counts,
                    "violations": result["violations"],
                },
                indent=1,
            )
            + "\n"
        )
        blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"axe on {screen}: {json.dumps(blocking, indent=1)}"
        return counts

    def picture(self, name: str, readme: bool = False) -> Path:
        """A screenshot of the store page; readme=True writes the README's copy."""
        folder = SCREENS if readme else SHOTS
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


def open_store(
    stack: LocalStack,
    chromium: Any,
    width: int = STORE_WIDTH,
    height: int = 900,
    reseller: str | None = None,
) -> Store:
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    url = stack.store_url + (f"?reseller={reseller}" if reseller else "")
    page.goto(url)
    store = Store(stack, page)
    store.app.locator("main#main[data-session]").wait_for()  # the session was handed over
    return store


@pytest.fixture
def store(stack: LocalStack, chromium: Any) -> Iterator[Store]:
    opened = open_store(stack, chromium)
    try:
        yield opened
    finally:
        opened.page.context.close()
