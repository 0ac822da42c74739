"""The drift report's repairs under attack: the same acknowledgement twice at once, and a merged
contact's default re-map onto a contact another customer holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from cbxero.domain.drift import DriftKind, DriftWorld, Repair, find_drift, resynced
from cbxero.domain.errors import Conflict, InvalidInput
from cbxero.domain.model import CustomerLink, TaskStatus
from cbxero.domain.xero import Contact
from cbxero.ports import DriftRecords
from cbxero.services.drift_report import DriftReader
from cbxero.services.mapping import MappingDesk
from cbxero.services.reconcile import DriftDesk, RepairRequest
from local.world import Repositories, SyncWorld
from tests.fakes import (
    FakeActionLog,
    FakeLinks,
    FakeMappings,
    FakeQueue,
    FakeSettings,
    FakeTasks,
    FixedClock,
)
from tests.unit.test_drift import consistent, inject

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


class StaleRecords(DriftRecords):
    """Acknowledgements whose read never sees the other request's write: two requests that
    both read before either wrote, as two threads (or two Lambdas) do."""

    def __init__(self) -> None:
        self.written: dict[str, str] = {}

    def ignored(self, reseller_id: str) -> frozenset[str]:
        return frozenset()

    def ignore(self, reseller_id: str, key: str, reason: str, actor: str, at: datetime) -> bool:
        if key in self.written:
            return False
        self.written[key] = reason
        return True

    def save_counts(self, reseller_id: str, counts: Mapping[str, int], at: datetime) -> None:
        raise AssertionError("not a report")

    def last_counts(self, reseller_id: str) -> tuple[dict[str, int], datetime] | None:
        return None


class Reader:
    def __init__(self, world: DriftWorld) -> None:
        self.world = world

    def world_of(self, reseller_id: str, key: str, start: datetime, end: datetime) -> DriftWorld:
        return self.world


class Xero:
    def __init__(self, contacts: Mapping[str, Contact]) -> None:
        self.contacts = contacts

    def contacts_by_id(self, ids: list[str]) -> list[Contact]:
        return [self.contacts[i] for i in ids if i in self.contacts]


class Mapping_:
    def __init__(self) -> None:
        self.mapped: list[tuple[str, str]] = []

    def map_customer(self, reseller_id: str, customer_id: str, contact_id: str, actor: str) -> Any:
        self.mapped.append((customer_id, contact_id))


def desk(
    world: DriftWorld,
    records: DriftRecords,
    mapping: Mapping_,
    links: Sequence[CustomerLink] | None = None,
    tasks: FakeTasks | None = None,
) -> DriftDesk:
    stored = FakeLinks()
    for link in world.links if links is None else links:
        stored.save(link)
    return DriftDesk(
        reader=cast(DriftReader, Reader(world)),
        tasks=tasks or cast(Any, None),
        marketplace=cast(Any, None),
        xero=lambda _reseller: cast(Any, Xero(world.contacts)),
        records=records,
        mapping_desk=cast(MappingDesk, mapping),
        links=stored,
        action_log=FakeActionLog(),
        queue=FakeQueue(),
        clock=FixedClock(),
    )


def test_the_same_acknowledgement_twice_at_once_is_done_once() -> None:
    world = inject(consistent(3), DriftKind.TOTALS_DIFFER, 1)
    (difference,) = find_drift(world)
    records = StaleRecords()
    repairs = desk(world, records, Mapping_())
    ask = RepairRequest(start=START, end=END, key=difference.key, action=Repair.IGNORE)
    repairs.repair("r1", ask.model_copy(update={"reason": "first"}), "ann")
    with pytest.raises(Conflict):  # the second, read before the first wrote, is refused
        repairs.repair("r1", ask.model_copy(update={"reason": "second"}), "bob")
    assert records.written == {difference.key: "first"}


def merged_into(world: DriftWorld, n: int, survivor: str) -> DriftWorld:
    """Customer c{n}'s contact merged into `survivor` in Xero."""
    merged = world.contacts[f"x-{n}"].model_copy(
        update={"contact_status": "ARCHIVED", "merged_to_contact_id": survivor}
    )
    return replace(world, contacts={**world.contacts, f"x-{n}": merged})


