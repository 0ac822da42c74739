"""Shared fixtures: one DynamoDB Local for the session, a local stack per test that asks for one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.stack import DynamoDBLocal, LocalStack

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "specs"


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


@pytest.fixture
def stack(dynamodb_local: str) -> Iterator[LocalStack]:
    """The whole product, no AWS: fresh tables (own prefix), queue, emulators and API front."""
    with LocalStack(dynamodb_endpoint=dynamodb_local, quiet=True) as running:
        yield running


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    if not SPECS.is_dir():
        pytest.skip(f"the official API specs are not at {SPECS} (../shared/specs of the checkout)")
    return SPECS
