"""Writes the API's whole OpenAPI document (the one the Settings function serves at
/openapi.json) to a file, without a stack: the web app's build generates its typed client
from it, so that an API change that breaks the screens fails `make web`.

The Settings function is imported as the local invoker would (its environment from
template.yaml, placeholder names for the resources): nothing is called, only its routes read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from local import template as cfn
from local.invoke import Invoker, _environment

# Resources whose reference a function's configuration checks as a URL.
URL_REFS = ("SyncQueue", "XeroEventsQueue")
TARGET = cfn.ROOT / "web" / "generated" / "openapi.json"


def whole_document() -> dict[str, Any]:
    template = cfn.load()
    refs: dict[str, Any] = {name: f"local-{name}" for name in template.resources}
    refs["AllowedReturnHosts"] = ["localhost"]
    refs.update({name: "https://placeholder.invalid/" + name for name in URL_REFS})
    invoker = Invoker(refs, template)
    environment = {**invoker.environment("SettingsFunction"), "AWS_DEFAULT_REGION": "us-east-1"}
    with _environment(environment):
        invoker._load(template.function("SettingsFunction"))  # the import a cold start makes
        document: dict[str, Any] = sys.modules["lambda_SettingsFunction"].openapi()
    return document


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else TARGET
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(whole_document(), indent=1, sort_keys=True) + "\n"
    if not target.is_file() or target.read_text() != text:  # unchanged: the build stays cached
        target.write_text(text)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
