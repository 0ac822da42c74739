"""The one OpenAPI document merges two functions' schemas: a name both use must mean one shape,
or the typed client the web app generates from the document reads one route with another's
model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cbxero.api_docs import whole_document

OAUTH_PART = Path(__file__).parents[2] / "functions" / "settings" / "oauth_openapi.json"


def test_a_schema_name_shared_by_both_functions_has_one_shape() -> None:
    from local.openapi_document import whole_document as served

    oauth = json.loads(OAUTH_PART.read_text())["components"]["schemas"]
    merged = served()["components"]["schemas"]
    differing = sorted(name for name, schema in oauth.items() if merged[name] != schema)
    assert not differing, f"OAuth schemas shadowed by the Settings function's: {differing}"


def test_merging_refuses_two_shapes_under_one_name() -> None:
    settings = {"components": {"schemas": {"View": {"type": "object", "title": "A"}}}}
    oauth = {"components": {"schemas": {"View": {"type": "object", "title": "B"}}}}
    with pytest.raises(ValueError, match="View"):
        whole_document(settings, oauth)
