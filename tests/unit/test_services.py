"""The use cases against in-memory fakes: sync, dispatch, connection, store administration."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from cbxero.domain.connection import ConnectionStatus, TokenSet, XeroConnection, XeroTenant
from cbxero.domain.errors import (
    Conflict,
    DocumentRejected,
    InvalidInput,
    NotConnected,
    ReconnectNeeded,
)
from cbxero.domain.marketplace import MarketplaceOrder, Money
from cbxero.domain.model import CustomerLink, LogStatus, SyncTask, TaskStatus
from cbxero.domain.settings import AutoSync, Settings
from cbxero.domain.xero import Account
from cbxero.services.admin import ResellerAdmin
from cbxero.services.chart import ChartCheck
from cbxero.services.connection import (
    TokenVault,
)
from cbxero.services.dispatch import Dispatcher, schedule_slot
from cbxero.services.mapping import MappingDesk
from local.world import Repositories, SyncWorld
from tests.fakes import (
    FakeActionLog,
    FakeConnections,
    FakeIdentity,
    FakeLinks,
    FakeMappings,
    FakeQueue,
    FakeSettings,
    FakeTasks,
    FixedClock,
)

RESELLER = "r1"
CUSTOMER = "1000001"


class TestDispatcher:
    def test_jobs_for_auto_sync_customers_of_due_resellers_only(self) -> None:
        settings, links, queue = FakeSettings(), FakeLinks(), FakeQueue()
        settings.save_if("due", Settings(auto_sync=AutoSync.EVERY_5_MINUTES), None)
        settings.save_if("daily", Settings(auto_sync=AutoSync.DAILY), None)
        settings.save_if("off", Settings(), None)
        for reseller in ("due", "daily", "off"):
            links.save(CustomerLink(reseller_id=reseller, customer_id="c1", auto_sync=True))
            links.save(CustomerLink(reseller_id=reseller, customer_id="c2", auto_sync=False))
        world = FixedClock()
        report = Dispatcher(
            settings=settings, links=links, tasks=FakeTasks(), queue=queue
        ).dispatch(AutoSync.EVERY_5_MINUTES, world.now())
        assert (report.resellers, report.jobs) == (1, 1)
        assert [(j.reseller_id, j.customer_id) for j in queue.jobs] == [("due", "c1")]

    def test_jobs_are_sent_in_batches(self) -> None:
        settings, links, queue = FakeSettings(), FakeLinks(), FakeQueue()
        settings.save_if("r", Settings(auto_sync=AutoSync.DAILY), None)
        for n in range(250):
            links.save(CustomerLink(reseller_id="r", customer_id=f"c{n:03d}", auto_sync=True))
        report = Dispatcher(
            settings=settings, links=links, tasks=FakeTasks(), queue=queue
        ).dispatch(AutoSync.DAILY, FixedClock().now())
        assert (report.jobs, queue.calls) == (250, 3)

    def test_resellers_that_must_reconnect_are_skipped(self) -> None:
        settings, links, queue = FakeSettings(), FakeLinks(), FakeQueue()
        for reseller in ("ok", "revoked"):
            settings.save_if(reseller, Settings(auto_sync=AutoSync.DAILY), None)
            links.save(CustomerLink(reseller_id=reseller, customer_id="c1", auto_sync=True))
        settings.set_connection_status("revoked", ConnectionStatus.RECONNECT_NEEDED)
        report = Dispatcher(
            settings=settings, links=links, tasks=FakeTasks(), queue=queue
        ).dispatch(AutoSync.DAILY, FixedClock().now())
        assert (report.resellers, report.skipped_reconnect) == (1, ["revoked"])
        assert [j.reseller_id for j in queue.jobs] == ["ok"]

    def test_the_retry_sweep_brings_back_tasks_that_are_due(self) -> None:
        clock, tasks, queue, settings = FixedClock(), FakeTasks(), FakeQueue(), FakeSettings()
        order = MarketplaceOrder(
            id="o1",
            order_number="SO1",
            type="sales",
            status="completed",
            customer_id="c9",
            created_at=clock.now(),
            total=Money(amount=Decimal(1), currency="USD"),
        )
        task = SyncTask.from_order("r1", order, clock.now())
        failed = task.moved_to(TaskStatus.PROCESSING, clock.now()).moved_to(
            TaskStatus.FAILED, clock.now()
        )
        tasks.add_if_absent(failed)
        dispatcher = Dispatcher(settings=settings, links=FakeLinks(), tasks=tasks, queue=queue)
        assert dispatcher.dispatch(AutoSync.EVERY_5_MINUTES, clock.now()).retry_jobs == 0
        later = clock.now() + timedelta(minutes=1, seconds=1)  # the first back-off: a minute
        assert dispatcher.dispatch(AutoSync.EVERY_5_MINUTES, later).retry_jobs == 1
        (job,) = queue.jobs
        assert (job.customer_id, job.check, job.retries_only) == ("c9", False, True)
        settings.set_connection_status("r1", ConnectionStatus.RECONNECT_NEEDED)
        assert dispatcher.dispatch(AutoSync.EVERY_5_MINUTES, later).retry_jobs == 0

    def test_a_run_out_of_time_stops_at_a_cursor_and_resumes_there(self) -> None:
        settings, links, queue = FakeSettings(), FakeLinks(), FakeQueue()
        for reseller in ("r1", "r2"):
            settings.save_if(reseller, Settings(auto_sync=AutoSync.DAILY), None)
            for n in range(1200):
                links.save(
                    CustomerLink(reseller_id=reseller, customer_id=f"c{n:04d}", auto_sync=True)
                )
        dispatcher = Dispatcher(settings=settings, links=links, tasks=FakeTasks(), queue=queue)
        left = iter([60_000, 60_000, 60_000, 1_000])  # checked every 500 customers of a reseller
        first = dispatcher.dispatch(
            AutoSync.DAILY, FixedClock().now(), time_left_ms=lambda: next(left)
        )
        assert first.resume is not None
        assert (first.resume.reseller_id, first.resume.customer_id) == ("r2", "c0999")
        second = dispatcher.dispatch(AutoSync.DAILY, FixedClock().now(), cursor=first.resume)
        assert second.resume is None
        assert first.jobs + second.jobs == 2400
        sent = [(j.reseller_id, j.customer_id) for j in queue.jobs]
        assert len(set(sent)) == len(sent) == 2400  # each customer once, none skipped
        assert {j.slot for j in queue.jobs} == {first.resume.slot}

    def test_runs_in_one_slot_share_the_slot(self) -> None:
        clock = FixedClock()
        first = schedule_slot(AutoSync.EVERY_5_MINUTES, clock.now() + timedelta(minutes=1))
        second = schedule_slot(AutoSync.EVERY_5_MINUTES, clock.now() + timedelta(minutes=4))
        later = schedule_slot(AutoSync.EVERY_5_MINUTES, clock.now() + timedelta(minutes=5))
        assert first == second != later


def tokens(clock: FixedClock, identity: FakeIdentity, minutes_left: int) -> TokenSet:
    issued = identity._issue()
    return issued.model_copy(update={"expires_at": clock.now() + timedelta(minutes=minutes_left)})


class TestTokenVault:
    def setup_method(self) -> None:
        self.clock = FixedClock()
        self.identity = FakeIdentity(self.clock)
        self.connections = FakeConnections()
        self.log = FakeActionLog()
        self.vault = TokenVault(
            connections=self.connections,
            identity=self.identity,
            action_log=self.log,
            clock=self.clock,
        )

    def connect(self, minutes_left: int) -> XeroConnection:
        connection = XeroConnection(
            reseller_id=RESELLER,
            status=ConnectionStatus.CONNECTED,
            tenant=XeroTenant(tenant_id="t", name="Org"),
            tokens=tokens(self.clock, self.identity, minutes_left),
        )
        self.connections.save(connection, expected_version=None)
        return connection

    def test_a_fresh_token_is_handed_out_without_refreshing(self) -> None:
        self.connect(minutes_left=20)
        self.vault.connection(RESELLER)
        assert self.identity.refreshes == 0

    def test_a_token_with_under_two_minutes_left_is_refreshed_and_stored(self) -> None:
        before = self.connect(minutes_left=1)
        after = self.vault.connection(RESELLER)
        assert after.version == before.version + 1
        assert after.tokens is not None and before.tokens is not None
        assert after.tokens.refresh_token != before.tokens.refresh_token
        assert self.connections.get(RESELLER) == after

    def test_losing_the_refresh_race_uses_the_winners_token(self) -> None:
        self.connect(minutes_left=1)
        stale = self.connections.get(RESELLER)
        assert stale is not None
        winner = self.vault.connection(RESELLER)
        # A second worker read the connection before the winner stored it.
        reads = iter([stale, winner, winner])
        self.connections.get = lambda _r: next(reads)  # type: ignore[method-assign,assignment]
        assert self.vault.connection(RESELLER) == winner
        # Its own refresh with the rotated token was refused, yet nothing was marked broken.
        assert self.connections.stored[RESELLER] == winner
        assert winner.status is ConnectionStatus.CONNECTED

    def test_a_lost_refresh_answer_is_retried_with_the_stored_token(self) -> None:
        before = self.connect(minutes_left=1)
        self.identity.lose_next_answer = True
        after = self.vault.connection(RESELLER)
        assert after.status is ConnectionStatus.CONNECTED
        assert after.version == before.version + 1
        assert self.identity.refreshes == 2

    def test_a_revoked_refresh_token_means_reconnect(self) -> None:
        self.connect(minutes_left=1)
        self.identity.live_refresh.clear()
        with pytest.raises(ReconnectNeeded):
            self.vault.connection(RESELLER)
        stored = self.connections.get(RESELLER)
        assert stored is not None and stored.status is ConnectionStatus.RECONNECT_NEEDED
        (entry,) = self.log.entries
        assert entry.status is LogStatus.ACTION_REQUIRED
        assert "reconnect Xero" in entry.message

    def test_not_connected(self) -> None:
        with pytest.raises(NotConnected):
            self.vault.connection(RESELLER)


class TestMappingDesk:
    def make(self, **settings: object) -> tuple[MappingDesk, SyncWorld]:
        world = SyncWorld(
            Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
        )
        world.configure(**settings)
        for mpn in ("A", "B"):
            world.market.add_product(mpn, f"Product {mpn}", "1.00")
        world.item_for("ITEM", "One item", item_price="1.00")  # a Xero item, code X-ITEM...
        world.repos.mappings.delete(world.reseller_id, "ITEM")  # ...mapped to nothing yet
        desk = MappingDesk(
            settings=world.repos.settings,
            links=world.repos.links,
            mappings=world.repos.mappings,
            marketplace=world.marketplace,
            xero=lambda _reseller: world.client(),
            action_log=world.repos.action_log,
            clock=world.clock,
        )
        return desk, world

    def test_second_product_on_one_item_is_refused_unless_allowed(self) -> None:
        desk, world = self.make()
        desk.map_product(world.reseller_id, "A", "X-ITEM", "u")
        with pytest.raises(Conflict) as refused:
            desk.map_product(world.reseller_id, "B", "X-ITEM", "u")
        assert "already mapped to product A" in refused.value.message
        desk.map_product(world.reseller_id, "A", "X-ITEM", "u")  # remapping itself is fine

    def test_many_to_one_when_allowed(self) -> None:
        desk, world = self.make(allow_many_products_per_item=True)
        desk.map_product(world.reseller_id, "A", "X-ITEM", "u")
        desk.map_product(world.reseller_id, "B", "X-ITEM", "u")
        mapped = {row.mpn: row.xero_item_code for row in desk.products(world.reseller_id)}
        assert (mapped["A"], mapped["B"]) == ("X-ITEM", "X-ITEM")

    def test_import_all_links_only_on_a_strong_identity_and_asks_about_the_rest(self) -> None:
        desk, world = self.make()
        reseller = world.reseller_id
        named = world.customer("Nordwind GmbH")
        taxed = world.customer("Taxed Ltd", tax_reg_id="DE42")
        taken = world.customer("Taken Inc")
        holder = world.customer("Holder Inc")
        fresh = world.customer("Fresh AG")
        contacts = world.org.contacts
        contacts["same-name"] = {"ContactID": "same-name", "Name": "Nordwind GmbH"}
        contacts["tax"] = {"ContactID": "tax", "Name": "Taxed (Xero)", "TaxNumber": "DE42"}
        contacts["numbered"] = {"ContactID": "numbered", "Name": "Taken", "ContactNumber": taken}
        desk.map_customer(reseller, holder, "numbered", "u")  # the reseller's word
        report = desk.import_all(reseller, "u")
        assert (report.matched, report.created) == ([taxed], [fresh])
        assert sorted(report.to_confirm) == sorted([named, taken])
        assert "Nordwind GmbH (same name)" in report.to_confirm[named][0]
        assert f"linked to customer {holder}" in report.to_confirm[taken][0]
        linked = {
            link.customer_id: link.xero_contact_id
            for link in world.repos.links.for_reseller(reseller)
        }
        assert (linked[named], linked[taken], linked[taxed]) == (None, None, "tax")
        assert sum(c["Name"] == "Nordwind GmbH" for c in contacts.values()) == 1

    def test_a_contact_xero_refuses_is_not_linked_and_says_why(self) -> None:
        desk, world = self.make()
        customer = world.customer("Nordwind GmbH")
        world.org.contacts["theirs"] = {"ContactID": "theirs", "Name": "NORDWIND GMBH"}
        with pytest.raises(DocumentRejected) as refused:
            desk.create_contact(world.reseller_id, customer, "u")
        assert "already assigned to another contact" in refused.value.message
        link = world.repos.links.get(world.reseller_id, customer)
        assert link is not None and link.xero_contact_id is None
        assert world.repos.action_log.for_reseller(world.reseller_id) == []

    def test_lookups_are_cached_for_five_minutes(self) -> None:
        desk, world = self.make()
        clock = [0.0]
        desk._monotonic = lambda: clock[0]
        first = desk.accounts(world.reseller_id)
        calls = world.accounting_calls()
        assert desk.accounts(world.reseller_id) == first
        assert world.accounting_calls() == calls
        clock[0] += 301
        desk.accounts(world.reseller_id)
        assert world.accounting_calls() == calls + 1


class TestResellerAdmin:
    def make(self, settings: Settings) -> tuple[ResellerAdmin, FakeActionLog]:
        repo = FakeSettings()
        repo.save_if(RESELLER, settings, None)
        log = FakeActionLog()
        admin = ResellerAdmin(
            settings=repo,
            links=FakeLinks(),
            mappings=FakeMappings(),
            tasks=FakeTasks(),
            action_log=log,
            queue=FakeQueue(),
            clock=FixedClock(),
        )
        return admin, log

    def test_the_payments_bank_account_is_checked_against_xero_on_save(self) -> None:
        admin, _log = self.make(Settings())
        chart = [
            Account(code="090", name="Bank", type="BANK", status="ACTIVE"),
            Account(code="200", name="Sales", type="REVENUE", status="ACTIVE"),
        ]
        asked: list[str] = []

        class Chart:
            organisation_name = "Demo Ltd"

            def accounts(self) -> list[Account]:
                return chart

        def xero(reseller_id: str) -> Any:
            asked.append(reseller_id)
            return Chart()

        admin._chart = ChartCheck(xero)
        for wrong in (
            {"push_payments": True},
            {"push_payments": True, "payments_account_code": "200"},
        ):
            with pytest.raises(InvalidInput) as refused:
                admin.replace_settings(RESELLER, Settings(**wrong), "ann")
            assert refused.value.field == "payments_account_code"
        assert admin.settings(RESELLER)[0] == Settings()  # nothing saved
        chosen = Settings(push_payments=True, payments_account_code="090")
        assert admin.replace_settings(RESELLER, chosen, "ann")[0] == chosen
        admin.replace_settings(RESELLER, chosen.model_copy(update={"trim_descriptions": True}), "a")
        assert asked == [RESELLER] * 2  # not asked again while the account stays the same
        admin.replace_settings(RESELLER, Settings(payments_account_code="200"), "ann")  # push off

    def test_settings_changes_are_logged_with_actor_and_fields(self) -> None:
        admin, log = self.make(Settings())
        admin.replace_settings(RESELLER, Settings(trim_descriptions=True), "ann@reseller")
        assert (log.entries[-1].actor, log.entries[-1].message) == (
            "ann@reseller",
            "Settings changed: trim_descriptions: false -> true",
        )
