"""The functions' environment, read once at cold start into a validated model."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Config(BaseModel):
    """Environment variables set by template.yaml (names are these fields, upper-cased)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = "dev"
    reseller_claim: str = "reseller_id"
    resellers_table: str
    mappings_table: str
    tasks_table: str
    action_log_table: str
    tokens_table: str | None = None
    token_key_id: str | None = None
    rate_limits_table: str | None = None
    xero_daily_budget: int = 5000
    sync_max_receives: int = 5
    sync_queue_url: str | None = None
    xero_secret_name: str | None = None
    xero_redirect_uri: str | None = None
    xero_scopes: list[str] = Field(default_factory=list)
    xero_identity_url: str = "https://identity.xero.com"
    xero_login_url: str = "https://login.xero.com"
    xero_api_url: str = "https://api.xero.com"
    allowed_return_hosts: list[str] = Field(default_factory=list)
    marketplace_api_url: str | None = None
    marketplace_secret_name: str | None = None

    @field_validator("xero_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        return value.split() if isinstance(value, str) else value

    @field_validator("allowed_return_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip() for host in value.split(",") if host.strip()]
        return value

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        return cls.model_validate({name.lower(): value for name, value in environ.items()})

    def require(self, name: str) -> str:
        """A setting this function cannot run without; its absence is a deployment mistake."""
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"environment variable {name.upper()} is not set for this function")
        return str(value)


@cache
def config() -> Config:
    return Config.from_environ(os.environ)
