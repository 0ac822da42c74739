"""One spelling of each Idempotency-Key: a contact made by hand (the mapping screen) and one made
by a sync, for the same customer, carry the same key, so Xero makes it once."""

from __future__ import annotations

from typing import Any, cast

from cbxero.adapters.problems import problem_of
from cbxero.domain.idempotency import contact_key, idempotency_key, item_key
from cbxero.domain.xero import Contact, Item
from cbxero.ports import XeroAccounting
from cbxero.services.mapping import MappingDesk
from cbxero.services.sync import CustomerSync
from local.world import Repositories, SyncWorld
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks


class RecordingXero:
    """The world's Xero client, noting the key of every contact or item it is asked to make."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.keys: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def create_contact(self, contact: Contact, key: str) -> Contact:
        self.keys.append(key)
        return cast(Contact, self.inner.create_contact(contact, key))

    def create_item(self, item: Item, key: str) -> Item:
        self.keys.append(key)
        return cast(Item, self.inner.create_item(item, key))


def world() -> SyncWorld:
    built = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    )
    built.configure()
    built.product("TEAMS", "Teams Essentials", "4.00")
    return built


def desk(world: SyncWorld, xero: RecordingXero) -> MappingDesk:
    return MappingDesk(
        settings=world.repos.settings,
        links=world.repos.links,
        mappings=world.repos.mappings,
        marketplace=world.marketplace,
        xero=lambda _reseller: cast(XeroAccounting, xero),
        action_log=world.repos.action_log,
        clock=world.clock,
    )


def test_the_mapping_screen_and_a_sync_make_a_customer_s_contact_with_one_key() -> None:
    w = world()
    customer = w.customer("Krauses Factory")  # not linked: the sync makes its contact
    w.order(customer, [("TEAMS", 1, "4.00")])
    by_sync = RecordingXero(w.client())
    w.engine = CustomerSync(
        settings=w.repos.settings,
        links=w.repos.links,
        mappings=w.repos.mappings,
        tasks=w.repos.tasks,
        action_log=w.repos.action_log,
        marketplace=w.marketplace,
        xero=lambda _reseller: cast(XeroAccounting, by_sync),
        clock=w.clock,
        describe=problem_of,
    )
    w.sync(customer)
    made = w.repos.links.get(w.reseller_id, customer)
    assert made is not None and made.xero_contact_id

    by_hand = RecordingXero(w.client())
    w.repos.links.save(made.model_copy(update={"xero_contact_id": None}))
    again = desk(w, by_hand).create_contact(w.reseller_id, customer, "u")

    assert by_sync.keys == by_hand.keys == [contact_key(w.reseller_id, customer)]
    assert again.xero_contact_id == made.xero_contact_id  # Xero answered the first call again


def test_keys_keep_the_spelling_xero_has_seen() -> None:
    assert contact_key("r1", "1000001") == "cbxero:r1:1000001:contact"
    assert item_key("r1", "X-TEAMS") == "cbxero:r1:item:X-TEAMS"
    assert len(idempotency_key("r" * 100, "s" * 100, "a")) == 128
