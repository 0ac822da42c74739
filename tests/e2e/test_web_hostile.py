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


def _task_id(stack: LocalStack) -> str:
    task_id: str = stack.api("GET", "/tasks").json()["items"][0]["order_id"]
    return task_id


@pytest.mark.parametrize(
    ("task_ids", "field"),
    [
        ([f"{n}" for n in range(1, 202)], "filter.task_ids"),  # 201: one too many
        ([], "filter.task_ids"),
        ("1000003", "filter.task_ids"),
        (["../settings"], "filter.task_ids.0"),
        (["..%2fsettings"], "filter.task_ids.0"),
        (["..\\settings"], "filter.task_ids.0"),
        (["<img src=x onerror=alert(1)>"], "filter.task_ids.0"),
        (["a" * 100_000], "filter.task_ids.0"),
        ([1], "filter.task_ids.0"),
        ([None], "filter.task_ids.0"),
        ([{"$ne": ""}], "filter.task_ids.0"),
    ],
)
def test_bulk_refuses_hostile_task_ids_naming_the_field(
    hostile_stack: LocalStack, task_ids: Any, field: str
) -> None:
    body = {"action": "ignore", "reason": "hostile", "filter": {"task_ids": task_ids}}
    _shaped(hostile_stack.api("POST", "/tasks/bulk", json=body), 422, field)


def test_bulk_ids_of_another_reseller_change_nothing_and_tell_nothing(
    hostile_stack: LocalStack,
) -> None:
    task_id = _task_id(hostile_stack)
    before = hostile_stack.api("GET", f"/tasks/{task_id}").json()
    body = {"action": "ignore", "reason": "not yours", "filter": {"task_ids": [task_id] * 2}}
    answer = hostile_stack.api("POST", "/tasks/bulk", OTHER, json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["looked_at"] == 0 and result["changed"] == 0
    # The same answer as for an id nobody has: the other reseller's task is not even confirmed.
    assert result["skipped"] == [{"task_id": task_id, "reason": "no such task"}]
    assert hostile_stack.api("GET", f"/tasks/{task_id}").json() == before
    assert hostile_stack.api("GET", f"/tasks/{task_id}", OTHER).status_code == 404


def test_bulk_duplicate_ids_act_once(hostile_stack: LocalStack) -> None:
    task_id = _task_id(hostile_stack)
    body = {"action": "retry", "filter": {"task_ids": [task_id, task_id, task_id]}}
    result = hostile_stack.api("POST", "/tasks/bulk", json=body).json()
    assert result["looked_at"] == 1
    assert [s["task_id"] for s in result["skipped"]] + result["changed_ids"] == [task_id]


NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("data", "content_type", "status", "field"),
    [
        ('{"action": "sync", "filter": {"task_ids": ' + NESTED + "}}", None, 400, "body"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, None, 400, "body"),
        ("[]", None, 422, "body"),
        ('{"action": ', None, 400, "body"),
        (b"\xff\xfe{", None, 400, "body"),
        ('{"action": "sync", "limit": NaN}', None, 422, "limit"),
        ('{"action": "sync", "limit": ' + "9" * 5000 + "}", None, 400, "body"),
        ('{"action": "sync"}', "text/plain", 415, "Content-Type"),
        ('{"action": "sync"}', "application/x-www-form-urlencoded", 415, "Content-Type"),
        ('{"action": "sync"}', "multipart/form-data; boundary=x", 415, "Content-Type"),
        ('{"action": "sync"}', "application/xml", 415, "Content-Type"),
    ],
)
def test_bulk_bodies_built_to_break_it_are_4xx_in_the_shape(
    hostile_stack: LocalStack, data: str | bytes, content_type: str | None, status: int, field: str
) -> None:
    headers = {"Content-Type": content_type or "application/json"}
    answer = hostile_stack.api("POST", "/tasks/bulk", data=data, headers=headers)
    _shaped(answer, status, field)


@pytest.mark.parametrize("live", ["", "maybe", "x" * 5000, "%00", "[]", "true%00", "{}"])
def test_live_takes_a_boolean_only(hostile_stack: LocalStack, live: str) -> None:
    _shaped(hostile_stack.api("GET", f"/xero/connection?live={live}"), 422, "live")


def test_live_never_shows_another_resellers_organisation(hostile_stack: LocalStack) -> None:
    mine = hostile_stack.api("GET", "/xero/connection?live=true").json()
    theirs = hostile_stack.api("GET", "/xero/connection?live=true", OTHER).json()
    nobody = hostile_stack.api("GET", "/xero/connection?live=true", "reseller-nobody").json()
    # (Both consented to the emulator's one organisation: each sees its own connection.)
    assert mine["status"] == theirs["status"] == "connected"
    assert nobody["status"] == "not_connected" and nobody["organisation_id"] is None


@pytest.mark.parametrize(
    "path",
    ["/tasks/..%2Fsettings", "/tasks/%2e%2e", "/tasks/" + "1" * 5000, "/tasks/%3Cscript%3E"],
)
def test_a_task_path_built_to_break_it_names_the_field(
    hostile_stack: LocalStack, path: str
) -> None:
    _shaped(hostile_stack.api("GET", path), 422, "taskId")
