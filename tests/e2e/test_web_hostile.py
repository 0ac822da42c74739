"""Hostile input against the web app's host and the API surfaces the app added: paths that try
to climb out of the assets or around the /api prefix, odd methods, and bodies and queries built
to break POST /tasks/bulk and GET /xero/connection. Every answer is a clear 4xx (the API's in
its one error shape, naming the field), never a 5xx, and never another reseller's data."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from local.stack import LocalStack
from local.web_host import WEB_DIST

OTHER = "reseller-hostile-other"


def _raw(port: int, method: str, path: str, headers: str = "") -> tuple[int, dict[str, str], bytes]:
    """One request with the path exactly as written (no client normalises it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{headers}"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    found = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    return int(lines[0].split()[1]), found, body


def _shaped(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert any(f["field"] == field for f in body["fields"]), body


@pytest.fixture(scope="module")
def hostile_stack(dynamodb_local: str) -> Any:
    with LocalStack(dynamodb_endpoint=dynamodb_local, quiet=True) as running:
        customer = running.seed_demo_reseller(settings={"auto_sync": "off"})
        running.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 2, "4.00")])
        running.api("POST", f"/customers/{customer['id']}/sync").raise_for_status()
        running.drain_queue()
        running.connect_xero(OTHER)
        yield running


TRAVERSALS = [
    "/assets/../index.html",
    "/assets/%2e%2e/index.html",
    "/assets/%2e%2e%2findex.html",
    "/assets/..%5cindex.html",
    "/assets/..%2f..%2fREADME.md",
    "/assets/%2e%2e%2f%2e%2e%2fREADME.md",
    "/assets/....//index.html",
    "/assets/..%00/x",
    "/assets/",
    "/.git/config",
    "/config.json%00",
    "/connected.html/",
    "/api/../settings",
    "/api/%2e%2e/settings",
    "/api//settings",
    "/api",
    "/api/",
    "/apix/settings",
    "/API/settings",
    "/api/api/settings",
    "/api/%2fsettings",
]


def test_paths_out_of_the_assets_or_around_the_prefix_find_nothing(
    hostile_stack: LocalStack,
) -> None:
    token = f"Authorization: Bearer {hostile_stack.token()}\r\n"
    for path in TRAVERSALS:
        status, _, body = _raw(hostile_stack.front_port, "GET", path, token)
        assert status == 404, (path, status, body[:200])
        assert json.loads(body) == {"message": "Not Found"}, path


APP_PATHS = ["/", "/index.html", "/connected.html", "/config.json"]


def test_every_answer_for_the_app_may_be_framed_by_the_store_only(
    hostile_stack: LocalStack,
) -> None:
    """Whatever the method, an app path either answers with the security headers (frame-ancestors
    the store) or not at all: as CloudFront, which takes GET and HEAD only there."""
    asset = next((WEB_DIST / "assets").iterdir())
    for path in [*APP_PATHS, f"/assets/{asset.name}"]:
        for method in ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE"]:
            status, headers, _ = _raw(hostile_stack.front_port, method, path)
            assert status < 500, (method, path, status)
            if method in ("GET", "HEAD"):
                assert status == 200, (method, path, status)
            if status < 300:
                policy = headers.get("content-security-policy", "")
                assert f"frame-ancestors {hostile_stack.store_origin}" in policy, (method, path)
                assert headers.get("x-content-type-options") == "nosniff", (method, path)
            else:
                assert status in (403, 404, 405), (method, path, status)


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", "*/*;q=0", "x" * 4000, "application/json;q=0"]
)
def test_config_json_is_json_whatever_is_asked(hostile_stack: LocalStack, accept: str) -> None:
    status, headers, body = _raw(
        hostile_stack.front_port, "GET", "/config.json", f"Accept: {accept}\r\n"
    )
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"storeOrigins": [hostile_stack.store_origin]}
