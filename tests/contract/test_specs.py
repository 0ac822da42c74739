"""Our clients' requests and the emulators' responses, validated against the official specs.

Reads ../shared/specs (never copied here); skips with the reason when that folder is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from cbxero.adapters.marketplace import SimpleApiClient
from cbxero.adapters.xero import XeroIdentity
from cbxero.domain.xero import (
    AccountRef,
    Allocation,
    Contact,
    ContactRef,
    CreditNote,
    Invoice,
    InvoiceRef,
    LineItem,
    LineItemTracking,
    Payment,
)
from cbxero.ports import Clock
from cbxero.services.connection import pkce_challenge
from local.records import XeroRecords
from local.simpleapi_emulator import SimpleApiEmulator, fee
from local.stack import LoopbackServer
from local.xero_emulator import XeroEmulator

PKCE_VERIFIER = "pkce-verifier-of-this-test-flow-at-least-43-characters"

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RecordingSession(requests.Session):
    """A requests session that keeps every exchange for validation."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[requests.PreparedRequest, requests.Response]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        self.exchanges.append((request, response))
        return response


def _spec(path: Path, server: str, *, strict: bool) -> OpenAPI:
    document = yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 - safe loader
    document["servers"] = [{"url": server}]
    config = Config() if strict else Config(spec_validator_cls=None)
    return OpenAPI.from_dict(document, config=config)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[XeroEmulator, SimpleApiEmulator, str, str]]:
    xero, market = XeroEmulator(), SimpleApiEmulator()
    market.seed()
    xero_server, market_server = (
        LoopbackServer(xero.app).start(),
        LoopbackServer(market.app).start(),
    )
    try:
        yield xero, market, xero_server.url, market_server.url
    finally:
        xero_server.stop()
        market_server.stop()


@pytest.fixture(scope="module")
def xero_session(servers: Any) -> Iterator[tuple[RecordingSession, XeroIdentity, Any]]:
    _, _, url, _ = servers
    patch = pytest.MonkeyPatch()
    patch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator speaks http on loopback
    session = RecordingSession()
    identity = XeroIdentity(
        client_id="local-client",
        client_secret="local-secret",
        redirect_uri="http://localhost/callback",
        scopes=["accounting.invoices", "offline_access"],
        login_url=url,
        identity_url=url,
        api_url=url,
        http=session,
        clock=Clock(),
    )
    consent = requests.get(
        identity.authorization_url("s", pkce_challenge(PKCE_VERIFIER)),
        allow_redirects=False,
        timeout=10,
    )
    code = consent.headers["Location"].split("code=")[1].split("&")[0]
    try:
        yield session, identity, identity.exchange_code(code, PKCE_VERIFIER)
    finally:
        patch.undo()


def accounting(url: str, session: RecordingSession, tenant: Any, tokens: Any) -> XeroRecords:
    """Our accounting client for the emulator's organisation, recording its traffic."""
    return XeroRecords(
        api_url=url,
        tenant_id=tenant.tenant_id,
        access_token=tokens.access_token.get_secret_value(),
        http=session,
    )


def simpleapi(url: str, session: RecordingSession) -> SimpleApiClient:
    """Our SimpleAPI client for the emulator, recording its traffic; retries without waiting."""
    return SimpleApiClient(
        base_url=url,
        username="local-reseller",
        password="local-password",
        subscription_key="local-subscription",
        http=session,
        clock=Clock(),
        sleep=lambda _seconds: None,
    )


def _check(
    spec: OpenAPI, exchanges: list[tuple[requests.PreparedRequest, requests.Response]]
) -> int:
    checked = 0
    for request, response in exchanges:
        openapi_request = RequestsOpenAPIRequest(request)
        spec.validate_request(openapi_request)
        spec.validate_response(openapi_request, RequestsOpenAPIResponse(response))
        checked += 1
    return checked


