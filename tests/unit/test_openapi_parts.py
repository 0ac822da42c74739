"""The OAuth function's part of the one OpenAPI document is generated from its resolver and kept
in step: a route added to the OAuth function shows in the document, or this fails."""

from __future__ import annotations

from local.openapi_oauth import TARGET, oauth_part, rendered


def test_the_oauth_part_is_generated_from_the_oauth_function() -> None:
    assert TARGET.is_file(), f"{TARGET.name} is missing: run `make openapi`"
    fresh = rendered(oauth_part())
    assert TARGET.read_text() == fresh, (
        f"{TARGET.name} is out of step with functions/oauth/app.py: run `make openapi`"
    )
