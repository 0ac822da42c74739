"""The Xero emulator's webhook deliveries against the official xero-webhooks.yaml, and the
receiver's answers against the statuses that spec gives it (200, 401).

eventDateUtc: the spec says `format: date-time`, and its own examples write Xero's form, UTC
with no offset ("2025-12-02T00:44:09.923"). The checker here takes RFC 3339 with the offset
optional, and the spec's examples pass it (a test below), so it is no looser than the spec.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import FormatChecker  # type: ignore[import-untyped]
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from local.stack import LocalStack

SPEC_URI = "urn:xero-webhooks"
XERO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


class _TextTimes(yaml.SafeLoader):
    """YAML's loader, leaving times as the text the spec wrote (JSON has no time type)."""


_TextTimes.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _checker() -> FormatChecker:
    """OAS 3.1's format checks, date-time in Xero's form (the offset optional)."""
    checker = FormatChecker(())
    checker.checkers = dict(oas31_format_checker.checkers)
    checker.checks("date-time")(
        lambda value: not isinstance(value, str) or bool(XERO_TIME.match(value))
    )
    return checker


@pytest.fixture(scope="module")
def spec(specs_dir: Path) -> dict[str, Any]:
    text = (specs_dir / "xero" / "xero-webhooks.yaml").read_text()
    loaded: dict[str, Any] = yaml.load(text, Loader=_TextTimes)  # noqa: S506 - a SafeLoader
    return loaded


def validator(spec: dict[str, Any], schema: str) -> OAS31Validator:
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return OAS31Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{schema}"},
        registry=registry,
        format_checker=_checker(),
    )


def problems(spec: dict[str, Any], schema: str, payload: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(spec, schema).iter_errors(payload)
    ]


def test_the_specs_own_examples_pass_the_checker(spec: dict[str, Any]) -> None:
    credit = spec["webhooks"]["creditNotes"]["post"]["requestBody"]["content"]["application/json"]
    example = credit["examples"]["creditNoteCreate"]["value"]
    assert problems(spec, "CreditNoteWebhookEvent", example) == []
    ok = spec["components"]["responses"]["200WebhookDataReceivedOk"]["content"]
    assert problems(spec, "WebhookEvent", ok["application/json"]["schema"]["example"]) == []
    # ...and it is not a checker that passes anything.
    broken = {**example, "events": [{**example["events"][0], "eventDateUtc": "yesterday"}]}
    assert problems(spec, "WebhookEvent", broken)
    assert problems(spec, "WebhookEvent", {**example, "firstEventSequence": "1"})


def test_the_emulators_deliveries_match_the_spec_and_the_receiver_answers_its_statuses(
    spec: dict[str, Any], stack: LocalStack
) -> None:
    org = stack.xero.organisation()
    hooks = stack.xero.webhooks
    org.contacts["00000000-0000-4000-8000-0000000000c1"] = {
        "ContactID": "00000000-0000-4000-8000-0000000000c1",
        "Name": "Spec Co",
        "ContactStatus": "ACTIVE",
    }
    contact_id = "00000000-0000-4000-8000-0000000000c1"
    stack.xero.by_hand.archive_contact(contact_id, org)
    for n, status in enumerate(["DRAFT", "AUTHORISED"]):
        for rows, key, kind in (
            (org.invoices, "InvoiceID", "ACCREC"),
            (org.credit_notes, "CreditNoteID", "ACCRECCREDIT"),
        ):
            document_id = f"00000000-0000-4000-8000-00000000{n:02d}{len(rows):02d}"
            rows[document_id] = {key: document_id, "Type": kind, "Status": status}
            stack.xero.webhooks.changed(
                org,
                "Invoices" if kind == "ACCREC" else "CreditNotes",
                rows[document_id],
                created=True,
            )
    first_note = next(iter(org.credit_notes))
    stack.xero.by_hand.delete(first_note, org)
    hooks.batch_size = 3
    hooks.faults.extend(["reorder", "bad_signature"])
    report = stack.deliver_webhooks()
    assert (report.batches, report.delivered, report.given_up) == (2, 1, 1)
    check = hooks.intent_to_receive()
    assert check.passed
    deliveries = [json.loads(post.body) for post in hooks.posts]
    events = [event for body in deliveries for event in body["events"]]
    assert {e["eventCategory"] for e in events} == {"CONTACT", "INVOICE", "CREDITNOTE"}
    for body in deliveries:
        if body["events"]:  # an intent-to-receive check is Xero's documented 0/0 body
            assert problems(spec, "WebhookEvent", body) == [], body
        for event in body["events"]:
            if event["eventCategory"] == "CREDITNOTE":
                single = {**body, "events": [event]}
                assert problems(spec, "CreditNoteWebhookEvent", single) == [], event
    answers = {
        status
        for operation in spec["webhooks"].values()
        for status in operation["post"]["responses"]
    }
    assert answers == {"200", "401"}
    assert {str(post.status) for post in hooks.posts} == answers
    print(f"\nwebhook contract: {len(deliveries)} bodies, {len(events)} events checked")
