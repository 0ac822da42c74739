"""A state with any characters is simply not ours: never an exception (a 5xx at the callback).
Found by fuzzing the OAuth routes once they joined the OpenAPI document."""

from __future__ import annotations

import pytest

from cbxero.services.connection import StateSigner


@pytest.mark.parametrize(
    "state", ["\x0e\U0004f10d«\U000bcb6e.\x8b\n\x87", "abc.é", "é.abc", ".", "", "a.b.c"]
)
def test_a_state_with_any_characters_is_refused_not_an_error(state: str) -> None:
    assert StateSigner(lambda: b"test-key").is_ours(state) is False


def test_a_state_it_made_is_ours() -> None:
    signer = StateSigner(lambda: b"test-key")
    assert signer.is_ours(signer.new_state())
