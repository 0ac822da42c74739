"""The app's frame: the store hands it a session by postMessage, and only the store may."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import expect

from local.stack import LocalStack
from tests.browser.conftest import Store


def test_the_store_frames_the_app_and_hands_it_a_session(store: Store) -> None:
    store.app.get_by_role("heading", level=1).wait_for()
    expect(store.app.get_by_role("navigation", name="Main")).to_be_visible()
    # the session came by message: no token in any URL the page loaded
    assert "eyJ" not in store.frame.url
    store.check("shell")


def test_the_app_refuses_a_session_from_an_origin_it_does_not_know(
    stack: LocalStack, chromium: Any
) -> None:
    """The same store page on another origin (127.0.0.1 rather than localhost): the app's
    Content-Security-Policy does not let that origin frame it at all."""
    context = chromium.new_context()
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    page.goto(stack.store_url.replace("localhost", "127.0.0.1"))
    page.wait_for_timeout(500)
    frame = page.frame(url=lambda url: url.startswith(stack.app_url))
    assert frame is None or frame.evaluate("() => document.body.innerText") == ""
    context.close()


def test_the_page_is_served_with_a_strict_policy(stack: LocalStack) -> None:
    answer = requests.get(stack.app_url, timeout=10)
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert f"frame-ancestors {stack.store_origin}" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_store_that_listens_late_still_hands_over_the_session(
    stack: LocalStack, chromium: Any
) -> None:
    # The store page's script may start listening after the app said it was ready (once in
    # five runs it did): the app says so again until the session comes.
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(f"{stack.store_url}?listen_after_ms=1500")
        app = page.frame_locator("iframe#integration")
        app.locator("main#main[data-session]").wait_for(timeout=8_000)
    finally:
        context.close()
