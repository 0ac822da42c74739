"""`GET /xero/contacts?search=` is the store's contact picker: a few letters of the name (or the
number or email), any case, find the contact. It used to send `where=Name=="<search>"`, so
`search=walk` found nothing though "Walkthrough Ltd" was in Xero (found walking the README)."""

from __future__ import annotations

from cbxero.services.mapping import MappingDesk
from local.world import Repositories, SyncWorld
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks


def desk_and_world() -> tuple[MappingDesk, SyncWorld]:
    repos = Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    world = SyncWorld(repos)
    world.configure()
    world.customer("Walkthrough Ltd", linked=True)
    world.customer("Krauses Factory", linked=True)
    desk = MappingDesk(
        settings=repos.settings,
        links=repos.links,
        mappings=repos.mappings,
        marketplace=world.marketplace,
        xero=lambda _reseller: world.client(),
        action_log=repos.action_log,
        clock=world.clock,
    )
    return desk, world


def test_a_search_finds_contacts_by_part_of_the_name_in_any_case() -> None:
    desk, world = desk_and_world()
    assert [c.name for c in desk.contacts(world.reseller_id, "walk")] == ["Walkthrough Ltd"]
    assert [c.name for c in desk.contacts(world.reseller_id, "FACTORY")] == ["Krauses Factory"]
    assert desk.contacts(world.reseller_id, "nobody") == []


def test_no_search_lists_the_contacts() -> None:
    desk, world = desk_and_world()
    names = {c.name for c in desk.contacts(world.reseller_id, None)}
    assert names == {"Walkthrough Ltd", "Krauses Factory"}
