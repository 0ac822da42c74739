"""Attacks on the app in a browser: a foreign window that opens the app top-level and pushes it a
token, a hostile page that opens connected.html to catch a consent's flow, an expired token
handed by the store (the app renews it), and customer, product and Action Log text that is
HTML and script (shown as text, never run)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import expect

from local import tokens
from local.servers import LoopbackServer
from local.stack import DEMO_RESELLER, LocalStack
from tests.browser.conftest import open_store

HOSTILE = '<img src=x onerror="window.top.__xss=1"><script>window.top.__xss=2</script>'

# Opens the app top-level (as a link would) and pushes it a valid token, again and again.
OPENER_PAGE = """<!doctype html><html><head><title>Not the store</title></head><body>
<button id="go" onclick='window.app = window.open("{app}", "app")'>Open</button>
<script>
window.told = [];
window.addEventListener("message", (event) => window.told.push(event.data));
setInterval(() => {{
  try {{ window.app.postMessage({{type: "cbxero:token", token: "{token}"}}, "*"); }} catch (e) {{}}
}}, 100);
</script></body></html>"""

# Opens connected.html as if it were the app's pop-up, to catch the flow handle it posts.
CATCHER_PAGE = """<!doctype html><html><head><title>Not the app</title></head><body>
<button id="go" onclick='window.open("{app}connected.html?xero=pending&flow=F1&reason="
  + encodeURIComponent("{hostile}"), "consent")'>Open</button>
<script>
window.told = [];
window.addEventListener("message", (event) => window.told.push(event.data));
</script></body></html>"""


def _foreign(pages: dict[str, str]) -> LoopbackServer:
    app = Flask("foreign")
    for path, body in pages.items():
        app.add_url_rule(path, path, lambda body=body: body)
    return LoopbackServer(app).start()


def test_a_foreign_opener_cannot_hand_a_top_level_app_a_session(
    stack: LocalStack, chromium: Any
) -> None:
    token = tokens.mint(DEMO_RESELLER)
    foreign = _foreign({"/opener": OPENER_PAGE.format(app=stack.app_url, token=token)})
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{foreign.url}/opener")
        with context.expect_page() as opened:
            page.click("#go")
        app = opened.value
        app.locator("main#main").wait_for()
        app.wait_for_timeout(1500)  # some fifteen tokens posted meanwhile
        assert app.locator("main[data-session]").count() == 0
        expect(app.get_by_text("Open the Xero integration from the store")).to_be_visible()
        assert page.evaluate("() => window.told") == []  # "ready" goes to no one
    finally:
        context.close()
        foreign.stop()


def test_a_hostile_opener_of_connected_html_catches_no_flow(
    stack: LocalStack, chromium: Any
) -> None:
    page_text = CATCHER_PAGE.format(app=stack.app_url, hostile=HOSTILE.replace('"', '\\"'))
    foreign = _foreign({"/catch": page_text})
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{foreign.url}/catch")
        with context.expect_page() as opened:
            page.click("#go")
        popup = opened.value
        popup.wait_for_load_state()
        page.wait_for_timeout(1500)  # past connected.html's own close
        assert page.evaluate("() => window.told") == []  # posted to the app's origin only
        assert page.evaluate("() => window.__xss") is None
        if not popup.is_closed():
            assert popup.locator("img, script:not([src])").count() == 0
    finally:
        context.close()
        foreign.stop()


def test_an_expired_token_is_renewed_and_the_call_made_again(
    stack: LocalStack, chromium: Any
) -> None:
    stack.seed_demo_reseller(settings={"auto_sync": "off"})
    store = open_store(stack, chromium)
    try:
        statuses: list[int] = []
        store.page.on(
            "response",
            lambda r: statuses.append(r.status) if "/api/settings" in r.url else None,
        )
        expired = tokens.mint(DEMO_RESELLER, exp=1_600_000_000)
        # The store (the frame's parent) hands over a token that has run out.
        store.page.evaluate(
            """(token) => {
                const frame = document.getElementById("integration");
                frame.contentWindow.postMessage({type: "cbxero:token", token},
                                                new URL(frame.src).origin);
            }""",
            expired,
        )
        store.page.wait_for_timeout(300)
        store.go("/settings")
        store.app.get_by_role("heading", name="Settings", exact=True).wait_for()
        store.app.locator("main#main[data-session]").wait_for()
        store.page.wait_for_load_state("networkidle")
        assert statuses[:1] == [401] and 200 in statuses, statuses  # refused, renewed, answered
        assert store.app.get_by_text("the API answered 401").count() == 0
        assert store.app.get_by_text("Unauthorized").count() == 0
    finally:
        store.page.context.close()


def test_html_in_names_and_messages_is_shown_as_text(stack: LocalStack, chromium: Any) -> None:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    customer["name"] = f"Acme {HOSTILE}"
    for product in stack.marketplace.products.values():
        product["name"] = f"{product['name']} {HOSTILE}"
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 2, "4.00")])
    stack.api("POST", f"/customers/{customer['id']}/sync").raise_for_status()
    stack.drain_queue()
    task_id = stack.api("GET", "/tasks").json()["items"][0]["order_id"]
    store = open_store(stack, chromium)
    try:
        for screen in [
            "/tasks",
            f"/tasks/{task_id}",
            "/mapping/customers",
            "/mapping/products",
            "/action-log",
        ]:
            store.go(screen)
            store.app.locator("main#main h1").first.wait_for()
            frame = store.frame
            # the screen's data shown (nothing still "Loading…"), then time for a script to run
            frame.wait_for_function("() => !document.querySelector('main .loading')")
            store.page.wait_for_timeout(300)
            assert frame.evaluate("() => document.querySelectorAll('main img').length") == 0
            assert frame.evaluate("() => document.querySelectorAll('main script').length") == 0, (
                screen
            )
            assert store.page.evaluate("() => window.__xss") is None, screen
            shown = frame.evaluate("() => document.querySelector('main').innerText")
            assert "onerror" in shown or screen.startswith("/tasks/"), screen
            links = frame.evaluate(
                "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
            )
            assert all(
                link.startswith(("http://localhost", "https://go.xero.com/")) for link in links
            ), links
    finally:
        store.page.context.close()


def test_with_the_pop_up_blocked_only_the_consent_window_may_answer(
    stack: LocalStack, chromium: Any
) -> None:
    # The pop-up blocked, the screen waits for the window its link opens (named for the
    # consent). Another window of the app's origin that posts an outcome is not listened to.
    store = open_store(stack, chromium)
    app = store.app
    try:
        store.go("/connection")
        store.frame.evaluate("() => { window.allowed = window.open; window.open = () => null; }")
        store.click(app.get_by_role("button", name="Connect to Xero"))
        app.get_by_role("link", name="open Xero's consent page").wait_for()
        with store.page.context.expect_page() as opened:
            store.frame.evaluate(
                "() => window.allowed.call(window,"
                " '/connected.html?xero=error&reason=forged_elsewhere', 'someone-else')"
            )
        opened.value.wait_for_load_state()
        store.page.wait_for_timeout(1000)
        expect(app.get_by_role("link", name="open Xero's consent page")).to_be_visible()
        assert "forged" not in app.get_by_role("main").inner_text()
    finally:
        store.page.context.close()