def test_a_merge_into_another_customers_contact_is_not_remapped_by_default() -> None:
    # c1's contact x-1 was merged into x-0, the contact customer c0 is mapped to.
    world = merged_into(consistent(3), 1, "x-0")
    (difference,) = find_drift(world)
    assert difference.suggested_contact_id is None  # the report proposes no other's contact
    assert "c0" in difference.message
    mapping = Mapping_()
    repairs = desk(world, StaleRecords(), mapping)
    ask = RepairRequest(start=START, end=END, key=difference.key, action=Repair.REMAP)
    with pytest.raises(InvalidInput) as refused:
        repairs.repair("r1", ask, "ann")
    assert refused.value.field == "contact_id"
    assert mapping.mapped == []
    # A repair reads only its own customer's link (as `world_of` does): still refused.
    alone = replace(world, links=[world.links[1]])
    (seen_alone,) = find_drift(alone)
    assert seen_alone.suggested_contact_id == "x-0"
    with pytest.raises(InvalidInput):
        desk(alone, StaleRecords(), mapping, links=world.links).repair("r1", ask, "ann")
    assert mapping.mapped == []
    # Named by the reseller, it is their word: done.
    repairs.repair("r1", ask.model_copy(update={"contact_id": "x-0"}), "ann")
    assert mapping.mapped == [("c1", "x-0")]


def test_a_merge_into_a_contact_nobody_holds_is_remapped_to_the_survivor() -> None:
    survivor = Contact(contact_id="x-new", name="Survivor", contact_status="ACTIVE")
    world = merged_into(consistent(3), 1, "x-new")
    world = replace(world, contacts={**world.contacts, "x-new": survivor})
    (difference,) = find_drift(world)
    assert difference.suggested_contact_id == "x-new"
    mapping = Mapping_()
    desk(world, StaleRecords(), mapping).repair(
        "r1",
        RepairRequest(start=START, end=END, key=difference.key, action=Repair.REMAP),
        "ann",
    )
    assert mapping.mapped == [("c1", "x-new")]


def test_a_remake_keeps_the_resellers_word_until_the_document_is_made() -> None:
    # Found by the attack of 2026-11-27: a re-make sent the task back to new without
    # `remake_confirmed`, so a worker that died after taking it up (the task then counts as
    # sent) found only the voided invoice by its reference, and ended the task "synced" with
    # it again: the reseller's word was lost.
    world = inject(consistent(3), DriftKind.DOCUMENT_VOIDED, 1)
    (difference,) = find_drift(world)
    tasks = FakeTasks()
    for task in world.tasks:
        tasks.add_if_absent(task)
    done = desk(world, StaleRecords(), Mapping_(), tasks=tasks).repair(
        "r1",
        RepairRequest(start=START, end=END, key=difference.key, action=Repair.REMAKE),
        "ann",
    )
    assert done.task is not None and done.task.remake_confirmed
    stored = tasks.get("r1", done.task.order_id)
    assert stored is not None and stored.remake_confirmed


def test_a_remade_document_is_made_once_though_its_worker_died() -> None:
    world = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    )
    world.configure(new_invoice_status="AUTHORISED")
    customer = world.customer("Paying Ltd", linked=True)
    world.product("MPN-1", "Office 365", "10.00")
    order = world.order(customer, [("MPN-1", 2, "10.00")])
    world.sync(customer)
    world.invoice_for(order)["Status"] = "VOIDED"
    task = world.task(order)
    again = resynced(task, world.clock.now(), "to be re-made on ann's word", remake=True)
    died = again.moved_to(TaskStatus.PROCESSING, world.clock.now())  # taken up, then died
    assert world.repos.tasks.replace(died, previous=task)
    world.clock.advance(hours=2)
    for _ in range(2):  # the taken-over run, and one more that must change nothing
        world.sync(customer)
        world.clock.advance(hours=2)
    live = [
        i
        for i in world.org.invoices.values()
        if i["Reference"] == order["orderNumber"] and i["Status"] != "VOIDED"
    ]
    done = world.task(order)
    assert (len(live), done.status, done.xero_side, done.remake_confirmed) == (
        1,
        TaskStatus.SYNCED,
        None,
        False,
    )


def test_the_report_names_the_contact_a_customers_contact_was_merged_into() -> None:
    w = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    )
    w.configure()
    customer = w.customer("Archie Ltd", linked=True)
    link = w.repos.links.get(w.reseller_id, customer)
    assert link is not None and link.xero_contact_id
    survivor = "0a7f3c6e-0000-4000-8000-000000000001"  # a contact no customer is mapped to
    w.org.contacts[survivor] = {
        "ContactID": survivor,
        "Name": "Archie Holdings",
        "ContactStatus": "ACTIVE",
    }
    w.org.contacts[link.xero_contact_id].update(
        ContactStatus="ARCHIVED", MergedToContactID=survivor
    )
    reader = DriftReader(
        settings=w.repos.settings,
        links=w.repos.links,
        mappings=w.repos.mappings,
        tasks=w.repos.tasks,
        marketplace=w.marketplace,
        xero=lambda _reseller: w.client(),
        records=StaleRecords(),
        clock=w.clock,
    )
    now = w.clock.now()
    report = reader.report(w.reseller_id, now.replace(year=now.year - 1), now)
    (merged,) = [d for d in report.differences if d.kind is DriftKind.CONTACT_MERGED]
    assert f"merged into another contact, Archie Holdings ({survivor})" in merged.message
    assert merged.suggested_contact_id == survivor
