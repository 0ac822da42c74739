"""The store UI's use cases: settings, customer links, product mappings, tasks, the Action Log."""

from __future__ import annotations

from pydantic import BaseModel

from cbxero.domain.errors import Conflict, NotFound, StaleVersion
from cbxero.domain.listing import LogFilter, LogPage
from cbxero.domain.model import (
    ActionLogEntry,
    CustomerLink,
    LogStatus,
    ProductMapping,
)
from cbxero.domain.settings import NotificationLevel, Settings, SettingsPatch
from cbxero.ports import (
    ActionLog,
    Clock,
    CustomerLinkRepository,
    JobQueue,
    ProductMappingRepository,
    SettingsRepository,
    TaskRepository,
)


class ResellerAdmin:
    """Everything a reseller changes from the store; the reseller id always comes from its token."""

    def __init__(
        self,
        *,
        settings: SettingsRepository,
        links: CustomerLinkRepository,
        mappings: ProductMappingRepository,
        tasks: TaskRepository,
        action_log: ActionLog,
        queue: JobQueue,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._links = links
        self._mappings = mappings
        self._tasks = tasks
        self._log = action_log
        self._queue = queue
        self._clock = clock

    def settings(self, reseller_id: str) -> tuple[Settings, int]:
        """The settings (documented defaults before the first save) and their version."""
        return self._settings.versioned(reseller_id)

    def replace_settings(
        self, reseller_id: str, new: Settings, actor: str, if_match: int | None = None
    ) -> tuple[Settings, int]:
        """Save the settings if they are still at version `if_match` (None: any version);
        the change is logged with its actor and the fields it changed."""
        old, version = self._settings.versioned(reseller_id)
        if if_match is not None and if_match != version:
            raise StaleVersion(
                f"the settings changed since version {if_match} (now {version}); "
                "read them again before saving",
                field="If-Match",
            )
        saved = self._settings.save_if(reseller_id, new, version)
        if saved is None:
            raise StaleVersion("the settings changed while saving; read them again")
        changed = [
            f"{name}: {_shown(getattr(old, name))} -> {_shown(getattr(new, name))}"
            for name in Settings.model_fields
            if getattr(old, name) != getattr(new, name)
        ]
        self._record(
            reseller_id,
            "settings_changed",
            actor,
            "Settings changed: " + ("; ".join(changed) if changed else "nothing"),
        )
        return new, saved

    def patch_settings(
        self, reseller_id: str, patch: SettingsPatch, actor: str, if_match: int | None = None
    ) -> tuple[Settings, int]:
        current, version = self._settings.versioned(reseller_id)
        expected = version if if_match is None else if_match
        return self.replace_settings(reseller_id, patch.applied_to(current), actor, expected)

    def link_customer(
        self,
        reseller_id: str,
        customer_id: str,
        xero_contact_id: str | None,
        auto_sync: bool,
        actor: str,
    ) -> CustomerLink:
        current = self._links.get(reseller_id, customer_id) or CustomerLink(
            reseller_id=reseller_id, customer_id=customer_id
        )
        link = current.model_copy(
            update={"xero_contact_id": xero_contact_id, "auto_sync": auto_sync}
        )
        self._links.save(link)
        self._record(
            reseller_id,
            "customer_linked",
            actor,
            f"Customer {customer_id}: contact {xero_contact_id or 'auto'}, auto-sync "
            + ("on" if auto_sync else "off"),
            customer_id=customer_id,
        )
        return link

    def customers(self, reseller_id: str) -> list[CustomerLink]:
        return self._links.for_reseller(reseller_id)

    def map_product(
        self, reseller_id: str, mpn: str, product_name: str, item_code: str, actor: str
    ) -> ProductMapping:
        """Map a product to a Xero item; refused when the item is taken and many-to-one is off."""
        if not self._settings.get(reseller_id).allow_many_products_per_item:
            others = [
                m for m in self._mappings.products_for_item(reseller_id, item_code) if m != mpn
            ]
            if others:
                raise Conflict(
                    f"Xero item {item_code} is already mapped to product {others[0]}; "
                    "mapping several products to one item is not allowed in the settings",
                    field="xero_item_code",
                )
        mapping = ProductMapping(
            reseller_id=reseller_id, mpn=mpn, product_name=product_name, xero_item_code=item_code
        )
        self._mappings.save(mapping)
        self._record(reseller_id, "product_mapped", actor, f"Product {mpn} mapped to {item_code}")
        return mapping

    def products(self, reseller_id: str) -> list[ProductMapping]:
        return self._mappings.for_reseller(reseller_id)

    def action_log(self, reseller_id: str, wanted: LogFilter) -> LogPage:
        return self._log.page(reseller_id, wanted)

    def log_entry(self, reseller_id: str, entry_id: str) -> ActionLogEntry:
        entry = self._log.get(reseller_id, entry_id)
        if entry is None:
            raise NotFound(f"no Action Log entry {entry_id}", field="entryId")
        return entry

    def notifications(self, reseller_id: str, limit: int, cursor: str | None) -> LogPage:
        """Unread entries the notifications setting shows: problems only, or every one."""
        problems_only = (
            self._settings.get(reseller_id).notifications is NotificationLevel.ERRORS_AND_ACTIONS
        )
        return self._log.page(
            reseller_id,
            LogFilter(unread_only=True, problems_only=problems_only, limit=limit, cursor=cursor),
        )

    def mark_read(self, reseller_id: str, entry_id: str | None) -> int:
        """One notification read (it must be the reseller's), or all those shown (None)."""
        if entry_id is not None:
            self.log_entry(reseller_id, entry_id)
            return self._log.mark_read(reseller_id, [entry_id])
        shown: list[str] = []
        cursor = None
        while True:
            page = self.notifications(reseller_id, 200, cursor)
            shown += [entry.entry_id for entry in page.items]
            if (cursor := page.next_cursor) is None:
                return self._log.mark_read(reseller_id, shown) if shown else 0

    def _record(
        self,
        reseller_id: str,
        action: str,
        actor: str,
        message: str,
        customer_id: str | None = None,
    ) -> None:
        self._log.add(
            ActionLogEntry(
                reseller_id=reseller_id,
                at=self._clock.now(),
                action=action,
                status=LogStatus.INFO,
                actor=actor,
                message=message,
                customer_id=customer_id,
            )
        )


def _shown(value: object) -> str:
    """A setting's value as the Action Log shows it."""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return str(getattr(value, "value", value))
