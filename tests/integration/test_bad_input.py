"""Bad input through the local front: every shape an outsider found answering 500, and what the
API must answer instead (a 4xx in the one error shape, naming the field).

One stack for the module: these requests change nothing a later test reads, except where a test
says so and reads only what it wrote.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cbxero import keys
from local.stack import DEMO_RESELLER, LocalStack

OTHER_RESELLER = "reseller-2002"


@pytest.fixture(scope="module")
def front(dynamodb_local: str) -> Iterator[LocalStack]:
    with LocalStack(dynamodb_endpoint=dynamodb_local, quiet=True) as running:
        customer = running.seed_demo_reseller(settings={"auto_sync": "off"})
        for _ in range(3):
            running.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
        running.api("POST", "/tasks/check-changes", json={}).raise_for_status()
        running.drain_queue()
        running.connect_xero(OTHER_RESELLER)
        yield running
        served = "\n".join(running.http_front.transcript)
        assert not [s[:6] for s in running.secrets_in_play() if s in served]  # no token leaked


def _forged(key: dict[str, Any]) -> str:
    """A cursor as the old API made them: base64 of DynamoDB's start key, unsigned."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _error(answer: requests.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    body = answer.json()
    assert isinstance(body["code"], str) and isinstance(body["message"], str), body
    if field is not None:
        assert field in [f["field"] for f in body["fields"]], body
    return dict(body)


MINE = {"S": DEMO_RESELLER}
TAMPERED = {
    "partition only": {keys.PK: MINE},
    "an unknown key": {keys.PK: MINE, keys.SK: {"S": "x"}, "zz": {"S": "y"}},
    "the table key only": {keys.PK: MINE, keys.SK: {"S": "TASK#1"}},
    "no sort key": {keys.PK: MINE, keys.CREATED_AT: {"S": "2026-01-01T00:00:00Z"}},
    "a well-formed key": {
        keys.PK: MINE,
        keys.SK: {"S": "TASK#1"},
        keys.CREATED_AT: {"S": "2026-01-01T00:00:00Z"},
    },
    "a number": {keys.PK: MINE, keys.SK: {"N": "1"}},
}
NOT_BASE64 = ["\u00f1.\U0008daef\u0093", "a.\u00e9", "\u00e9.\u00e9", "%.%", "0"]


@pytest.mark.parametrize("path", ["/tasks", "/action-log", "/notifications"])
@pytest.mark.parametrize("cursor", NOT_BASE64)
def test_a_cursor_in_any_characters_is_a_400(front: LocalStack, path: str, cursor: str) -> None:
    # Found by schemathesis with a random seed: a non-ASCII signature part answered 500.
    _error(front.api("GET", path, params={"cursor": cursor}), 400, "cursor")


@pytest.mark.parametrize("path", ["/tasks", "/action-log", "/notifications"])
@pytest.mark.parametrize("params", [{}, {"status": "new"}], ids=["plain", "by-status"])
@pytest.mark.parametrize("shape", list(TAMPERED))
def test_a_cursor_the_list_did_not_give_out_is_a_400_naming_cursor(
    front: LocalStack, path: str, params: dict[str, str], shape: str
) -> None:
    if path != "/tasks" and params:
        params = {"status": "error"} if path == "/action-log" else {}
    answer = front.api("GET", path, params={**params, "cursor": _forged(TAMPERED[shape])})
    assert _error(answer, 400, "cursor")["code"] == "invalid_input"


def test_a_cursor_is_bound_to_its_list_its_query_and_its_reseller(front: LocalStack) -> None:
    tasks = front.api("GET", "/tasks", params={"limit": 1}).json()["next_cursor"]
    log = front.api("GET", "/action-log", params={"limit": 1}).json()["next_cursor"]
    assert tasks and log
    # Given back as it was, each continues its own list.
    assert front.api("GET", "/tasks", params={"limit": 1, "cursor": tasks}).status_code == 200
    assert front.api("GET", "/action-log", params={"cursor": log}).status_code == 200
    misuses = [
        ("GET", "/tasks", {"cursor": tasks[:-3]}, DEMO_RESELLER),  # truncated
        ("GET", "/tasks", {"cursor": tasks[:-1] + ("A" if tasks[-1] != "A" else "B")}, None),
        ("GET", "/tasks", {"cursor": tasks, "status": "new"}, DEMO_RESELLER),  # another query
        ("GET", "/tasks", {"cursor": tasks, "customer_id": "1000001"}, DEMO_RESELLER),
        ("GET", "/action-log", {"cursor": tasks}, DEMO_RESELLER),  # another list
        ("GET", "/notifications", {"cursor": log}, DEMO_RESELLER),
        ("GET", "/tasks", {"cursor": tasks}, OTHER_RESELLER),  # another reseller
        ("GET", "/action-log", {"cursor": log}, OTHER_RESELLER),
    ]
    for method, path, params, reseller in misuses:
        answer = front.api(method, path, reseller or DEMO_RESELLER, params=params)
        _error(answer, 400, "cursor")


