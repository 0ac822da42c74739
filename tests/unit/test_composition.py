"""The composition root: one container per function, paying at start only for what it uses."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero import composition
from cbxero.config import (
    Config,
    DispatcherConfig,
    OAuthConfig,
    SettingsConfig,
    WorkerConfig,
)
from cbxero.ports import JobQueue, Marketplace, SyncJob
from tests.fakes import FakeMarketplace, FakeQueue

ENVIRONMENT = {
    "RESELLERS_TABLE": "resellers",
    "MAPPINGS_TABLE": "mappings",
    "TASKS_TABLE": "tasks",
    "ACTION_LOG_TABLE": "action-log",
    "TOKENS_TABLE": "tokens",
    "TOKEN_KEY_ID": "key",
    "RATE_LIMITS_TABLE": "limits",
    "SYNC_QUEUE_URL": "https://sqs.example/queue",
    "XERO_SECRET_NAME": "xero",
    "XERO_REDIRECT_URI": "https://api.example/xero/callback",
    "XERO_SCOPES": "offline_access accounting.invoices",
    "ALLOWED_RETURN_HOSTS": "store.example.com",
    "MARKETPLACE_API_URL": "https://simpleapi.example",
    "MARKETPLACE_SECRET_NAME": "marketplace",
}


def test_a_deferred_port_builds_its_adapter_at_its_first_call_and_once() -> None:
    built: list[FakeQueue] = []

    def build() -> JobQueue:
        built.append(FakeQueue())
        return built[-1]

    queue = composition.deferred(JobQueue, build)
    assert isinstance(queue, JobQueue)
    assert built == []
    job = SyncJob(reseller_id="r-1", customer_id="c-1", slot="s")
    assert queue.send([job, job]) == 2
    assert queue.send([job]) == 1
    assert len(built) == 1 and built[0].jobs == [job] * 3


def test_a_deferred_port_forwards_every_method_of_the_port() -> None:
    market = FakeMarketplace()
    deferred = composition.deferred(Marketplace, lambda: market)
    calls: list[str] = []

    def spy(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Sequence[Any]:
            calls.append(name)
            return []

        return call

    methods = sorted(Marketplace.__abstractmethods__)
    for name in methods:
        setattr(market, name, spy(name))
    for name in methods:
        getattr(deferred, name)(*(["x"] * (getattr(Marketplace, name).__code__.co_argcount - 1)))
    assert calls == methods


# The use cases each function's handler takes from its container.
SERVED: dict[type[Config], tuple[str, ...]] = {
    OAuthConfig: ("connector",),
    SettingsConfig: ("admin", "task_desk", "mapping_desk"),
    DispatcherConfig: ("dispatcher",),
    WorkerConfig: ("customer_sync", "queue"),
}


@pytest.mark.parametrize("model", list(SERVED), ids=lambda model: model.__name__)
def test_a_function_builds_its_use_cases_without_a_secret_or_any_client_but_dynamodb(
    model: type[Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    monkeypatch.setattr(composition, "aws_client", lambda service: made.append(service))
    monkeypatch.setattr(composition, "_secret", lambda name: pytest.fail(f"{name} read at start"))
    container = composition.Container(model.from_environ(ENVIRONMENT))
    for use_case in SERVED[model]:
        getattr(container, use_case)
    assert made == ["dynamodb"]


def test_the_use_cases_of_one_container_share_its_repositories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(composition, "aws_client", lambda service: object())
    container = composition.Container(SettingsConfig.from_environ(ENVIRONMENT))
    assert container.admin._settings is container.task_desk._settings is container.settings


def test_a_use_case_wired_for_a_function_whose_model_lacks_its_settings_fails_naming_them() -> None:
    container = composition.Container(DispatcherConfig.from_environ(ENVIRONMENT))
    with pytest.raises(TypeError, match="DispatcherConfig lacks the OAuthConfig settings"):
        container.connector  # noqa: B018 - the property builds it


# The secrets each function may read (template.yaml's policies, the README's table).
SECRETS_ALLOWED: dict[type[Config], set[str]] = {
    OAuthConfig: {"xero"},
    SettingsConfig: {"xero", "marketplace"},
    DispatcherConfig: set(),
    WorkerConfig: {"xero", "marketplace"},
}
PARTS = sorted(
    name
    for name, member in inspect.getmembers(composition.Container)
    if isinstance(member, functools.cached_property)
)
FAKE_SECRETS = {
    "xero": {"client_id": "id", "client_secret": "secret-value"},
    "marketplace": {"username": "u", "password": "p", "subscription_key": "k"},
}


@settings(derandomize=True, max_examples=60)
@given(
    model=st.sampled_from(list(SECRETS_ALLOWED)),
    order=st.permutations(PARTS),
    force=st.booleans(),
)
def test_no_container_builds_a_secret_reading_adapter_its_function_does_not_need(
    model: type[Config], order: list[str], force: bool
) -> None:
    """Whatever a function's container is asked for, in whatever order, and even when each
    deferred adapter is then built: it reads only the secrets its function may read, and a part
    that needs settings its model lacks is refused (TypeError), never built half-wired."""
    read: list[str] = []
    refused: list[str] = []

    def secret(name: str) -> dict[str, Any]:
        read.append(name)
        return FAKE_SECRETS[name]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(composition, "aws_client", lambda service: mock.MagicMock(name=service))
        patch.setattr(composition, "_secret", secret)
        container = composition.Container(model.from_environ(ENVIRONMENT))
        for name in order:
            try:
                part = getattr(container, name)
            except TypeError as lacking:
                refused.append(str(lacking))
                continue
            if force and isinstance(part, composition._Deferred):
                part._target  # noqa: B018 - builds the adapter
    assert all(f"{model.__name__} lacks the" in problem for problem in refused)
    if force:  # every part it could build was built: exactly its own secrets were read
        assert set(read) == SECRETS_ALLOWED[model], (model.__name__, read)
    else:  # wired, nothing called: no secret read at all
        assert read == [], (model.__name__, read)
