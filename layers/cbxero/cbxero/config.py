"""The functions' environment: one model per function, validated at cold start.

Each function reads the variables template.yaml sets for it (their names are the fields,
upper-cased) into its own model: the settings every function shares, plus one group of settings
per thing it uses (the queue, the marketplace, the Xero app, the token store, Xero's accounting
API). A variable missing or invalid fails the cold start with its name, not the first request
that needs it; `tests/unit/test_config.py` keeps each model and the template in step.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from typing import Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)


class ConfigError(RuntimeError):
    """An environment variable this function needs is missing or invalid: a deployment mistake."""


class Config(BaseModel):
    """What every function reads (the template's Globals)."""

    # Built when validated: a function builds only its own model. A value is read without the
    # blanks around it, so one of only blanks is as missing as an empty one.
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        str_strip_whitespace=True,
        str_min_length=1,
        defer_build=True,
    )

    stage: str = "dev"
    reseller_claim: str = "reseller_id"
    resellers_table: str
    mappings_table: str
    tasks_table: str
    action_log_table: str

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: object, info: ValidationInfo) -> object:
        """No control character in a name, and an address (`*_url`, `*_uri`) is an absolute
        http(s) URL: such a value would otherwise fail only at the first call that uses it."""
        for text in value if isinstance(value, list) else [value]:
            if not isinstance(text, str):
                continue
            if any(unicodedata.category(c).startswith("C") for c in text):
                raise ValueError("a control character in the value")
            if (info.field_name or "").endswith(("_url", "_uri")):
                parts = urlsplit(text)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise ValueError("not an absolute http(s) URL")
        return value

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        """This function's settings from its environment (the process's, unless given)."""
        values = os.environ if environ is None else environ
        try:
            return cls.model_validate({name.lower(): value for name, value in values.items()})
        except ValidationError as invalid:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']).upper()} ({error['msg']})"
                for error in invalid.errors(include_input=False, include_url=False)
            )
            raise ConfigError(
                f"environment variables missing or invalid for this function: {problems}"
            ) from None


def _given(items: list[str]) -> list[str]:
    """A list variable that is set names at least one item (set but blank is a mistake)."""
    if not items:
        raise ValueError("no item in the list")
    return items


# ---------------------------------------------------------------------- groups of settings
class QueueConfig(Config):
    """The sync queue, to send jobs to."""

    sync_queue_url: str


class MarketplaceConfig(Config):
    """SimpleAPI: its address and the provider credentials' secret."""

    marketplace_api_url: str
    marketplace_secret_name: str


class XeroAppConfig(Config):
    """The Xero app: its client credentials' secret and Xero's addresses."""

    xero_secret_name: str
    xero_identity_url: str = "https://identity.xero.com"
    xero_login_url: str = "https://login.xero.com"
    xero_api_url: str = "https://api.xero.com"
    xero_redirect_uri: str = ""  # only the OAuth function sends users to Xero
    xero_scopes: list[str] = Field(default_factory=list)

    @field_validator("xero_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        return _given(value.split()) if isinstance(value, str) else value


class TokenStoreConfig(XeroAppConfig):
    """Resellers' Xero connections, their tokens sealed with a KMS key."""

    tokens_table: str
    token_key_id: str


class XeroApiConfig(TokenStoreConfig):
    """A reseller's Xero accounting, through the rate governor."""

    rate_limits_table: str
    xero_daily_budget: PositiveInt = 5000


# ---------------------------------------------------------------------- one model per function
class OAuthConfig(TokenStoreConfig):
    xero_redirect_uri: str
    xero_scopes: list[str]
    allowed_return_hosts: list[str]
    # The SSM parameter holding the web app's host (template.yaml's WebHostParameter), allowed
    # as a return host too: the template cannot name the distribution here without a cycle.
    app_host_parameter: str | None = None

    @field_validator("allowed_return_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return _given([host.strip() for host in value.split(",") if host.strip()])
        return value


class SettingsConfig(QueueConfig, MarketplaceConfig, XeroApiConfig):
    pass


class DispatcherConfig(QueueConfig):
    pass


class WorkerConfig(QueueConfig, MarketplaceConfig, XeroApiConfig):
    sync_max_receives: PositiveInt = 5


class XeroEventsConfig(XeroApiConfig):
    """What Xero changed: events from the queue, and the scheduled poll."""


class WebhookConfig(Config):
    """Xero's webhook receiver: the signing key's secret and the queue its events go to."""

    xero_webhook_key_name: str
    xero_events_queue_url: str


class DriftConfig(MarketplaceConfig, XeroApiConfig):
    pass