@pytest.mark.parametrize("path", ["/tasks", "/action-log"])
@pytest.mark.parametrize(
    "bound",
    [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
        "2024-02-29T12:00:00+14:00",
        "2023-02-29T12:00:00Z",
        "2026-01-01T00:00:00",
    ],
)
@pytest.mark.parametrize("which", ["from", "to"])
def test_times_at_the_edges_of_their_range_never_fail_the_server(
    front: LocalStack, path: str, bound: str, which: str
) -> None:
    answer = front.api("GET", path, params={which: bound})
    if answer.status_code == 200:
        assert isinstance(answer.json()["items"], list)
    else:
        assert answer.status_code in (400, 422), (answer.status_code, answer.text[:300])
        _error(answer, answer.status_code, which)


def test_a_far_future_start_is_an_empty_page(front: LocalStack) -> None:
    for path in ("/tasks", "/action-log"):
        answer = front.api("GET", path, params={"from": "9999-12-31T23:59:59Z"})
        assert (answer.status_code, answer.json()["items"]) == (200, [])


@pytest.mark.parametrize("header", ['"\u00b2"', '"\u00b9"', 'W/"\u00b3"', '"1_0"', '" 1"', '"-1"'])
def test_an_if_match_that_is_no_etag_of_ours_is_a_422(front: LocalStack, header: str) -> None:
    # The document states the ETag's pattern; "²" passed str.isdigit() and failed int().
    answer = front.api("PATCH", "/settings", json={}, headers={"If-Match": header})
    _error(answer, 422, "If-Match")


@pytest.mark.parametrize("value", ["0.5", "1700000000", "2026-01-31", "null", "now"])
@pytest.mark.parametrize("path", ["/tasks", "/action-log"])
def test_a_time_is_a_date_time_not_a_number_or_a_date(
    front: LocalStack, value: str, path: str
) -> None:
    # Found by schemathesis (coverage phase): to=0.5 was taken as half a second after 1970.
    _error(front.api("GET", path, params={"to": value}), 422, "to")


@pytest.mark.parametrize("body", ['[{"auto_sync": true}]', "[]", "null", '"x"', "1"])
def test_a_body_that_is_no_json_object_is_a_422(front: LocalStack, body: str) -> None:
    # Found by schemathesis: Powertools took [{...}] for {...} and the link was changed.
    answer = front.api(
        "PUT", "/customers/1000001", data=body, headers={"Content-Type": "application/json"}
    )
    _error(answer, 422, "body")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/tasks/check-changes", {"customer_id": "../orders"}),
        ("POST", "/tasks/check-changes", {"customer_id": "1000001/../../orders"}),
        ("POST", "/tasks/check-changes", {"customer_id": "a?b=c"}),
        ("POST", "/tasks/check-changes", {"customer_id": "a#b"}),
        ("POST", "/tasks/check-changes", {"customer_id": ".."}),
        ("PUT", "/customers/auto-sync", {"customer_ids": ["../orders"], "auto_sync": True}),
    ],
)
def test_an_id_that_would_walk_simpleapi_paths_is_a_422(
    front: LocalStack, method: str, path: str, body: dict[str, Any]
) -> None:
    answer = front.api(method, path, json=body)
    field = "customer_id" if "customer_id" in body else "customer_ids.0"
    assert _error(answer, 422, field)["code"] == "invalid_input"


