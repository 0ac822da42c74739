"""What the store's screens write to the Action Log: who did what, when, to which customer."""

from __future__ import annotations

from cbxero.domain.model import ActionLogEntry, LogStatus
from cbxero.ports import ActionLog, Clock


class Recorder:
    def __init__(self, log: ActionLog, clock: Clock) -> None:
        self._log = log
        self._clock = clock

    def info(
        self,
        reseller_id: str,
        action: str,
        actor: str,
        message: str,
        *,
        customer_id: str | None = None,
        order_id: str | None = None,
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
                order_id=order_id,
            )
        )
