"""Shared fixtures: one DynamoDB Local for the session, a local stack per test that asks for one."""

from __future__ import annotations

import os
import sys
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import settings

from local import template as cfn
from local.stack import DynamoDBLocal, LocalStack, create_tables

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "specs"

# Generated tests are repeatable: every run, on every machine and in every xdist worker, draws the
# same examples (seeded from the test's own code; no example database replays old failures, no
# deadline to trip on a loaded machine). A test's own @settings still override these. Explore
# with fresh random examples outside the suite: pytest --hypothesis-profile=explore.
settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", derandomize=False, database=None, deadline=None)
settings.load_profile("repeatable")


def _freeze_hypothesis_constants() -> None:
    """Hypothesis also draws string and number constants found in this project's modules, from
    those imported so far. Which those are depends on the tests run before in the process (an
    xdist worker's share), so the same seed drew other examples on each worker. The pool is fixed
    here, at the conftest's imports (local.stack and the code under it), for every run and worker.
    """
    from hypothesis.errors import HypothesisSideeffectWarning
    from hypothesis.internal.conjecture import providers

    with warnings.catch_warnings():  # it reads (and caches) those modules' constants: a blink
        warnings.simplefilter("ignore", HypothesisSideeffectWarning)
        pool = providers._get_local_constants()
    pytest.MonkeyPatch().setattr(providers, "_get_local_constants", lambda: pool)


_freeze_hypothesis_constants()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow go first (each to the next free xdist worker), the rest keep their order:
    a long test started last would leave the other workers idle until it ends."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    """The real DynamoDB engine (DynamoDB Local), started once for the whole run."""
    engine = DynamoDBLocal().start()
    os.environ["CBXERO_DYNAMODB_ENDPOINT"] = engine.endpoint
    try:
        yield engine.endpoint
    finally:
        os.environ.pop("CBXERO_DYNAMODB_ENDPOINT", None)
        engine.stop()


@dataclass(frozen=True)
class LocalTables:
    """A DynamoDB Local client and fresh tables made from template.yaml (logical id -> name)."""

    client: Any
    names: dict[str, str]


@pytest.fixture
def local_tables(dynamodb_local: str) -> LocalTables:
    client = boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_local,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return LocalTables(client, create_tables(client, f"t{uuid.uuid4().hex[:8]}", cfn.load()))


@pytest.fixture
def stack(dynamodb_local: str, capfd: pytest.CaptureFixture[str]) -> Iterator[LocalStack]:
    """The whole product, no AWS: fresh tables (own prefix), queue, emulators and API front.

    Afterwards, every log line the test printed and every response the API served is scanned
    for the tokens and credentials issued meanwhile: none may appear.
    """
    with LocalStack(dynamodb_endpoint=dynamodb_local, quiet=False) as running:
        yield running
        out, err = capfd.readouterr()
        seen = "\n".join([out, err, *running.http_front.transcript])
        leaked = sorted(
            secret[:6] + "..." for secret in running.secrets_in_play() if secret in seen
        )
        assert not leaked, f"secrets leaked into logs or responses: {leaked}"
        sys.stdout.write(out)
        sys.stderr.write(err)


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    if not SPECS.is_dir():
        pytest.skip(f"the official API specs are not at {SPECS} (../shared/specs of the checkout)")
    return SPECS