@pytest.mark.parametrize("path", ["/customers/..%2Forders/sync", "/customers/%2E%2E/sync"])
def test_an_id_in_the_path_that_would_walk_simpleapi_paths_is_refused(
    front: LocalStack, path: str
) -> None:
    answer = front.api("POST", path)
    assert answer.status_code in (404, 422), answer.text[:300]
    _error(answer, answer.status_code)


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a":', "}"), ('{"edits":[', "]}")])
@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/settings"), ("PATCH", "/settings"), ("POST", "/tasks/sync")]
)
def test_json_nested_ten_thousand_deep_is_a_400(
    front: LocalStack, opening: str, closing: str, method: str, path: str
) -> None:
    deep = opening * 10_000 + "1" + closing * 10_000
    answer = front.api(method, path, data=deep, headers={"Content-Type": "application/json"})
    _error(answer, 422 if opening == "[" else 400, "body")  # an array is no object at all


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/settings"),
        ("PATCH", "/settings"),
        ("POST", "/tasks/sync"),
        ("PUT", "/customers/auto-sync"),
        ("POST", "/xero/connection/complete"),  # the OAuth function's resolver too
        ("PUT", "/xero/connection/tenant"),
    ],
)
def test_a_number_too_long_to_read_is_a_400_naming_the_body(
    front: LocalStack, method: str, path: str
) -> None:
    # Found by the attack of 2026-11-27: json.loads refuses an integer of more than 4,300
    # digits with a plain ValueError (not a JSONDecodeError), answered 500 internal_error.
    body = '{"due_date_terms": {"days": ' + "9" * 5_000 + "}}"
    answer = front.api(method, path, data=body, headers={"Content-Type": "application/json"})
    _error(answer, 400, "body")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "multipart/form-data",
        "application/xml",
        "application/octet-stream",
        "application/json-patch+json; charset=utf-8",
        "image/png",
    ],
)
@pytest.mark.parametrize(
    "body", ['{"trim_descriptions": true}', "a=1&b=2", "--x\r\n\r\n--x--\r\n", "\x00\xff"]
)
def test_a_body_the_route_does_not_read_is_a_415_and_changes_nothing(
    front: LocalStack, content_type: str, body: str
) -> None:
    before = front.api("GET", "/settings")
    answer = front.api("PUT", "/settings", data=body, headers={"Content-Type": content_type})
    assert _error(answer, 415, "Content-Type")["code"] == "unsupported_media_type"
    after = front.api("GET", "/settings")
    assert (after.json(), after.headers["ETag"]) == (before.json(), before.headers["ETag"])


@pytest.mark.parametrize("value", ["yes", "true", "1", 1, 0, "on", "false", 1.0])
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_boolean_settings_take_only_true_and_false(
    front: LocalStack, value: Any, method: str
) -> None:
    answer = front.api(method, "/settings", json={"trim_descriptions": value})
    assert _error(answer, 422, "trim_descriptions")["code"] == "invalid_input"


@pytest.mark.parametrize("days", [False, True, "14", "", None, 1.5])
def test_due_days_are_a_whole_number(front: LocalStack, days: Any) -> None:
    # Found by schemathesis (coverage phase): {"days": false} was taken as 0 days.
    terms = {"rule": "DAYSAFTERBILLDATE", "days": days}
    answer = front.api("PATCH", "/settings", json={"due_date_terms": terms})
    _error(answer, 422, "due_date_terms.days")


def test_other_boolean_bodies_are_strict_too(front: LocalStack) -> None:
    answer = front.api("PUT", "/customers/auto-sync", json={"customer_ids": ["1"], "auto_sync": 1})
    _error(answer, 422, "auto_sync")
    answer = front.api("PUT", "/customers/1000001", json={"auto_sync": "yes"})
    _error(answer, 422, "auto_sync")


def test_a_patch_refuses_null_except_to_clear_a_choice(front: LocalStack) -> None:
    for name in ("trim_descriptions", "price_source", "due_date_terms"):
        answer = front.api("PATCH", "/settings", json={name: None})
        assert _error(answer, 422, name)["code"] == "invalid_input"
    set_tax = front.api("PATCH", "/settings", json={"tax_type": "OUTPUT2"})
    assert set_tax.json()["tax_type"] == "OUTPUT2"
    cleared = front.api("PATCH", "/settings", json={"tax_type": None})
    assert (cleared.status_code, cleared.json()["tax_type"]) == (200, None)
    chosen = front.api("PATCH", "/settings", json={"sales_account_code": "210"})
    assert chosen.json()["sales_account_code"] == "210"
    cleared = front.api("PATCH", "/settings", json={"sales_account_code": None})
    assert (cleared.status_code, cleared.json()["sales_account_code"]) == (200, None)


