"""One OpenAPI document for the whole API: every route of template.yaml (the OAuth function's
too) is in /openapi.json, each operation with a description."""

from __future__ import annotations

import requests

from cbxero.api_docs import operations
from local.stack import LocalStack


def test_every_route_is_in_the_one_document_and_described(stack: LocalStack) -> None:
    document = requests.get(f"{stack.front_url}/openapi.json", timeout=30).json()
    documented = operations(document)
    routes = {f"{route.method} {route.path}" for route in stack.template.routes()}
    assert sorted(routes - set(documented)) == []
    assert sorted(set(documented) - routes) == []
    undescribed = sorted(key for key, op in documented.items() if not op.get("description"))
    assert undescribed == [], f"describe them in cbxero/api_docs.py: {undescribed}"
    connect = documented["GET /xero/connect"]
    assert connect["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AuthorizationLink"
    } or "AuthorizationLink" in str(connect["responses"]["200"])
    assert "ConnectionView" in document["components"]["schemas"]
