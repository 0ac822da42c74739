"""Xero's `where` filter, for the forms the integration sends: Field=="value",
Field==Guid("id") (a field of a nested object too: Invoice.InvoiceID) and
Field.Contains("value") joined by AND (or &&), and groups of those joined by OR (or ||); in a
value a backslash escapes the next character (a quote or a backslash). A clause it cannot read
whole is refused (Xero's 400), never ignored, which would match every row.
Pure: no Flask here; `queries.where` turns a refusal into the 400."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["guid", "equals", "contains"]

EQUALS = re.compile(r'(\w+(?:\.\w+)?)\s*==\s*"((?:[^"\\]|\\.)*)"')
GUID = re.compile(r'(\w+(?:\.\w+)?)\s*==\s*[Gg]uid\("([0-9A-Fa-f-]{36})"\)')
CONTAINS = re.compile(r'(\w+)\.Contains\("((?:[^"\\]|\\.)*)"\)')
TERMS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("guid", GUID),
    ("equals", EQUALS),
    ("contains", CONTAINS),
)
ESCAPED = re.compile(r"\\(.)")  # \" and \\ in a value, as clients write them (adapters/xero.py)
JOIN = re.compile(r"\s+(AND|OR)\s+|\s*(&&|\|\|)\s*")


class UnreadableWhere(ValueError):
    """Some part of the clause is neither a term nor a joiner."""


@dataclass(frozen=True)
class Term:
    kind: Kind
    field: str
    value: str

    def holds(self, row: dict[str, Any]) -> bool:
        outer, _, inner = self.field.partition(".")
        value = row.get(outer, "")
        if inner:  # a field of a nested object (Invoice.InvoiceID)
            value = value.get(inner, "") if isinstance(value, dict) else ""
        held = str(value)
        if self.kind == "guid":
            return held.lower() == self.value.lower()
        if self.kind == "equals":
            return held == self.value
        return self.value in held


@dataclass(frozen=True)
class Where:
    """OR-ed groups of AND-ed terms."""

    groups: tuple[tuple[Term, ...], ...]

    @property
    def fields(self) -> frozenset[str]:
        """The top-level fields the clause names (Invoice for Invoice.InvoiceID)."""
        return frozenset(term.field.split(".")[0] for group in self.groups for term in group)

    def matches(self, row: dict[str, Any]) -> bool:
        return any(all(term.holds(row) for term in group) for group in self.groups)

    def select(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row for row in rows if self.matches(row)]


def parse(clause: str) -> Where:
    """The clause read term by term; UnreadableWhere when any part of it is not a term or a
    joiner (an empty clause included)."""
    clause = clause.strip()
    groups: list[list[Term]] = [[]]
    at = 0
    while True:
        term = _term_at(clause, at)
        if term is None:
            raise UnreadableWhere(clause)
        read, at = term
        groups[-1].append(read)
        if at == len(clause):
            return Where(tuple(tuple(group) for group in groups))
        joiner = JOIN.match(clause, at)
        if joiner is None:
            raise UnreadableWhere(clause)
        if (joiner.group(1) or joiner.group(2)) in ("OR", "||"):
            groups.append([])
        at = joiner.end()


def _term_at(clause: str, at: int) -> tuple[Term, int] | None:
    for kind, pattern in TERMS:
        found = pattern.match(clause, at)
        if found is not None:
            value = ESCAPED.sub(r"\1", found.group(2))
            return Term(kind, found.group(1), value), found.end()
    return None
