"""Values read from Xero lately, kept in the container for a while: the store's look-ups (the
mapping screens' lists) and a run's organisation lists (accounts, currencies) both use it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any


class Kept:
    """Each value kept `ttl` seconds from when it was read, then read again."""

    def __init__(self, ttl: float, now: Callable[[], float]) -> None:
        self._ttl = ttl
        self._now = now  # seconds, any origin: only differences count
        self._kept: dict[Hashable, tuple[float, Any]] = {}

    def get[T](self, key: Hashable, read: Callable[[], T]) -> T:
        now = self._now()
        hit = self._kept.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            value: T = hit[1]
            return value
        fresh = read()
        self._kept[key] = (now, fresh)
        return fresh

    def forget(self, key: Hashable) -> None:
        """The value is read again on its next use (it was changed here)."""
        self._kept.pop(key, None)
