"""Generated input against every route of the OpenAPI document, through the local HTTP front.

Schemathesis draws requests from the document itself: valid ones and ones that break it (wrong
types, missing fields, strings out of bounds). Whatever comes, the API must answer without a
5xx, with a status the document declares, and with every error in the one shape.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Err

from local.stack import LocalStack

# Per operation, valid and invalid: enough for `make test` (a fixed seed); explore more with
# CBXERO_API_FUZZ_EXAMPLES=200 (say), and turn what breaks into a fixed case.
EXAMPLES_PER_MODE = int(os.environ.get("CBXERO_API_FUZZ_EXAMPLES", "12"))
MINIMUM_CASES = 1000


def test_no_input_makes_a_5xx_and_every_error_has_the_shape(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 2, "4.00")])
    stack.api("POST", f"/customers/{customer['id']}/sync")
    stack.drain_queue()
    document = requests.get(f"{stack.front_url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    run = FuzzRun(stack.front_url, {"Authorization": f"Bearer {stack.token()}"})
    for result in schema.get_all_operations():
        assert not isinstance(result, Err), result  # every operation of the document loads
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run.probe(operation, mode)
        stack.drain_queue()  # jobs queued by generated calls run, as the worker would
    cases, statuses, problems = run.cases, run.statuses, run.problems
    print(f"\nfuzzing: {cases} requests, statuses {dict(sorted(statuses.items()))}")
    assert problems == [], problems[:10]
    assert cases >= MINIMUM_CASES
    assert statuses[200] > 0 and statuses[422] > 0  # both kinds of input were made


class FuzzRun:
    """Requests drawn for each operation, their statuses, and what was wrong with them."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.base_url, self.headers = base_url, headers
        self.cases = 0
        self.statuses: Counter[int] = Counter()
        self.problems: list[str] = []

    def probe(self, operation: Any, mode: GenerationMode) -> None:
        answers = operation.definition.raw["responses"]
        declared = {int(code) for code in answers}
        declared.add(401)  # the authorizer's, before the function
        # Statuses the operation answers with a page of its own (the callback's HTML), not JSON.
        pages = {int(c) for c, a in answers.items() if "text/html" in a.get("content", {})}

        @settings(
            max_examples=EXAMPLES_PER_MODE,
            derandomize=True,  # a fixed seed: the same requests every run
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def one(case: Any) -> None:
            self.check(case, declared, pages)

        # Unsatisfiable: nothing of this kind can be made for it (no input to break).
        with contextlib.suppress(Unsatisfiable):
            one()

    def check(
        self, case: Any, declared: set[int], pages: frozenset[int] | set[int] = frozenset()
    ) -> None:
        self.cases += 1
        # The store's token always goes with it: the document declares the bearer scheme, but
        # tokens are the authorizer's to refuse, before any function (tests/integration).
        case.headers = {**(case.headers or {}), **self.headers}
        response = case.call(base_url=self.base_url)
        status = response.status_code
        self.statuses[status] += 1
        where = f"{case.method} {case.formatted_path}"
        if status >= 500:
            self.problems.append(f"{where}: {status} {response.text[:200]}")
        elif status not in declared:
            self.problems.append(f"{where}: undeclared {status} {response.text[:200]}")
        elif status in pages:
            kinds = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [])
            if not any(kind.startswith("text/html") for kind in kinds):
                self.problems.append(f"{where}: {status} not the declared page")
        elif status >= 400 and not _has_the_error_shape(response):
            self.problems.append(f"{where}: {status} {response.text[:200]}")


def _content_type(response: Any) -> str:
    """The response's content type (schemathesis keeps each header as a list of values)."""
    headers = {name.lower(): value for name, value in response.headers.items()}
    value = headers.get("content-type", "")
    return str(value[0] if isinstance(value, list) and value else value)


def _has_the_error_shape(response: Any) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("code"), str)
        and isinstance(body.get("message"), str)
        and isinstance(body.get("fields", []), list)
    )