def test_xero_accounting_calls_match_the_spec(
    specs_dir: Path, servers: Any, xero_session: Any
) -> None:
    _, _, url, _ = servers
    session, identity, tokens = xero_session
    (tenant,) = identity.tenants(tokens)
    session.exchanges.clear()
    client = accounting(url, session, tenant, tokens)
    contact = client.create_contact(Contact(name="Contract Co", contact_number="C-1"), "k-contact")
    assert client.find_contact_by_number("C-1") == contact
    client.items(["ANY"])
    invoice = Invoice(
        contact=ContactRef(contact_id=contact.contact_id or ""),
        line_items=(
            LineItem(description="Seat", quantity=2, unit_amount="12.3456", account_code="200"),
        ),
        date=datetime.now(UTC).date(),
        due_date=(datetime.now(UTC) + timedelta(days=14)).date(),
        reference="SO-CONTRACT",
        currency_code="USD",
    )
    created = client.create_invoice(invoice, "k-invoice")
    assert client.find_invoice_by_reference("SO-CONTRACT") == created
    spec = _spec(specs_dir / "xero" / "xero_accounting.yaml", f"{url}/api.xro/2.0", strict=False)
    assert _check(spec, session.exchanges) == 5


def test_xero_connections_match_the_identity_spec(
    specs_dir: Path, servers: Any, xero_session: Any
) -> None:
    _, _, url, _ = servers
    session, identity, tokens = xero_session
    session.exchanges.clear()
    identity.tenants(tokens)
    spec = _spec(specs_dir / "xero" / "xero-identity.yaml", url, strict=True)
    assert _check(spec, session.exchanges) == 1


def test_simpleapi_calls_match_the_spec(specs_dir: Path, servers: Any) -> None:
    _, market, _, url = servers
    customer = next(iter(market.customers.values()))
    for n in range(120):  # enough for a second page
        market.add_order(customer["id"], [("MS-TEAMS-ESS", n + 1, "4.00")])
    session = RecordingSession()
    client = simpleapi(url, session)
    orders = client.orders(customer["id"], datetime.now(UTC) - timedelta(days=1))
    assert len(orders) == 120
    assert client.customer(customer["resellerId"], customer["id"]).name == customer["name"]
    assert len(client.customers(customer["resellerId"])) == 2
    assert len(client.products()) == 3
    spec = _spec(specs_dir / "cloudblue-simpleapi" / "simpleapi-1.15.yaml", url, strict=True)
    assert _check(spec, session.exchanges) == len(session.exchanges) >= 6


def test_open_billing_calls_match_the_spec(specs_dir: Path, servers: Any) -> None:
    """History's reads: a customer's active subscriptions, then each one's orders."""
    _, market, _, url = servers
    customer = market.add_customer("Subscribed Co")
    for n in range(3):
        subscription = market.add_subscription(customer["id"], "MS-TEAMS-ESS")
        for months in (3, 2, 1):
            market.add_order(
                customer["id"],
                [("MS-TEAMS-ESS", n + 1, "4.00")],
                order_type="renewal",
                created=datetime.now(UTC) - timedelta(days=30 * months),
                subscription_id=subscription["id"],
            )
    market.add_subscription(customer["id"], "MS-TEAMS-ESS", status="terminated")
    session = RecordingSession()
    found = simpleapi(url, session).open_billing(customer["id"])
    assert len(found) == 3
    spec = _spec(specs_dir / "cloudblue-simpleapi" / "simpleapi-1.15.yaml", url, strict=True)
    assert _check(spec, session.exchanges) == len(session.exchanges) == 5  # token, 1 + 3 lists


