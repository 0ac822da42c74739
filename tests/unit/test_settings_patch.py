"""PATCH /settings takes every setting, with the setting's own type, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cbxero.domain.settings import CLEARABLE, Settings, SettingsPatch


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
    if name == CLEARABLE:
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
