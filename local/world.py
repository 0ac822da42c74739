"""The sync engine in one process: both emulators, the real HTTP clients, any repositories.

Tests of the settings and order types, the fault run and the benchmarks build on it. The
clients reach the emulators through a WSGI transport (no sockets) unless `http` is given.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from cbxero.adapters.dynamo import (
    DynamoCustomerLinkRepository,
    DynamoProductMappingRepository,
    DynamoSettingsRepository,
)
from cbxero.adapters.marketplace import SimpleApiClient
from cbxero.adapters.problems import problem_of
from cbxero.domain.documents import CANCELLATION_FEE
from cbxero.domain.model import CustomerLink, ProductMapping, SyncTask
from cbxero.domain.settings import Settings
from cbxero.keys import Table
from cbxero.ports import (
    Clock,
    CustomerLinkRepository,
    HistoryRecord,
    ProductMappingRepository,
    RateGovernor,
    SettingsRepository,
    SyncJob,
)
from cbxero.services.sync import CustomerSync, SyncOutcome
from local.records import (
    DynamoLogRecords,
    DynamoTaskRecords,
    LogRecords,
    TaskRecords,
    XeroRecords,
)
from local.simpleapi_emulator import SimpleApiEmulator
from local.wsgi import session_for
from local.xero_emulator import Grant, Organisation, XeroEmulator

XERO_URL = "http://xero.emulator"
SIMPLEAPI_URL = "http://simpleapi.emulator"
RESELLER = "reseller-1"


class SteppedClock(Clock):
    """A clock tests and benchmarks move by hand; both emulators read it too."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class Repositories:
    settings: SettingsRepository
    links: CustomerLinkRepository
    mappings: ProductMappingRepository
    tasks: TaskRecords
    action_log: LogRecords


def dynamo_repositories(client: Any, tables: dict[str, str]) -> Repositories:
    """The DynamoDB repositories over tables made from template.yaml (logical id -> name)."""
    return Repositories(
        settings=DynamoSettingsRepository(client, tables[Table.RESELLERS]),
        links=DynamoCustomerLinkRepository(client, tables[Table.MAPPINGS]),
        mappings=DynamoProductMappingRepository(client, tables[Table.MAPPINGS]),
        tasks=DynamoTaskRecords(client, tables[Table.TASKS]),
        action_log=DynamoLogRecords(client, tables[Table.ACTION_LOG]),
    )