def test_batches_credit_notes_allocations_and_reference_data_match_the_spec(
    specs_dir: Path, servers: Any, xero_session: Any
) -> None:
    emulator, _, url, _ = servers
    session, identity, tokens = xero_session
    (tenant,) = identity.tenants(tokens)
    client = accounting(url, session, tenant, tokens)
    contact = client.create_contact(Contact(name="Batch Co"), "k-batch-contact")
    today = datetime.now(UTC).date()

    def invoice(n: int, contact_id: str) -> Invoice:
        return Invoice(
            contact=ContactRef(contact_id=contact_id),
            line_items=(
                LineItem(description="Seat", quantity=1, unit_amount=10, account_code="200"),
            ),
            date=today,
            reference=f"BATCH-{n}",
            status="AUTHORISED",
        )

    session.exchanges.clear()
    before = len(emulator.organisation().invoices)  # other tests of the module may have made some
    batch = [invoice(n, contact.contact_id or "") for n in range(119)] + [
        invoice(119, "00000000-0000-4000-8000-000000000000")
    ]
    results = client.create_invoices(batch, "k-batch")
    assert len(results) == 120
    assert [r.has_errors for r in results].count(True) == 1  # the error stays with its document
    assert results[-1].validation_errors[0].message == "A valid contact is required"
    assert len(session.exchanges) == 3  # 50 + 50 + 20
    assert client.create_invoices(batch, "k-batch")[0].invoice_id == results[0].invoice_id  # replay

    (note,) = client.create_credit_notes(
        [
            CreditNote(
                contact=ContactRef(contact_id=contact.contact_id or ""),
                line_items=(
                    LineItem(description="Refund", quantity=1, unit_amount=4, account_code="200"),
                ),
                date=today,
                status="AUTHORISED",
            )
        ],
        "k-note",
    )
    target = results[0]
    allocated = client.allocate(
        note.credit_note_id or "",
        Allocation(invoice=InvoiceRef(invoice_id=target.invoice_id or ""), amount=4, date=today),
        "k-alloc",
    )
    assert allocated.amount == 4
    credited = emulator.organisation().invoices[target.invoice_id]
    assert (credited["AmountCredited"], credited["AmountDue"]) == (4.0, 6.0)

    everything = list(client.invoices_modified_since(datetime(2020, 1, 1, tzinfo=UTC)))
    assert len(everything) == before + 119 > 100  # two pages at least
    # The polling fallback's reads: If-Modified-Since, every page, archived contacts too.
    changes = client.changed_since(datetime(2020, 1, 1, tzinfo=UTC))
    assert len(changes.invoices) == len(everything)
    assert changes.credit_notes and changes.contacts
    assert not client.changed_since(datetime(2100, 1, 1, tzinfo=UTC)).invoices
    assert {a.code for a in client.accounts()} >= {"200"}
    assert {t.tax_type for t in client.tax_rates()} >= {"NONE"}
    assert client.currencies()[0].code == emulator.organisation().currency  # the base, first
    assert client.organisation().name == tenant.name
    spec = _spec(specs_dir / "xero" / "xero_accounting.yaml", f"{url}/api.xro/2.0", strict=False)
    assert _check(spec, session.exchanges) == len(session.exchanges) >= 10


def test_an_invoice_with_credit_allocated_cannot_change(servers: Any, xero_session: Any) -> None:
    _, _, url, _ = servers
    session, identity, tokens = xero_session
    (tenant,) = identity.tenants(tokens)
    client = accounting(url, session, tenant, tokens)
    contact = client.create_contact(Contact(name="Locked Co"), "k-locked-contact")
    contact_ref = ContactRef(contact_id=contact.contact_id or "")
    line = LineItem(description="Seat", quantity=1, unit_amount=10, account_code="200")
    authorised, draft = client.create_invoices(
        [
            Invoice(contact=contact_ref, line_items=(line,), status="AUTHORISED"),
            Invoice(contact=contact_ref, line_items=(line,)),
        ],
        "k-locked-invoices",
    )
    (note,) = client.create_credit_notes(
        [CreditNote(contact=contact_ref, line_items=(line,), status="AUTHORISED")], "k-locked-note"
    )
    client.allocate(
        note.credit_note_id or "",
        Allocation(
            invoice=InvoiceRef(invoice_id=authorised.invoice_id or ""),
            amount=2,
            date=datetime.now(UTC).date(),
        ),
        "k-locked-allocation",
    )
    bearer = {
        "Authorization": f"Bearer {tokens.access_token.get_secret_value()}",
        "xero-tenant-id": tenant.tenant_id,
    }

    def edit(invoice: Invoice) -> dict[str, Any]:
        answer = requests.post(
            f"{url}/api.xro/2.0/Invoices/{invoice.invoice_id}",
            json={"Invoices": [{"Reference": "changed"}]},
            params={"summarizeErrors": "false"},
            headers=bearer,
            timeout=10,
        )
        document: dict[str, Any] = answer.json()["Invoices"][0]
        return document

    refused = edit(authorised)
    assert refused["HasErrors"] is True
    assert "credit note allocated" in refused["ValidationErrors"][0]["Message"]
    assert edit(draft)["Reference"] == "changed"


