"""`make demo` as a newcomer runs it: it ends OK, and what it prints shows the books coming back
from Xero (a payment made there, by webhook) and the dashboard and drift report in step."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from local import demo
from local.stack import LocalStack


def test_the_demo_ends_ok_and_shows_xeros_side(
    dynamodb_local: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answered: dict[str, Any] = {}

    def open_the_app(stack: LocalStack) -> None:  # what a newcomer does with the URL printed
        answered["store"] = requests.get(stack.store_url, timeout=30)
        answered["app"] = requests.get(stack.app_url, timeout=30)
        answered["url"] = stack.store_url

    assert demo.main(dynamodb_local, hold=open_the_app) == 0
    out = capsys.readouterr().out
    # the app's URL is the demo's last line, and it answered while the demo held the stack
    assert out.rstrip().splitlines()[-2] == f"open {answered['url']}"
    assert answered["store"].status_code == 200 and 'id="integration"' in answered["store"].text
    assert answered["app"].status_code == 200
    assert "frame-ancestors" in answered["app"].headers["Content-Security-Policy"]
    assert "in Xero part_paid, paid 100.00, due 280.00" in out
    assert "GET /reconcile: 2 orders, 2 tasks, 2 documents, 0 difference(s)" in out
    assert "invoice SO000003 part paid in Xero: 100.00 paid, 280.00 still due" in out
    assert "credit note CN-CH000004 used up in Xero (72.00 allocated or refunded)" in out
    assert "the drift report finds the books in step" in out
