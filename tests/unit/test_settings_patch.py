"""PATCH /settings takes every setting, with the setting's own type, and nothing else."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cbxero.domain.settings import (
    CLEARABLE,
    DueDateRule,
    DueDateTerms,
    Settings,
    SettingsPatch,
)


def _shape(schema: dict[str, Any]) -> dict[str, Any]:
    # What a field takes, apart from what the document says about it.
    return {k: v for k, v in schema.items() if k not in ("default", "description")}


def test_every_setting_is_patchable_and_nothing_else() -> None:
    assert list(SettingsPatch.model_fields) == list(Settings.model_fields)


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_a_patch_takes_each_setting_with_its_own_type(name: str) -> None:
    whole = Settings.model_json_schema()
    patch = SettingsPatch.model_json_schema()
    assert _shape(patch["properties"][name]) == _shape(whole["properties"][name])
    assert patch.get("$defs", {}) == whole.get("$defs", {})
    value = Settings().model_dump(mode="json")[name]
    assert SettingsPatch.model_validate({name: value}).applied_to(Settings()) == Settings()


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_null_is_refused_but_where_it_clears(name: str) -> None:
    if name in CLEARABLE:
        assert SettingsPatch.model_validate({name: None}).model_dump(exclude_unset=True) == {
            name: None
        }
    else:
        with pytest.raises(ValidationError, match="null is no value"):
            SettingsPatch.model_validate({name: None})


def test_a_field_no_setting_has_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        SettingsPatch.model_validate({"colour": "blue"})


def test_a_patch_changes_only_what_it_names() -> None:
    current = Settings(trim_descriptions=True, tax_type="OUTPUT")
    patched = SettingsPatch.model_validate({"tax_type": None}).applied_to(current)
    assert patched == current.model_copy(update={"tax_type": None})


def test_booleans_stay_strict() -> None:
    with pytest.raises(ValidationError):
        SettingsPatch.model_validate({"trim_descriptions": "yes"})


def _strategy_of(annotation: Any) -> st.SearchStrategy[Any]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is DueDateTerms:
        return st.builds(
            DueDateTerms, rule=st.sampled_from(list(DueDateRule)), days=st.integers(0, 365)
        )
    raise AssertionError(f"no strategy for {annotation}")  # a new kind of setting: add one


CODES = st.from_regex(r"\A[A-Za-z0-9._-]{1,10}\Z")
SETTINGS = st.builds(
    Settings,
    sales_account_code=st.none() | CODES,
    tax_type=st.none() | st.from_regex(r"\A[A-Za-z0-9_]{1,50}\Z"),
    payments_account_code=st.none() | CODES,
    **{
        name: _strategy_of(field.annotation)
        for name, field in Settings.model_fields.items()
        if name not in ("sales_account_code", "tax_type", "payments_account_code")
    },
)


@settings(derandomize=True, max_examples=200)
@given(
    current=SETTINGS, wanted=SETTINGS, names=st.sets(st.sampled_from(list(Settings.model_fields)))
)
def test_a_patch_round_trips_through_json_and_changes_exactly_what_it_names(
    current: Settings, wanted: Settings, names: set[str]
) -> None:
    """A PATCH of some settings, as the store sends it (JSON), read back and applied: those
    settings take the new values, every other keeps its own; a PATCH of every setting is a PUT."""
    sent = json.dumps({name: wanted.model_dump(mode="json")[name] for name in names})
    patched = SettingsPatch.model_validate_json(sent).applied_to(current)
    assert patched == current.model_copy(update={n: getattr(wanted, n) for n in names})
    assert Settings.model_validate_json(patched.model_dump_json()) == patched
    whole = json.dumps(wanted.model_dump(mode="json"))
    assert SettingsPatch.model_validate_json(whole).applied_to(current) == wanted
