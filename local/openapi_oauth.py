"""Writes the OAuth function's part of the API's OpenAPI document, generated from its own
resolver, where the Settings function (which serves the one document) finds it:
functions/settings/oauth_openapi.json. `make openapi` runs it; a test keeps it in step.

The OAuth function is imported as the local invoker would (its environment from template.yaml,
placeholder names for the resources): nothing is called, only its routes are read.
"""

from __future__ import annotations

import json
import sys
from types import ModuleType
from typing import Any

from local import template as cfn
from local.invoke import Invoker, _environment

TARGET = cfn.ROOT / "functions" / "settings" / "oauth_openapi.json"


# Resources whose reference a function's configuration checks as a URL.
URL_REFS = ("SyncQueue", "XeroEventsQueue")


def imported(logical_id: str) -> ModuleType:
    """The function's module, imported as a cold start would (its environment from
    template.yaml, placeholder names and URLs for the resources): nothing is called."""
    template = cfn.load()
    refs: dict[str, Any] = {name: f"local-{name}" for name in template.resources}
    refs["AllowedReturnHosts"] = ["localhost"]
    refs.update({name: f"https://placeholder.invalid/{name}" for name in URL_REFS})
    invoker = Invoker(refs, template)
    environment = {**invoker.environment(logical_id), "AWS_DEFAULT_REGION": "us-east-1"}
    with _environment(environment):
        invoker._load(template.function(logical_id))
    return sys.modules[f"lambda_{logical_id}"]


def oauth_part() -> dict[str, Any]:
    app = imported("OAuthFunction").app
    document: dict[str, Any] = app.get_openapi_schema(title="cbxero OAuth", version="1").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return {"paths": document["paths"], "components": document.get("components", {})}


def rendered(part: dict[str, Any]) -> str:
    return json.dumps(part, indent=1, sort_keys=True) + "\n"


def main() -> int:
    TARGET.write_text(rendered(oauth_part()))
    print(f"wrote {TARGET.relative_to(cfn.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