def test_every_order_type_and_fee_line_matches_the_simpleapi_spec(
    specs_dir: Path, servers: Any
) -> None:
    _, market, _, url = servers
    customer = market.add_customer("Every Order Ltd", tax_reg_id="DE42")
    for order_type, detail_type in [
        ("sales", "setup"),
        ("sales", "recurring"),
        ("change", "recurringRefund"),
        ("change", "downgrade"),
        ("renewal", "renew"),
        ("billing", "overuse"),
        ("cancellation", "cancellation"),
        ("cancellation", "refund"),
        ("migration", "recurring"),
    ]:
        market.add_order(
            customer["id"],
            [
                fee("MS-TEAMS-ESS", 2, "4.00", type=detail_type, tax="0.76"),
                fee("MS-O365-E3-M", 1, "-3.00", type="discount"),
                fee("MS-O365-E3-M", 3, "36.00", discount="5.00"),
            ],
            order_type=order_type,
            currency="EUR",
        )
    session = RecordingSession()
    client = simpleapi(url, session)
    market.faults.extend(["500", "expire"])  # a retried 500, a renewed token
    orders = client.orders(customer["id"], datetime.now(UTC) - timedelta(days=1))
    kinds = [o.type.value for o in orders]
    assert kinds == [
        "sales",
        "sales",
        "change",
        "change",
        "renewal",
        "billing",
        "cancellation",
        "cancellation",
        "migration",
    ]
    whole = client.order(orders[0].id)
    assert whole == orders[0]
    assert whole.total.amount == Decimal(8) - 3 + (108 - 5)  # fee, discount line, discounted
    spec = _spec(specs_dir / "cloudblue-simpleapi" / "simpleapi-1.15.yaml", url, strict=True)
    good = [(q, r) for q, r in session.exchanges if r.status_code < 400]
    assert _check(spec, good) == len(good) >= 4
    assert [r.status_code for _, r in session.exchanges].count(500) == 1


def test_the_sync_engines_xero_traffic_matches_the_spec(specs_dir: Path) -> None:
    from cbxero.domain.model import TaskStatus
    from local.world import Repositories, SyncWorld
    from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks

    xero, market = XeroEmulator(), SimpleApiEmulator()
    servers = [LoopbackServer(xero.app).start(), LoopbackServer(market.app).start()]
    session = RecordingSession()
    try:
        world = SyncWorld(
            Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog()),
            xero=xero,
            market=market,
            http=session,
            xero_url=servers[0].url,
            market_url=servers[1].url,
        )
        world.configure(invoice_target="existing", new_invoice_status="AUTHORISED")
        world.product("E3", "Microsoft 365 E3", "36.00")
        customer = world.customer("Spec Traffic GmbH", tax_reg_id="DE7")
        world.order(customer, [("E3", 10, "36.00")])
        world.sync(customer)  # match, create the contact, a new invoice
        world.order(customer, [("E3", 1, "36.00")])
        world.order(customer, [fee("E3", -2, "36.00", type="recurringRefund")], order_type="change")
        world.clock.advance(minutes=5)
        world.sync(customer)  # onto the latest invoice; a credit note, allocated
        task = next(t for t in world.repos.tasks.for_reseller(world.reseller_id) if t.credit_note)
        stored = world.repos.tasks.get(world.reseller_id, task.order_id)
        assert stored is not None
        # Taken up again as if its worker had died: looked up by reference, not re-made.
        world.repos.tasks.tasks[(world.reseller_id, task.order_id)] = stored.model_copy(  # type: ignore[attr-defined]
            update={"status": TaskStatus.PROCESSING, "retry_at": None, "sent": True}
        )
        world.sync(customer)
    finally:
        for server in servers:
            server.stop()
    assert len(world.credit_notes()) == 1 and len(world.invoices()) == 1
    xero_calls = [(q, r) for q, r in session.exchanges if "/api.xro/" in (q.url or "")]
    paths = {(q.method, (q.path_url or "").split("?")[0]) for q, _ in xero_calls}
    assert {
        ("GET", "/api.xro/2.0/Contacts"),
        ("PUT", "/api.xro/2.0/Contacts"),
        ("GET", "/api.xro/2.0/Items"),
        ("PUT", "/api.xro/2.0/Invoices"),
        ("GET", "/api.xro/2.0/Invoices"),
        ("PUT", "/api.xro/2.0/CreditNotes"),
        ("GET", "/api.xro/2.0/CreditNotes"),
        ("GET", "/api.xro/2.0/Currencies"),  # the guard's
    } <= paths
    assert any(method == "POST" and "/Invoices/" in path for method, path in paths)
    assert any("/Allocations" in path for _, path in paths)
    spec = _spec(
        specs_dir / "xero" / "xero_accounting.yaml", f"{servers[0].url}/api.xro/2.0", strict=False
    )
    assert _check(spec, xero_calls) == len(xero_calls)


