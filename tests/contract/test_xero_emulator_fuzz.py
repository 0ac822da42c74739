"""The Xero emulator holds to Xero's Accounting API spec under generated input.

Schemathesis draws requests from the official `xero_accounting.yaml`, restricted to the
operations the emulator serves, and sends them through the emulator's real HTTP server with a
valid token and tenant header. Whatever comes, no 5xx; each answer's status is one the spec
declares or one Xero is known to give (404 for an unknown id); a 2xx body conforms to the spec;
a 4xx is Xero's JSON error. Fixed seed, bounded examples; explore with other seeds outside the
suite (`CBXERO_FUZZ_SEED=random`) and turn what they find into fixed cases below.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Err

from local.stack import LoopbackServer
from local.xero_emulator import Grant, Limits, XeroEmulator
from local.xero_emulator.fields import FIELDS, MODELS

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SERVED = [
    "getOrganisations",
    "getContacts",
    "createContacts",
    "updateOrCreateContacts",
    "getContact",
    "getItems",
    "createItems",
    "updateOrCreateItems",
    "getItem",
    "getInvoices",
    "createInvoices",
    "updateOrCreateInvoices",
    "getInvoice",
    "updateInvoice",
    "getCreditNotes",
    "createCreditNotes",
    "updateOrCreateCreditNotes",
    "getCreditNote",
    "createCreditNoteAllocation",
    "getAccounts",
    "getTaxRates",
    "getPayments",
    "createPayments",
    "createPayment",
    "getPayment",
    "getTrackingCategories",
    "getCurrencies",
]
EXAMPLES = int(os.environ.get("CBXERO_FUZZ_EXAMPLES", "10"))  # per operation and mode
BODY_EXAMPLES = int(os.environ.get("CBXERO_FUZZ_EXAMPLES", "2"))  # operations with a body
SEED = os.environ.get("CBXERO_FUZZ_SEED", "fixed")


@pytest.fixture(scope="module")
def xero() -> Iterator[tuple[XeroEmulator, str, dict[str, str]]]:
    emulator = XeroEmulator()
    # Fuzzing is not a load test: Xero's limits would turn most answers into 429s.
    emulator.limits = Limits(per_minute=10**9, per_day=10**9, in_flight=10**6, app_per_minute=10**9)
    org = emulator.organisation()
    token = uuid.uuid4().hex
    emulator.access_tokens[token] = Grant(
        client_id="local-client",
        tenant_ids=[org.tenant_id],
        scopes="accounting.transactions accounting.contacts accounting.settings",
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
    )
    server = LoopbackServer(emulator.app).start()
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": org.tenant_id}
    try:
        yield emulator, server.url, headers
    finally:
        server.stop()


def _call(
    xero: tuple[XeroEmulator, str, dict[str, str]], method: str, path: str, **kwargs: Any
) -> requests.Response:
    _emulator, url, headers = xero
    headers = {**headers, **kwargs.pop("headers", {})}
    return requests.request(
        method, f"{url}/api.xro/2.0{path}", headers=headers, timeout=10, **kwargs
    )


def _contact(xero: Any, name: str, number: str) -> dict[str, Any]:
    body = {"Contacts": [{"Name": name, "ContactNumber": number}]}
    made: dict[str, Any] = _call(xero, "PUT", "/Contacts", json=body).json()["Contacts"][0]
    return made


# ---------------------------------------------------------------- fixed cases (findings)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/Contacts", {}),  # no Contacts in the body: was a 500 (KeyError)
        ("POST", "/Invoices", {"Warnings": []}),
        ("PUT", "/CreditNotes", {"CreditNotes": "none"}),
        ("PUT", "/Items", {"Items": [1, 2]}),
        ("PUT", "/Contacts", b"\x00 not json"),  # was Flask's HTML 400
        ("PUT", "/Invoices", {"Invoices": [{"LineItems": [{"Quantity": "many"}]}]}),
        ("PUT", "/Invoices", {"Invoices": [{"LineItems": "one", "Date": "soon"}]}),
        ("PUT", "/Invoices", {"Invoices": [{"LineItems": [{"UnitAmount": 1e308}]}]}),
        ("POST", "/Invoices/nope", {"Invoices": [{"LineItems": [{"TaxType": []}]}]}),
        ("PUT", "/CreditNotes/nope/Allocations", {"Allocations": [{"Amount": "x"}]}),
        ("PUT", "/Payments", {"Payments": [{"Invoice": "x", "Account": [], "Amount": "x"}]}),
        ("PUT", "/Payments", {"Payments": [{"Account": {"Code": 7}, "Date": "soon"}]}),
        ("POST", "/Payments", {"Payments": {}}),
    ],
)
def test_malformed_bodies_get_xeros_400_not_a_5xx(
    xero: Any, method: str, path: str, body: Any
) -> None:
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    answer = _call(xero, method, path, **kwargs)
    assert answer.status_code in (400, 404), (answer.status_code, answer.text[:200])
    assert answer.json()["Type"] in ("ValidationException", "NotFound")


def test_if_modified_since_honours_its_offset_and_ignores_garbage(xero: Any) -> None:
    emulator, _url, _headers = xero
    made = _contact(xero, "Modified Ltd", "MOD-1")
    made_at = datetime.now(UTC)
    in_five_hours = (made_at + timedelta(hours=5)).astimezone(timezone(timedelta(hours=5)))
    an_hour_ago_in_new_york = (made_at - timedelta(hours=1)).astimezone(
        timezone(timedelta(hours=-5))
    )
    del emulator
    for since, expected in [
        (an_hour_ago_in_new_york.replace(tzinfo=None).isoformat() + "-05:00", True),
        ((made_at + timedelta(hours=1)).isoformat(), False),
        # Five hours ahead in UTC+5 is the same wall clock as now +5 h: not before the contact.
        (in_five_hours.isoformat(), False),
        ("not a date", True),  # ignored, as HTTP says
    ]:
        answer = _call(xero, "GET", "/Contacts", headers={"If-Modified-Since": since})
        assert answer.status_code == 200, (since, answer.text[:200])
        ids = [c["ContactID"] for c in answer.json()["Contacts"]]
        assert (made["ContactID"] in ids) is expected, since


def test_documents_are_found_by_every_documented_key(xero: Any) -> None:
    contact = _contact(xero, "Keys Ltd", "KEYS-1")
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact["ContactID"]},
        "InvoiceNumber": "INV-KEYS-1",
        "LineItems": [{"Description": "Seat", "Quantity": 1, "UnitAmount": 5}],
    }
    made = _call(xero, "PUT", "/Invoices", json={"Invoices": [invoice]}).json()["Invoices"][0]
    note = dict(invoice, Type="ACCRECCREDIT", CreditNoteNumber="CN-KEYS-1")
    del note["InvoiceNumber"]
    _call(xero, "PUT", "/CreditNotes", json={"CreditNotes": [note]})
    for path, key, value in [
        ("/Invoices/INV-KEYS-1", "InvoiceID", made["InvoiceID"]),
        ("/Contacts/KEYS-1", "ContactID", contact["ContactID"]),
        ("/CreditNotes/CN-KEYS-1", "CreditNoteNumber", "CN-KEYS-1"),
    ]:
        answer = _call(xero, "GET", path)
        assert answer.status_code == 200, path
        (found,) = answer.json()[path.split("/")[1]]
        assert found[key] == value


def test_list_parameters_are_honoured(xero: Any) -> None:
    first, second = _contact(xero, "Search Alpha", "SA-1"), _contact(xero, "Search Beta", "SB-1")
    by_ids = _call(xero, "GET", "/Contacts", params={"IDs": first["ContactID"]}).json()
    assert [c["ContactID"] for c in by_ids["Contacts"]] == [first["ContactID"]]
    searched = _call(xero, "GET", "/Contacts", params={"searchTerm": "search b"}).json()
    assert [c["ContactID"] for c in searched["Contacts"]] == [second["ContactID"]]
    paged = _call(xero, "GET", "/Contacts", params={"page": "2", "pageSize": "1"}).json()
    assert len(paged["Contacts"]) == 1


# ---------------------------------------------------------------- generated requests


def test_generated_requests_get_answers_xero_would_give(
    specs_dir: Path, xero: tuple[XeroEmulator, str, dict[str, str]]
) -> None:
    _emulator, url, headers = xero
    text = (specs_dir / "xero" / "xero_accounting.yaml").read_text()
    document = yaml.load(text, Loader=Loader)  # noqa: S506 - a safe loader
    # YAML reads unquoted timestamps in examples as datetimes; JSON Schema wants strings.
    document = json.loads(json.dumps(document, default=str))
    document["servers"] = [{"url": f"{url}/api.xro/2.0"}]
    schema = schemathesis.openapi.from_dict(document).include(operation_id=SERVED)
    run = FuzzRun(f"{url}/api.xro/2.0", headers)
    for result in schema.get_all_operations():
        assert not isinstance(result, Err), result
        operation = result.ok()
        # Drawing from Xero's large body schemas is slow: fewer of those in the suite (the fixed
        # cases above hold the body shapes that were found; CBXERO_FUZZ_EXAMPLES explores more).
        examples = BODY_EXAMPLES if "requestBody" in operation.definition.raw else EXAMPLES
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run.probe(operation, mode, examples)
    print(
        f"\nXero emulator fuzz: {run.cases} requests, statuses {dict(sorted(run.statuses.items()))}"
    )
    assert run.operations == set(SERVED)
    assert run.problems == [], run.problems[:10]


class FuzzRun:
    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.base_url, self.headers = base_url, headers
        self.cases = 0
        self.statuses: Counter[int] = Counter()
        self.problems: list[str] = []
        self.operations: set[str] = set()

    def probe(self, operation: Any, mode: GenerationMode, examples: int) -> None:
        self.operations.add(operation.definition.raw["operationId"])

        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            derandomize=SEED == "fixed",
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def one(case: Any) -> None:
            self.check(operation, case, mode)

        with contextlib.suppress(Unsatisfiable):
            one()

    def check(self, operation: Any, case: Any, mode: GenerationMode) -> None:
        self.cases += 1
        case.headers = {**(case.headers or {}), **self.headers}
        response = case.call(base_url=self.base_url, allow_redirects=False)
        status = response.status_code
        self.statuses[status] += 1
        where = f"{case.method} {case.formatted_path} {str(case.query)[:80]} {str(case.body)[:120]}"
        if status >= 500:
            self.problems.append(f"{where}: {status} {response.text[:200]}")
        elif status >= 400:
            try:
                body = response.json()
            except ValueError:
                self.problems.append(f"{where}: {status} not JSON {response.text[:100]}")
                return
            if not isinstance(body, dict):
                self.problems.append(f"{where}: {status} {response.text[:100]}")
        elif mode is GenerationMode.POSITIVE:
            try:
                operation.validate_response(response)
            except Exception as error:
                self.problems.append(f"{where}: {status} does not conform: {str(error)[:300]}")


def test_a_where_clause_may_name_exactly_the_fields_of_the_spec_models(specs_dir: Path) -> None:
    text = (specs_dir / "xero" / "xero_accounting.yaml").read_text()
    schemas = yaml.load(text, Loader=Loader)["components"]["schemas"]  # noqa: S506 - safe loader
    for collection, model in MODELS.items():
        assert FIELDS[collection] == set(schemas[model]["properties"]), collection
