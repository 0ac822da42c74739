"""The store UI's use cases: settings, customer links, product mappings, tasks, the Action Log."""

from __future__ import annotations

import json

from pydantic import BaseModel

from cbxero.domain.errors import NotFound, StaleVersion
from cbxero.domain.listing import LogFilter, LogPage
from cbxero.domain.model import (
    ActionLogEntry,
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
from cbxero.services.chart import ChartCheck
from cbxero.services.recording import Recorder


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
        chart: ChartCheck | None = None,
    ) -> None:
        self._settings = settings
        # Checks a newly chosen sales account and tax type against the organisation's lists.
        self._chart = chart
        self._links = links
        self._mappings = mappings
        self._tasks = tasks
        self._log = action_log
        self._queue = queue
        self._clock = clock
        self._recorder = Recorder(action_log, clock)
        # The organisation's chart of accounts (cached), to check a chosen account on save.

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
        changed = [
            f"{name}: {_shown(getattr(old, name))} -> {_shown(getattr(new, name))}"
            for name in Settings.model_fields
            if getattr(old, name) != getattr(new, name)
        ]
        if not changed:  # a save that changes nothing: no new version, nothing logged
            return old, version
        if self._chart is not None:
            self._chart.check_settings(reseller_id, old, new)
        saved = self._settings.save_if(reseller_id, new, version)
        if saved is None:
            raise StaleVersion("the settings changed while saving; read them again")
        if old.notifications != new.notifications:
            # Before the entry below, so that the switch itself is the first one it shows.
            self._settings.notifications_changed(reseller_id, self._clock.now())
        self._recorder.info(
            reseller_id, "settings_changed", actor, "Settings changed: " + "; ".join(changed)
        )
        return new, saved

    def patch_settings(
        self, reseller_id: str, patch: SettingsPatch, actor: str, if_match: int | None = None
    ) -> tuple[Settings, int]:
        current, version = self._settings.versioned(reseller_id)
        expected = version if if_match is None else if_match
        return self.replace_settings(reseller_id, patch.applied_to(current), actor, expected)

    def action_log(self, reseller_id: str, wanted: LogFilter) -> LogPage:
        return self._log.page(reseller_id, wanted)

    def log_entry(self, reseller_id: str, entry_id: str) -> ActionLogEntry:
        entry = self._log.get(reseller_id, entry_id)
        if entry is None:
            raise NotFound(f"no Action Log entry {entry_id}", field="entryId")
        return entry

    def notifications(self, reseller_id: str, limit: int, cursor: str | None) -> LogPage:
        """Unread entries the notifications setting shows: problems only, or every one from
        the moment the level was chosen (problems from before it still show; the history of
        everything else does not flood in)."""
        level = self._settings.get(reseller_id).notifications
        wanted = LogFilter(unread_only=True, limit=limit, cursor=cursor)
        if level is NotificationLevel.ERRORS_AND_ACTIONS:
            wanted = wanted.model_copy(update={"problems_only": True})
        else:
            since = self._settings.notifications_since(reseller_id)
            wanted = wanted.model_copy(update={"others_since": since})
        return self._log.page(reseller_id, wanted)

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


def _shown(value: object) -> str:
    """A setting's value as the Action Log shows it: as the API spells it (true, null), a
    choice without quotes."""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, str):  # a choice (StrEnum) or a code
        return str(value)
    return json.dumps(value)