def test_a_sales_account_or_tax_type_the_organisation_does_not_offer_is_refused(
    front: LocalStack,
) -> None:
    answer = front.api("PATCH", "/settings", json={"sales_account_code": "999"})
    assert _error(answer, 400, "sales_account_code")["message"].startswith(
        "account 999 is not an active revenue account of "
    )
    answer = front.api("PATCH", "/settings", json={"sales_account_code": "090"})
    assert "it is of kind ASSET" in _error(answer, 400, "sales_account_code")["message"]
    answer = front.api("PATCH", "/settings", json={"tax_type": "INPUT"})
    assert "cannot apply to revenue" in _error(answer, 400, "tax_type")["message"]
    answer = front.api(
        "PUT",
        "/products/MS-TEAMS-ESS",
        json={"xero_item_code": "MS-TEAMS-ESS", "account_code": "610"},
    )
    assert "system account" in _error(answer, 400, "account_code")["message"]


def _settings_entries(front: LocalStack) -> list[str]:
    entries = front.api("GET", "/action-log", params={"action": "settings_changed", "limit": 200})
    return [e["message"] for e in entries.json()["items"]]


def test_a_change_that_changes_nothing_is_no_change(front: LocalStack) -> None:
    before = front.api("GET", "/settings")
    logged = _settings_entries(front)
    assert front.api("PATCH", "/settings", json={}).headers["ETag"] == before.headers["ETag"]
    same = {"trim_descriptions": before.json()["trim_descriptions"]}
    assert front.api("PATCH", "/settings", json=same).headers["ETag"] == before.headers["ETag"]
    whole = front.api("PUT", "/settings", json=before.json())
    assert whole.headers["ETag"] == before.headers["ETag"]
    assert _settings_entries(front) == logged
    assert not any(m.endswith("nothing") for m in logged)
    # A no-op still honours If-Match: a stale version is refused, as for any save.
    stale = front.api("PATCH", "/settings", json={}, headers={"If-Match": '"99"'})
    _error(stale, 412, "If-Match")


def test_logged_values_are_spelled_as_the_api_spells_them(front: LocalStack) -> None:
    current = front.api("GET", "/settings").json()["trim_descriptions"]
    front.api("PATCH", "/settings", json={"trim_descriptions": not current}).raise_for_status()
    front.api("PATCH", "/settings", json={"tax_type": "OUTPUT2"}).raise_for_status()
    front.api("PATCH", "/settings", json={"tax_type": None}).raise_for_status()
    spelled = json.dumps(current)
    messages = _settings_entries(front)
    assert f"Settings changed: trim_descriptions: {spelled} -> {json.dumps(not current)}" in (
        messages
    )
    assert "Settings changed: tax_type: OUTPUT2 -> null" in messages
    assert not any("True" in m or "False" in m or "None" in m for m in messages)


def test_every_input_refusal_uses_one_code(front: LocalStack) -> None:
    refusals = [
        front.api("PUT", "/settings", json={"price_source": "cheapest"}),
        front.api(
            "PUT", "/settings", data="{not json", headers={"Content-Type": "application/json"}
        ),
        front.api("GET", "/tasks", params={"cursor": "nope"}),
        front.api(
            "GET", "/tasks", params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
        ),
        front.api("PATCH", "/settings", json={}, headers={"If-Match": "yesterday"}),
        front.api(
            "PUT", "/settings", data=b"\xff\xfe", headers={"Content-Type": "application/json"}
        ),
    ]
    assert {r.json()["code"] for r in refusals} == {"invalid_input"}
    assert {r.status_code for r in refusals} == {400, 422}


def test_the_document_declares_every_status_the_api_answers(front: LocalStack) -> None:
    document = requests.get(f"{front.front_url}/openapi.json", timeout=10).json()
    for path in document["paths"].values():
        for operation in path.values():
            assert {"400", "415", "422"} <= set(operation["responses"])


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "QUERY", "DELETE"])
def test_a_method_no_route_takes_is_the_gateways_404(front: LocalStack, method: str) -> None:
    # Found by schemathesis: the local front answered OPTIONS itself (200, Allow: every method).
    answer = front.api(method, "/settings")
    assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"})


def test_a_value_out_of_its_form_is_named_in_words_not_as_a_pattern(front: LocalStack) -> None:
    answer = front.api(
        "POST",
        "/reconcile/repairs",
        json={
            "from": "2026-01-01T00:00:00Z",
            "to": "2026-02-01T00:00:00Z",
            "key": "../../etc",
            "action": "ignore",
        },
    )
    assert answer.status_code == 422
    (problem,) = [f for f in answer.json()["fields"] if f["field"] == "key"]
    assert problem["problem"] == "not in the form this field takes (see the API document)"
    assert "^" not in answer.text  # no regular expression handed to a person
