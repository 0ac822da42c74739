"""The suite's own mechanics: generated tests repeat exactly (that a local stack stops quickly,
which needs DynamoDB Local, is in tests/integration/test_local_stack_start.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st


def _draws() -> list[str]:
    drawn: list[str] = []

    # Made at run time, as the fuzz test makes one per operation: only the suite's default
    # profile can seed it.
    @settings(max_examples=200)
    @given(st.text())
    def one(text: str) -> None:
        drawn.append(text)

    one()
    return drawn


def test_generated_tests_draw_the_same_examples_on_every_run() -> None:
    first, second = _draws(), _draws()
    assert len(first) == 200
    assert first == second


def test_the_examples_drawn_do_not_depend_on_the_modules_imported_before(tmp_path: Path) -> None:
    # Hypothesis draws constants from the project's modules imported so far; an xdist worker
    # imports what its share of the tests needs, before a generated test runs.
    first = _draws()
    (tmp_path / "imported_late.py").write_text(f"WORDS = {[f'late-{n}' for n in range(50)]!r}\n")
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.import_module("imported_late")
        assert _draws() == first
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("imported_late", None)
