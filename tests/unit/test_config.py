"""Each function's config model against template.yaml, and its cold start without a variable."""

from __future__ import annotations

import importlib.util
import re
import sys
from typing import Any

import pytest

from cbxero import config as models
from cbxero.config import Config, ConfigError
from local import template as cfn

TEMPLATE = cfn.load()
FUNCTIONS = TEMPLATE.functions()
# Read by Lambda's runtime and Powertools, not by a config model.
RUNTIME = {"LOG_LEVEL", "POWERTOOLS_LOG_LEVEL", "POWERTOOLS_SERVICE_NAME"}


def model_of(logical_id: str) -> type[Config]:
    """The model the function's handler module validates at cold start."""
    source = (TEMPLATE.function(logical_id).code_dir / "app.py").read_text()
    (name,) = set(re.findall(r"\b(\w+Config)\.from_environ\(", source))
    model: type[Config] = getattr(models, name)
    return model


def variables(model: type[Config], *, required: bool) -> set[str]:
    return {
        name.upper()
        for name, field in model.model_fields.items()
        if field.is_required() or not required
    }


class _Placeholders(dict[str, Any]):
    """Any resource the template refers to, as a made-up name (parameters keep their default)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return f"https://local.example/{key.lower()}"


def environment(logical_id: str) -> dict[str, str]:
    refs = _Placeholders(TEMPLATE.parameter_defaults())
    return {
        name: str(cfn.resolve(value, refs))
        for name, value in TEMPLATE.function(logical_id).environment.items()
    }


def cold_start(logical_id: str, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports the function's handler module as Lambda's init does, in this environment."""
    function = TEMPLATE.function(logical_id)
    for name in {*environment(logical_id), *environ}:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", **environ}.items():
        monkeypatch.setenv(name, value)
    module_name = f"cold_start_{logical_id}"
    spec = importlib.util.spec_from_file_location(module_name, function.code_dir / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, module_name, module)
    spec.loader.exec_module(module)


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_variable_a_function_requires_is_set_for_it_in_the_template(
    logical_id: str,
) -> None:
    """So that the deployed stack cannot fail its cold start; and no variable goes unread."""
    model, set_here = model_of(logical_id), set(TEMPLATE.function(logical_id).environment)
    assert variables(model, required=True) - set_here == set()
    assert set_here - variables(model, required=False) - RUNTIME == set()


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_a_function_starts_with_the_environment_the_template_gives_it(
    logical_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold_start(logical_id, environment(logical_id), monkeypatch)


@pytest.mark.parametrize(
    ("logical_id", "variable"),
    [
        (logical_id, variable)
        for logical_id in FUNCTIONS
        for variable in sorted(variables(model_of(logical_id), required=True))
    ],
)
def test_a_function_started_without_a_variable_it_needs_fails_its_cold_start_naming_it(
    logical_id: str, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before issue 10 most of these started, and failed at the first request that needed one.
    environ = {k: v for k, v in environment(logical_id).items() if k != variable}
    with pytest.raises(ConfigError, match=rf"\b{variable} \(Field required\)"):
        cold_start(logical_id, environ, monkeypatch)


def test_an_empty_or_invalid_variable_fails_naming_it_too() -> None:
    environ = environment("WorkerFunction")
    with pytest.raises(ConfigError, match=r"SYNC_QUEUE_URL \(String should have at least"):
        models.WorkerConfig.from_environ({**environ, "SYNC_QUEUE_URL": ""})
    with pytest.raises(ConfigError, match=r"XERO_DAILY_BUDGET \(Input should be a valid int"):
        models.WorkerConfig.from_environ({**environ, "XERO_DAILY_BUDGET": "lots"})


def test_lists_are_read_from_their_template_form() -> None:
    config = models.OAuthConfig.from_environ(
        {
            **environment("OAuthFunction"),
            "XERO_SCOPES": "offline_access  accounting.invoices",
            "ALLOWED_RETURN_HOSTS": "store.example.com, localhost:8080,",
        }
    )
    assert config.xero_scopes == ["offline_access", "accounting.invoices"]
    assert config.allowed_return_hosts == ["store.example.com", "localhost:8080"]


@pytest.mark.parametrize("logical_id", FUNCTIONS)
@pytest.mark.parametrize("value", ["   ", "\t", " \n "])
def test_a_variable_of_only_whitespace_fails_the_cold_start_naming_it(
    logical_id: str, value: str
) -> None:
    # Found by the attack of 2026-11-27: "   " passed the models' str_min_length=1, so a
    # function started with a blank table name, queue or secret and failed at its first call.
    model, environ = model_of(logical_id), environment(logical_id)
    for variable in sorted(variables(model, required=False)):
        with pytest.raises(ConfigError, match=rf"\b{variable} \("):
            model.from_environ({**environ, variable: value})


@pytest.mark.parametrize(
    ("logical_id", "variable", "value"),
    [
        ("WorkerFunction", "SYNC_MAX_RECEIVES", "0"),
        ("WorkerFunction", "SYNC_MAX_RECEIVES", "-1"),
        ("WorkerFunction", "XERO_DAILY_BUDGET", "0"),
        ("SettingsFunction", "XERO_DAILY_BUDGET", "-5"),
        ("OAuthFunction", "ALLOWED_RETURN_HOSTS", " , "),
        ("OAuthFunction", "XERO_SCOPES", ""),
        ("OAuthFunction", "TOKENS_TABLE", "cbxero\x00tokens"),
        ("DispatcherFunction", "SYNC_QUEUE_URL", "not a url"),
        ("WorkerFunction", "MARKETPLACE_API_URL", "ftp://simpleapi.example"),
        ("OAuthFunction", "XERO_REDIRECT_URI", "/xero/callback"),
        ("XeroWebhookFunction", "XERO_EVENTS_QUEUE_URL", "events-queue"),
        ("XeroWebhookFunction", "XERO_WEBHOOK_KEY_NAME", "cbxero\nwebhook-key"),
    ],
)
def test_a_value_the_function_cannot_work_with_fails_the_cold_start_naming_it(
    logical_id: str, variable: str, value: str
) -> None:
    # Found by the attack of 2026-11-27: each of these started, and failed (or refused every
    # connect, or dead-lettered every job at once) only when a request or a job came.
    model = model_of(logical_id)
    with pytest.raises(ConfigError, match=rf"\b{variable} \("):
        model.from_environ({**environment(logical_id), variable: value})
