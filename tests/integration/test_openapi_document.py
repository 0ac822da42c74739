"""One OpenAPI document for the whole API: every route of template.yaml (the OAuth function's
too) is in /openapi.json, each operation with a description."""

from __future__ import annotations

import requests

from cbxero.api_docs import operations
from local.stack import LocalStack

XERO_CALLS = {"XeroWebhookFunction"}


def test_every_route_is_in_the_one_document_and_described(stack: LocalStack) -> None:
    document = requests.get(f"{stack.front_url}/openapi.json", timeout=30).json()
    documented = operations(document)
    routes = {
        f"{route.method} {route.path}"
        for route in stack.template.routes()
        if route.function not in XERO_CALLS  # Xero's, in its own spec (xero-webhooks.yaml)
    }
    assert sorted(routes - set(documented)) == []
    assert sorted(set(documented) - routes) == []
    undescribed = sorted(key for key, op in documented.items() if not op.get("description"))
    assert undescribed == [], f"describe them in cbxero/api_docs.py: {undescribed}"
    connect = documented["GET /xero/connect"]
    assert connect["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AuthorizationLink"
    } or "AuthorizationLink" in str(connect["responses"]["200"])
    assert "ConnectionView" in document["components"]["schemas"]


def test_operations_are_grouped_by_screen_in_the_store_uis_order(stack: LocalStack) -> None:
    """Swagger UI once showed all 41 operations under "default", path parameters first: a person
    could not find the settings screen's three routes among them."""
    document = requests.get(f"{stack.front_url}/openapi.json", timeout=30).json()
    screens = [tag["name"] for tag in document.get("tags", [])]
    assert screens[:2] == ["Xero connection", "Settings"]
    assert all(tag.get("description") for tag in document["tags"])
    tagged = {key: op.get("tags", []) for key, op in operations(document).items()}
    assert sorted(key for key, tags in tagged.items() if len(tags) != 1) == []
    assert {tags[0] for tags in tagged.values()} == set(screens)
    assert tagged["PATCH /settings"] == ["Settings"]
    assert tagged["GET /xero/accounts"] == ["Xero look-ups"]
    assert tagged["POST /tasks/{taskId}/retry"] == ["Tasks"]
    # Paths come screen by screen, so that the document reads in the same order.
    order = [screens.index(tagged[key][0]) for key in operations(document)]
    assert order == sorted(order)


def test_the_callback_is_documented_as_the_browser_page_it_is(stack: LocalStack) -> None:
    """The document once declared the callback's 400 as the JSON error shape (and a bearer
    token), while it answers a plain HTML page with no token: the fuzz suite from the document
    failed on every forged state, and `make test` with it."""
    document = requests.get(f"{stack.front_url}/openapi.json", timeout=30).json()
    callback = operations(document)["GET /xero/callback"]
    assert callback["security"] == []
    assert sorted(callback["responses"]) == ["302", "400", "415", "422"]  # 415/422: a body
    assert list(callback["responses"]["400"]["content"]) == ["text/html"]
    assert operations(document)["GET /openapi.json"]["security"] == []
    assert operations(document)["GET /settings"].get("security") is None  # the document's own
    assert document["security"] == [{"storeJwt": []}]


def test_the_document_says_what_each_route_answers_and_who_may_call_it(stack: LocalStack) -> None:
    """Found by schemathesis (random seed): the public callback was documented as needing the
    JWT (401) and answering 400 in JSON, though it answers a plain HTML page; 204 and 302 were
    documented with a JSON body."""
    document = requests.get(f"{stack.front_url}/openapi.json", timeout=30).json()
    documented = operations(document)
    public = {f"{r.method} {r.path}" for r in stack.template.routes() if not r.authorized}
    assert public  # the callback, the document itself
    for key, operation in documented.items():
        if key in public:
            assert operation.get("security") == [], key
            assert "401" not in operation["responses"], key
        else:
            assert operation.get("security") is None and "401" in operation["responses"], key
        for status in ("204", "301", "302", "303", "307"):
            assert "content" not in operation["responses"].get(status, {}), f"{key} {status}"
    callback = documented["GET /xero/callback"]["responses"]
    assert list(callback["400"]["content"]) == ["text/html"]