def test_payments_and_their_look_ups_match_the_spec(
    specs_dir: Path, servers: Any, xero_session: Any
) -> None:
    emulator, _, url, _ = servers
    session, identity, tokens = xero_session
    (tenant,) = identity.tenants(tokens)
    client = accounting(url, session, tenant, tokens)
    contact = client.create_contact(Contact(name="Payer Co"), "k-payer-contact")
    today = datetime.now(UTC).date()
    (invoice,) = client.create_invoices(
        [
            Invoice(
                contact=ContactRef(contact_id=contact.contact_id or ""),
                line_items=(
                    LineItem(description="Seat", quantity=1, unit_amount=50, account_code="200"),
                ),
                date=today,
                reference="PAY-1",
                status="AUTHORISED",
            )
        ],
        "k-pay-invoice",
    )
    session.exchanges.clear()

    def payment(amount: int, reference: str, code: str = "090") -> Payment:
        return Payment(
            invoice=InvoiceRef(invoice_id=invoice.invoice_id or ""),
            account=AccountRef(code=code),
            date=today,
            amount=amount,
            reference=reference,
        )

    made, over, revenue = client.create_payments(
        [payment(20, "PAY-1 payment 1"), payment(31, "PAY-1 payment 2"), payment(1, "x", "200")],
        "k-payments",
    )
    assert made.payment_id and not made.has_validation_errors
    assert over.has_validation_errors and revenue.has_validation_errors
    assert [p.payment_id for p in client.payments_by_reference(["PAY-1 payment 1"])] == [
        made.payment_id
    ]
    assert [p.payment_id for p in client.payments_of_invoices([invoice.invoice_id or ""])] == [
        made.payment_id
    ]
    assert emulator.organisation().invoices[invoice.invoice_id]["AmountDue"] == 30.0
    spec = _spec(specs_dir / "xero" / "xero_accounting.yaml", f"{url}/api.xro/2.0", strict=False)
    assert _check(spec, session.exchanges) == len(session.exchanges) == 3


def test_the_organisations_lists_and_a_tracked_taxed_line_match_the_spec(
    specs_dir: Path, servers: Any, xero_session: Any
) -> None:
    """The lists choices are picked from (accounts, tax rates, tracking categories) and a line
    carrying its account, tax type and tracking, as the accounting stage sends it."""
    _, _, url, _ = servers
    session, identity, tokens = xero_session
    (tenant,) = identity.tenants(tokens)
    session.exchanges.clear()
    client = accounting(url, session, tenant, tokens)
    accounts = client.accounts()
    assert {(a.code, a.class_, a.system_account or "") for a in accounts} >= {
        ("200", "REVENUE", ""),
        ("610", "ASSET", "DEBTORS"),
    }
    assert {t.tax_type for t in client.tax_rates() if t.can_apply_to_revenue} >= {"OUTPUT"}
    categories = client.tracking_categories()
    assert [c.name for c in categories] == ["Region", "Channel"]  # archived ones left out
    contact = client.create_contact(Contact(name="Tracked Co"), "k-tracked-contact")
    line = LineItem(
        description="Seat",
        quantity=1,
        unit_amount="36.03",
        account_code="210",
        tax_type="OUTPUT",
        tracking=(LineItemTracking(name="Region", option="North"),),
    )
    (made,) = client.create_invoices(
        [Invoice(contact=ContactRef(contact_id=contact.contact_id or ""), line_items=(line,))],
        "k-tracked-invoice",
    )
    (back,) = made.line_items
    assert (back.tax_amount, back.line_amount) == (Decimal("5.40"), Decimal("36.03"))
    assert back.tracking == line.tracking
    spec = _spec(specs_dir / "xero" / "xero_accounting.yaml", f"{url}/api.xro/2.0", strict=False)
    assert _check(spec, session.exchanges) == len(session.exchanges) == 5
