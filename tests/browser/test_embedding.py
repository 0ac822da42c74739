"""The app as the store embeds it: a session only from the store's origin, never in a URL or in
storage, no Content-Security-Policy violation while it runs, store and phone widths, and the
header usable by keyboard."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import expect

from local import tokens
from local.servers import LoopbackServer
from local.stack import DEMO_RESELLER, LocalStack
from tests.browser.conftest import Store, open_store

# Collects, in every frame of the page, what the page's Content-Security-Policy refused.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

# A page of another origin that frames the app and pushes it a valid store token, unasked, again
# and again; it records whatever the app tells it.
FOREIGN_PAGE = """<!doctype html><html><head><title>Not the store</title></head><body>
<iframe id="integration" title="Xero integration" src="{app}"></iframe>
<script>
window.told = [];
window.addEventListener("message", (event) => window.told.push(event.data));
const frame = document.getElementById("integration");
setInterval(() => frame.contentWindow.postMessage({{type: "cbxero:token", token: "{token}"}}, "*"),
            100);
</script></body></html>"""
SCREENS = ["/", "/tasks", "/action-log", "/reconcile", "/settings", "/mapping", "/connection"]


def _without_frame_ancestors(route: Any) -> None:
    answer = route.fetch()
    headers = {k: v for k, v in answer.headers.items() if k != "content-security-policy"}
    route.fulfill(response=answer, headers=headers)


def test_a_page_of_another_origin_that_frames_the_app_gets_no_session(
    stack: LocalStack, chromium: Any
) -> None:
    # The app's page without its CSP in this context only, so that the foreign page may frame
    # it at all (frame-ancestors refuses it, tests/browser/test_shell.py): what is left to
    # refuse the token is the app's own check of the message's origin.
    token = tokens.mint(DEMO_RESELLER)  # a valid token: only its sender is wrong
    foreign_app = Flask("foreign")
    foreign_app.add_url_rule(
        "/store/xero-integration",
        "page",
        lambda: FOREIGN_PAGE.format(app=stack.app_url, token=token),
    )
    # Another origin on this machine (127.0.0.1 and a port of its own; a public origin may not
    # frame a page on the local network at all).
    foreign = LoopbackServer(foreign_app).start()
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.route(stack.app_url, _without_frame_ancestors)
        page.goto(f"{foreign.url}/store/xero-integration")
        app = page.frame_locator("iframe#integration")
        app.locator("main#main").wait_for()  # the app is up, its listener too
        page.wait_for_timeout(1500)  # some fifteen tokens posted meanwhile
        assert app.locator("main[data-session]").count() == 0
        expect(app.get_by_text("Waiting for the store to hand over your session")).to_be_visible()
        # and the app told the foreign page nothing: "ready" goes to the store's origin only
        assert page.evaluate("() => window.told") == []
    finally:
        context.close()
        foreign.stop()


def test_the_session_stays_in_memory_and_the_app_runs_within_its_policy_at_every_width(
    stack: LocalStack, chromium: Any
) -> None:
    stack.seed_demo_reseller()  # connected, with customers and products: screens with content
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(VIOLATIONS)  # in every frame, before the page's own scripts
    try:
        page = context.new_page()
        urls: list[str] = []
        page.on("request", lambda request: urls.append(request.url))
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(stack.store_url)
        token = page.locator('meta[name="store-session"]').get_attribute("content")
        assert token and token.startswith("eyJ")
        store = Store(stack, page)
        store.app.locator("main#main[data-session]").wait_for()
        for width in (1440, 1024, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for screen in SCREENS:
                store.go(screen)
                store.app.locator("main#main h1").first.wait_for()
                page.wait_for_load_state("networkidle")
                # the app's page itself never scrolls sideways (wide tables scroll inside)
                overflow = store.frame.evaluate(
                    "() => { const page = document.documentElement;"
                    " return page.scrollWidth - page.clientWidth; }"
                )
                assert overflow <= 0, f"{screen} at {width} px: {overflow} px too wide"
            store.picture(f"embedded-{width}")  # the last screen, to look at
        held = store.frame.evaluate(
            """() => JSON.stringify([location.href, document.cookie,
                Object.entries(localStorage), Object.entries(sessionStorage)])"""
        )
        assert token not in held and "eyJ" not in held
        assert not [url for url in urls if token in url or "eyJ" in url]
        assert store.frame.evaluate("() => window.__violations") == []
        assert page.evaluate("() => window.__violations") == []
        assert refused == []
    finally:
        context.close()


def test_the_header_works_by_keyboard(stack: LocalStack, chromium: Any) -> None:
    store = open_store(stack, chromium)
    try:
        page, frame = store.page, store.frame
        page.locator("iframe#integration").focus()

        def tab_until(selector: str, most: int = 20) -> None:
            for _ in range(most):
                page.keyboard.press("Tab")
                if frame.evaluate(f"() => !!document.activeElement?.closest({selector!r})"):
                    return
            raise AssertionError(f"Tab never reached {selector}")

        tab_until('nav[aria-label="Main"] a')
        assert frame.evaluate("() => document.activeElement.textContent") == "Dashboard"
        tab_until("button.gear-button")
        menu = store.app.locator("#gear-menu")
        assert menu.is_hidden()
        page.keyboard.press("Enter")
        menu.wait_for(state="visible")
        expect(store.app.locator("#gear-menu").get_by_role("link", name="Settings")).to_be_visible()
        assert store.app.locator("button.gear-button").get_attribute("aria-expanded") == "true"
        page.keyboard.press("Escape")
        menu.wait_for(state="hidden")
        assert store.app.locator("button.gear-button").get_attribute("aria-expanded") == "false"
        # focus stays where it was, so that the next Tab goes on from the menu's button
        assert frame.evaluate("() => document.activeElement.classList.contains('gear-button')")
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert frame.evaluate("() => document.activeElement.textContent") == "Settings"
        page.keyboard.press("Escape")  # from inside the menu: back on the gear, not lost
        menu.wait_for(state="hidden")
        assert frame.evaluate("() => document.activeElement.classList.contains('gear-button')")
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert frame.evaluate("() => document.activeElement.textContent") == "Settings"
        page.keyboard.press("Enter")
        store.app.get_by_role("heading", level=1).wait_for()
        assert frame.evaluate("() => location.hash") == "#/settings"
    finally:
        store.page.context.close()


def test_escape_closes_the_gear_menu_at_once(stack: LocalStack, chromium: Any) -> None:
    # Escape was heard by a listener that an effect added after the next paint: pressed sooner
    # (a loaded fresh-clone run did), the menu stayed open. Frames without animation frames run
    # effects only after 100 ms, which makes the window wide enough to hit every time.
    store = open_store(stack, chromium)
    try:
        store.frame.evaluate("() => { window.requestAnimationFrame = () => 0; }")
        store.app.locator("button.gear-button").focus()
        store.page.keyboard.press("Enter")
        menu = store.app.locator("#gear-menu")
        menu.wait_for(state="visible")
        store.page.keyboard.press("Escape")
        store.page.wait_for_timeout(300)
        assert menu.is_hidden()
    finally:
        store.page.context.close()
