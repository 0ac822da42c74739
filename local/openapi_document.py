"""Writes the API's whole OpenAPI document (the one the Settings function serves at
/openapi.json) to a file, without a stack: the web app's build generates its typed client
from it, so that an API change that breaks the screens fails `make web`.

The Settings function is imported as the local invoker would (its environment from
template.yaml, placeholder names for the resources): nothing is called, only its routes read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from local import template as cfn
from local.openapi_oauth import imported, rendered

TARGET = cfn.ROOT / "web" / "generated" / "openapi.json"


def whole_document() -> dict[str, Any]:
    document: dict[str, Any] = imported("SettingsFunction").openapi()
    return document


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else TARGET
    target.parent.mkdir(parents=True, exist_ok=True)
    text = rendered(whole_document())
    if not target.is_file() or target.read_text() != text:  # unchanged: the build stays cached
        target.write_text(text)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
