"""The README's table of Xero's certification checkpoints names the tests that show each one:
every test it names exists (a renamed or deleted test fails here, not in a reviewer's hands)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)`|`::(\w+)`")


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Xero's certification checkpoints")
    return text[start : text.index("\n## ", start + 1)]


def _tests_in(path: Path) -> set[str]:
    """Test functions as pytest names them: `test_x`, `TestClass::test_x`."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            found.add(node.name)
        if isinstance(node, ast.ClassDef):
            found.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test_")
            )
    return found


def test_every_test_the_checkpoints_table_names_exists() -> None:
    named: list[tuple[str, str]] = []
    for row in _section().splitlines():
        last = None
        for match in NAMED.finditer(row):
            path, name, same_file = match.groups()
            last = path or last  # "`::name`" is another test of the file named before
            assert last is not None, row
            named.append((last, name or same_file))
    assert len(named) >= 15
    missing = [f"{p}::{n}" for p, n in named if n not in _tests_in(ROOT / p)]
    assert missing == []


def test_each_applicable_checkpoint_has_a_row() -> None:
    rows = [line.split("|")[1].strip() for line in _section().splitlines() if line[:2] == "| "]
    assert {"3", "4", "5", "6", "7", "8", "9", "old 6", "old 9", "old 10", "old 11"} <= set(rows)