@dataclass
class SyncWorld:
    """One reseller connected to one emulated Xero organisation, with an emulated marketplace."""

    repos: Repositories
    clock: SteppedClock = field(default_factory=SteppedClock)
    xero: XeroEmulator = field(default_factory=XeroEmulator)
    market: SimpleApiEmulator = field(default_factory=SimpleApiEmulator)
    reseller_id: str = RESELLER
    # Over real sockets: a plain session and the emulators' LoopbackServer URLs.
    http: requests.Session | None = None
    xero_url: str = XERO_URL
    market_url: str = SIMPLEAPI_URL
    governor: RateGovernor | None = None
    sleep: Callable[[float], None] = lambda _seconds: None
    xero_timeout: tuple[float, float] = (5, 30)
    history: HistoryRecord | None = None  # the reseller's chosen start (none: one month back)

    def __post_init__(self) -> None:
        self.xero.clock = self.clock.now
        self.market.clock = self.clock.now
        self.org: Organisation = self.xero.organisation()
        self.access_token = uuid.uuid4().hex
        self.xero.access_tokens[self.access_token] = Grant(
            client_id="local-client",
            tenant_ids=[self.org.tenant_id],
            scopes="accounting.transactions accounting.contacts",
            expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        )
        if self.http is None:
            self.http = session_for(
                {self.xero_url: self.xero.app, self.market_url: self.market.app}
            )
        self.marketplace = SimpleApiClient(
            base_url=self.market_url,
            username=self.market.credentials[0],
            password=self.market.credentials[1],
            subscription_key=self.market.subscription_key,
            http=self.http,
            clock=self.clock,
            sleep=self.sleep,
        )
        self.engine = CustomerSync(
            settings=self.repos.settings,
            links=self.repos.links,
            mappings=self.repos.mappings,
            tasks=self.repos.tasks,
            action_log=self.repos.action_log,
            marketplace=self.marketplace,
            xero=lambda _reseller: self.client(),
            clock=self.clock,
            describe=problem_of,
            history=self.history,
        )

    def client(self) -> XeroRecords:
        assert self.http is not None
        return XeroRecords(
            api_url=self.xero_url,
            tenant_id=self.org.tenant_id,
            access_token=self.access_token,
            http=self.http,
            governor=self.governor,
            sleep=self.sleep,
            timeout=self.xero_timeout,
            organisation_name=self.org.name,
        )

    # ------------------------------------------------------------------ setting up
    def configure(self, **settings: Any) -> Settings:
        chosen = Settings.model_validate({"notifications": "all_tasks", **settings})
        self.repos.settings.save_if(self.reseller_id, chosen, None)
        return chosen

    def product(
        self,
        mpn: str,
        name: str,
        price: str,
        *,
        item_price: str | None = None,
        item_description: str | None = None,
        account_code: str | None = None,
        tax_type: str | None = None,
    ) -> str:
        """A marketplace product, a Xero item for it, and the mapping between them."""
        self.market.add_product(mpn, name, price)
        return self.item_for(
            mpn,
            name,
            item_price=item_price or price,
            item_description=item_description,
            account_code=account_code,
            tax_type=tax_type,
        )

    def item_for(
        self,
        mpn: str,
        name: str,
        *,
        item_price: str,
        item_description: str | None = None,
        account_code: str | None = None,
        tax_type: str | None = None,
    ) -> str:
        code = f"X-{mpn}"[:30]
        sales: dict[str, Any] = {"UnitPrice": float(item_price)}
        if account_code:
            sales["AccountCode"] = account_code
        if tax_type:
            sales["TaxType"] = tax_type
        self.org.items[code] = {
            "ItemID": str(uuid.uuid4()),
            "Code": code,
            "Name": f"{name} (Xero)"[:50],
            "Description": item_description or f"{name} as Xero describes it",
            "SalesDetails": sales,
        }
        self.repos.mappings.save(
            ProductMapping(
                reseller_id=self.reseller_id, mpn=mpn, product_name=name, xero_item_code=code
            )
        )
        return code

    def cancellation_fee_item(self, price: str = "25.00") -> str:
        return self.item_for(CANCELLATION_FEE, "Cancellation fee", item_price=price)

    def customer(self, name: str, *, linked: bool = False, **profile: Any) -> str:
        """A marketplace customer; linked: also a Xero contact already mapped to it."""
        made = self.market.add_customer(name, reseller_id=self.reseller_id, **profile)
        contact_id = None
        if linked:
            contact_id = str(uuid.uuid4())
            self.org.contacts[contact_id] = {
                "ContactID": contact_id,
                "Name": name,
                "ContactStatus": "ACTIVE",
            }
        self.repos.links.save(
            CustomerLink(
                reseller_id=self.reseller_id,
                customer_id=made["id"],
                xero_contact_id=contact_id,
                auto_sync=True,
            )
        )
        return str(made["id"])

    def order(self, customer_id: str, lines: Sequence[Any], **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("created", self.clock.now() - timedelta(minutes=5))
        return self.market.add_order(customer_id, lines, **kwargs)

    # ------------------------------------------------------------------ running
    def job(self, customer_id: str, **changes: Any) -> SyncJob:
        return SyncJob(
            reseller_id=self.reseller_id, customer_id=customer_id, slot="test", **changes
        )

    def sync(self, *customer_ids: str) -> SyncOutcome:
        """What one worker invocation does with a batch of these customers' jobs."""
        jobs = [self.job(c) for c in customer_ids]
        outcome = SyncOutcome()
        for job in jobs:
            checked = self.engine.check_changes(job)
            outcome.orders_seen += checked.orders_seen
            outcome.tasks_created += checked.tasks_created
        return self.engine.process(jobs, outcome)

    def task(self, order: dict[str, Any]) -> SyncTask:
        found = self.repos.tasks.get(self.reseller_id, str(order["id"]))
        assert found is not None, f"no task for order {order['id']}"
        return found

    # ------------------------------------------------------------------ what Xero holds
    def invoices(self) -> list[dict[str, Any]]:
        return [i for i in self.org.invoices.values() if i.get("Status") != "DELETED"]

    def credit_notes(self) -> list[dict[str, Any]]:
        return list(self.org.credit_notes.values())

    def invoice_for(self, order: dict[str, Any]) -> dict[str, Any]:
        (found,) = [
            i
            for i in self.invoices()
            if order["orderNumber"] in [r.strip() for r in i["Reference"].split(",")]
        ]
        return found

    def accounting_calls(self) -> int:
        return len(self.xero.calls)


def lines_of(document: dict[str, Any]) -> list[tuple[str, str, float, float, float]]:
    """A document's lines as (item code, description, quantity, unit amount, line amount)."""
    return [
        (
            line.get("ItemCode", ""),
            line["Description"],
            line["Quantity"],
            line["UnitAmount"],
            line["LineAmount"],
        )
        for line in document["LineItems"]
    ]
