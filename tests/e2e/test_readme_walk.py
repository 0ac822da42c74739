"""The README's walk with curl, run as written against a local stack seeded as `make dev` seeds
it, with the values `make dev` prints: the README stays true or this fails."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import requests

from local.dev import banner
from local.stack import DEMO_RESELLER, LocalStack
from tests.conftest import ROOT


def _walk() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### A walk with curl", 1)[1]
    found = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert found, "the README's walk has no bash block"
    return found.group(1)


def _exports(printed: str) -> dict[str, str]:
    """The variables of the `export` lines `make dev` printed."""
    values: dict[str, str] = {}
    for line in printed.splitlines():
        if line.startswith("export "):
            for pair in line.removeprefix("export ").split():
                name, value = pair.split("=", 1)
                values[name] = value
    return values


def test_the_readme_walk_syncs_an_order_and_the_daily_schedule(stack: LocalStack) -> None:
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the walk needs {', '.join(missing)} on PATH")
    customer = stack.seed_demo_reseller(DEMO_RESELLER, {"auto_sync": "every_5_minutes"})
    exports = _exports(banner(stack, customer["id"]))
    assert set(exports) == {"API", "MARKET", "XERO", "TOKEN", "XERO_TOKEN", "TENANT"}
    done = subprocess.run(  # noqa: S603 - the README's own commands
        ["bash", "-euo", "pipefail", "-c", _walk()],  # noqa: S607 - bash from PATH
        env={"PATH": os.environ["PATH"], **exports},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    order = re.search(r"customer (\d+), order (\S+)", out)
    assert order, out[-2000:]
    customer_id, number = order.groups()
    invoices = [
        json.loads(block)
        for block in re.findall(r"^\{\n.*?^\}", out, re.DOTALL | re.MULTILINE)
        if '"InvoiceNumber"' in block
    ]
    sale, renewal = invoices
    assert sale == {
        "InvoiceNumber": number,
        "Reference": number,
        "Status": "AUTHORISED",
        "Total": 20.0,
        "Contact": "Walkthrough Ltd",
    }
    assert renewal["Reference"].startswith("RN") and renewal["Total"] == 20.0
    unknown = requests.post(f"{stack.front_url}/_dev/schedule/hourly", timeout=30)
    assert unknown.status_code == 404 and "daily" in unknown.json()["message"]
    tasks = stack.api("GET", f"/tasks?customer_id={customer_id}").json()["items"]
    assert sorted((t["order_type"], t["status"]) for t in tasks) == [
        ("renewal", "synced"),
        ("sales", "synced"),
    ]
    # Steps 7 and 8: the sale paid in Xero comes back by webhook; the dashboard; no drift.
    assert '"events_recorded":' in out, out[-2000:]
    assert f'{{"order_number":"{number}","status":"synced","in_xero":"paid"}}' in out, out[-2000:]
    assert '"tasks_by_status":{"new":0,"processing":0,"synced":2,' in out, out[-2000:]
    assert '{"orders":2,"tasks":2,"documents":2,"counts":{}}' in out, out[-2000:]
