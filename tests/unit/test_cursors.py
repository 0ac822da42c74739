"""Page cursors: only those this API signed, for the same reseller and scope, are taken back."""

from __future__ import annotations

import pytest

from cbxero.adapters.cursors import CursorSeal
from cbxero.domain.errors import InvalidInput

KEY = {"pk": {"S": "reseller-a"}, "sk": {"S": "TASK#1"}}


def test_a_cursor_opens_for_its_reseller_and_scope_only() -> None:
    seal = CursorSeal(lambda: b"k" * 32)
    cursor = seal.seal("reseller-a", "tasks {}", KEY)
    assert seal.open("reseller-a", "tasks {}", cursor) == KEY
    refused = [
        ("reseller-b", "tasks {}", cursor),
        ("reseller-a", 'tasks {"status":"new"}', cursor),
        ("reseller-a", "tasks {}", cursor[:-1]),
        ("reseller-a", "tasks {}", cursor.split(".")[0]),
        ("reseller-a", "tasks {}", "x" + cursor),
        ("reseller-a", "tasks {}", ""),
    ]
    for reseller, scope, given in refused:
        with pytest.raises(InvalidInput) as error:
            seal.open(reseller, scope, given)
        assert error.value.field == "cursor"


def test_another_key_makes_other_cursors() -> None:
    cursor = CursorSeal(lambda: b"k" * 32).seal("reseller-a", "tasks {}", KEY)
    with pytest.raises(InvalidInput):
        CursorSeal(lambda: b"j" * 32).open("reseller-a", "tasks {}", cursor)
    with pytest.raises(InvalidInput):
        CursorSeal().open("reseller-a", "tasks {}", cursor)  # a process key of its own


@pytest.mark.parametrize("cursor", ["\u00f1.\U0008daef\u0093", "a.\u00e9", "\u00e9.a", "a.b\x00"])
def test_a_cursor_in_any_characters_is_refused_not_a_fault(cursor: str) -> None:
    # Found by schemathesis (a random seed): hmac.compare_digest raised TypeError on non-ASCII.
    with pytest.raises(InvalidInput):
        CursorSeal(lambda: b"k" * 32).open("reseller-a", "tasks {}", cursor)
