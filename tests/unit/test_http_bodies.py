"""The resolver's reading of request bodies, in-process: whatever it cannot read is the caller's
400 (or 415, 422) in the one error shape naming the body, never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from pydantic import BaseModel

from cbxero.http import JsonApiResolver, install_error_handlers, reseller_of
from local.invoke import LambdaContext


class Body(BaseModel):
    days: int = 0


app = JsonApiResolver(enable_validation=True)
install_error_handlers(app, Logger(service="test-http-bodies"))


@app.post("/things")
def things(body: Body) -> dict[str, int]:
    return {"days": body.days}


def post(body: str | bytes, *, encoded: bool) -> tuple[int, dict[str, Any]]:
    raw = body.encode() if isinstance(body, str) else body
    event = {
        "version": "2.0",
        "routeKey": "POST /things",
        "rawPath": "/things",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": "POST", "path": "/things", "sourceIp": "127.0.0.1"},
            "routeKey": "POST /things",
            "stage": "$default",
        },
        "body": base64.b64encode(raw).decode() if encoded else raw.decode(),
        "isBase64Encoded": encoded,
    }
    answer = app.resolve(event, LambdaContext("SettingsFunction"))  # type: ignore[arg-type]
    return answer["statusCode"], json.loads(answer["body"])


@pytest.mark.parametrize("encoded", [False, True])
def test_a_readable_body_is_read_plain_or_in_base64(encoded: bool) -> None:
    # API Gateway passes a body in base64 when it takes it for binary (a Content-Encoding, say).
    assert post('{"days": 3}', encoded=encoded) == (200, {"days": 3})


READABLE_AS_TEXT = [
    ('{"days": ' + "9" * 5_000 + "}", 400),  # more digits than json.loads reads
    ('{"days": ' + "[" * 10_000 + "]" * 10_000 + "}", 400),
    ('{"days": 3', 400),
    ("[1]", 422),
]
# API Gateway sends a body that is not UTF-8 in base64 only.
UNREADABLE: list[Any] = [pytest.param(b'{"days": "\xff"}', 400, True, id="not-utf8")]


@pytest.mark.parametrize(
    ("body", "status", "encoded"),
    [
        *[
            (body, status, encoded)
            for body, status in READABLE_AS_TEXT
            for encoded in (False, True)
        ],
        *UNREADABLE,
    ],
)
def test_a_body_that_cannot_be_read_is_refused_naming_it(
    body: str | bytes, status: int, encoded: bool
) -> None:
    # Found by the attack of 2026-11-27: in base64, a number of 5,000 digits answered 500
    # (the resolver's early read skipped base64 bodies).
    answered, problem = post(body, encoded=encoded)
    assert (answered, problem["code"]) == (status, "invalid_input"), problem
    assert [f["field"] for f in problem["fields"]] == ["body"]


def test_a_body_marked_base64_that_is_not_is_refused_naming_it() -> None:
    event_body = "!!!not base64"
    event = {
        "version": "2.0",
        "routeKey": "POST /things",
        "rawPath": "/things",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/things"}, "stage": "$default"},
        "body": event_body,
        "isBase64Encoded": True,
    }
    answer = app.resolve(event, LambdaContext("SettingsFunction"))  # type: ignore[arg-type]
    assert answer["statusCode"] == 400
    assert [f["field"] for f in json.loads(answer["body"])["fields"]] == ["body"]


@app.get("/mine")
def mine() -> dict[str, str]:
    return {"reseller": reseller_of(app, "reseller_id")}


def get_mine(claims: dict[str, str]) -> tuple[int, dict[str, Any]]:
    event = {
        "version": "2.0",
        "routeKey": "GET /mine",
        "rawPath": "/mine",
        "headers": {},
        "requestContext": {
            "http": {"method": "GET", "path": "/mine"},
            "stage": "$default",
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
        },
        "isBase64Encoded": False,
    }
    answer = app.resolve(event, LambdaContext("SettingsFunction"))  # type: ignore[arg-type]
    return answer["statusCode"], json.loads(answer["body"])


@pytest.mark.parametrize(
    "reseller", ["r" * 100_000, "r" * 65, "reseller-1001\x00", "../reseller", "r\u00e9seller", " r"]
)
def test_a_reseller_claim_no_marketplace_id_looks_like_is_a_403_not_a_500(reseller: str) -> None:
    # Found by the attack of 2026-11-27: a 100,000-character claim reached DynamoDB as a key
    # (over its 2,048 bytes) and answered 500.
    status, problem = get_mine({"reseller_id": reseller, "sub": "u"})
    assert (status, problem["code"]) == (403, "forbidden")


def test_a_reseller_claim_of_a_marketplace_id_is_the_reseller() -> None:
    assert get_mine({"reseller_id": "reseller-1001"}) == (200, {"reseller": "reseller-1001"})
