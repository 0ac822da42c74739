"""The composition root: real adapters wired into the use cases, once per cold start."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import boto3
import requests

from cbxero.adapters.cursors import CursorSeal
from cbxero.adapters.dynamo import (
    DynamoActionLog,
    DynamoConnectionRepository,
    DynamoCustomerLinkRepository,
    DynamoOAuthStateStore,
    DynamoOrganisationRecord,
    DynamoPendingGrantStore,
    DynamoProductMappingRepository,
    DynamoSettingsRepository,
    DynamoTaskRepository,
)
from cbxero.config import Config
from cbxero.domain.marketplace import MarketplaceCustomer, MarketplaceOrder, MarketplaceProduct
from cbxero.domain.model import ConnectionStatus, TokenSet, XeroTenant
from cbxero.ports import (
    Clock,
    JobQueue,
    Marketplace,
    RateGovernor,
    SyncJob,
    TokenCipher,
    XeroAccounting,
    XeroAuthorizer,
)

if TYPE_CHECKING:
    from cbxero.adapters.marketplace import SimpleApiClient
    from cbxero.adapters.sqs import SqsJobQueue
    from cbxero.adapters.xero import XeroIdentity
    from cbxero.services.admin import ResellerAdmin
    from cbxero.services.connection import TokenVault, XeroConnector
    from cbxero.services.dispatch import Dispatcher
    from cbxero.services.mapping import MappingDesk
    from cbxero.services.sync import CustomerSync
    from cbxero.services.tasks import TaskDesk

SECRET_MAX_AGE = 300


@cache
def aws_client(service: str) -> Any:
    """One boto3 client per service for the life of the container."""
    return boto3.client(service)  # type: ignore[call-overload]


@cache
def http_session() -> requests.Session:
    return requests.Session()


def _dynamodb() -> Any:
    return aws_client("dynamodb")


def _secret(name: str) -> dict[str, Any]:
    # Powertools Parameters caches the secret for SECRET_MAX_AGE seconds across invocations.
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(name, transform="json", max_age=SECRET_MAX_AGE)
    if not isinstance(value, dict):
        raise RuntimeError(f"secret {name} is not a JSON object")
    return value


# Adapters whose construction costs a network call (a secret) or a client that only some
# requests use are built on first use, so a cold start pays only for what it needs.
class DeferredJobQueue(JobQueue):
    def __init__(self, build: Callable[[], JobQueue]) -> None:
        self._build = build

    @cached_property
    def _target(self) -> JobQueue:
        return self._build()

    def send(self, jobs: Sequence[SyncJob]) -> int:
        return self._target.send(jobs)


class DeferredAuthorizer(XeroAuthorizer):
    def __init__(self, build: Callable[[], XeroAuthorizer]) -> None:
        self._build = build

    @cached_property
    def _target(self) -> XeroAuthorizer:
        return self._build()

    def authorization_url(self, state: str, code_challenge: str) -> str:
        return self._target.authorization_url(state, code_challenge)

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        return self._target.exchange_code(code, code_verifier)

    def refresh(self, tokens: TokenSet) -> TokenSet:
        return self._target.refresh(tokens)

    def tenants(self, tokens: TokenSet) -> list[XeroTenant]:
        return self._target.tenants(tokens)

    def revoke(self, tokens: TokenSet) -> None:
        self._target.revoke(tokens)

    def disconnect(self, tokens: TokenSet, connection_id: str) -> None:
        self._target.disconnect(tokens, connection_id)


class DeferredMarketplace(Marketplace):
    def __init__(self, build: Callable[[], Marketplace]) -> None:
        self._build = build

    @cached_property
    def _target(self) -> Marketplace:
        return self._build()

    def orders(self, customer_id: str, created_from: datetime) -> list[MarketplaceOrder]:
        return self._target.orders(customer_id, created_from)

    def order(self, order_id: str) -> MarketplaceOrder:
        return self._target.order(order_id)

    def customer(self, reseller_id: str, customer_id: str) -> MarketplaceCustomer:
        return self._target.customer(reseller_id, customer_id)

    def customers(self, reseller_id: str) -> list[MarketplaceCustomer]:
        return self._target.customers(reseller_id)

    def products(self) -> list[MarketplaceProduct]:
        return self._target.products()


def _queue(config: Config) -> DeferredJobQueue:
    def build() -> SqsJobQueue:
        from cbxero.adapters.sqs import SqsJobQueue

        return SqsJobQueue(aws_client("sqs"), config.require("sync_queue_url"))

    return DeferredJobQueue(build)


def _identity(config: Config, clock: Clock) -> DeferredAuthorizer:
    return DeferredAuthorizer(lambda: _xero_identity(config, clock))


def _marketplace(config: Config, clock: Clock) -> DeferredMarketplace:
    def build() -> SimpleApiClient:
        from cbxero.adapters.marketplace import SimpleApiClient

        market = _secret(config.require("marketplace_secret_name"))
        return SimpleApiClient(
            base_url=config.require("marketplace_api_url"),
            username=market["username"],
            password=market["password"],
            subscription_key=market["subscription_key"],
            http=http_session(),
            clock=clock,
        )

    return DeferredMarketplace(build)


def _xero_identity(config: Config, clock: Clock) -> XeroIdentity:
    from cbxero.adapters.xero import XeroIdentity

    credentials = _secret(config.require("xero_secret_name"))
    return XeroIdentity(
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        redirect_uri=config.xero_redirect_uri or "",
        scopes=config.xero_scopes,
        login_url=config.xero_login_url,
        identity_url=config.xero_identity_url,
        api_url=config.xero_api_url,
        http=http_session(),
        clock=clock,
    )


def _cursor_seal(config: Config) -> CursorSeal:
    """The lists' cursor key, derived from the app's Xero client secret (read on the first page
    served, not at start): no secret of its own to provision; rotating it ends open cursors."""

    def key() -> bytes:
        secret = _secret(config.require("xero_secret_name"))["client_secret"]
        return hashlib.sha256(b"cbxero-page-cursor:" + secret.encode()).digest()

    return CursorSeal(key)


def admin(config: Config, clock: Clock) -> ResellerAdmin:
    from cbxero.services.admin import ResellerAdmin

    db, cursors = _dynamodb(), _cursor_seal(config)
    return ResellerAdmin(
        settings=DynamoSettingsRepository(db, config.resellers_table),
        links=DynamoCustomerLinkRepository(db, config.mappings_table),
        mappings=DynamoProductMappingRepository(db, config.mappings_table),
        tasks=DynamoTaskRepository(db, config.tasks_table, cursors=cursors),
        action_log=DynamoActionLog(db, config.action_log_table, cursors=cursors),
        queue=_queue(config),
        clock=clock,
    )


def task_desk(config: Config, clock: Clock) -> TaskDesk:
    from cbxero.services.tasks import TaskDesk

    db, cursors = _dynamodb(), _cursor_seal(config)
    return TaskDesk(
        settings=DynamoSettingsRepository(db, config.resellers_table),
        mappings=DynamoProductMappingRepository(db, config.mappings_table),
        tasks=DynamoTaskRepository(db, config.tasks_table, cursors=cursors),
        marketplace=_marketplace(config, clock),
        action_log=DynamoActionLog(db, config.action_log_table, cursors=cursors),
        queue=_queue(config),
        clock=clock,
    )


def dispatcher(config: Config) -> Dispatcher:
    from cbxero.services.dispatch import Dispatcher

    db = _dynamodb()
    return Dispatcher(
        settings=DynamoSettingsRepository(db, config.resellers_table),
        links=DynamoCustomerLinkRepository(db, config.mappings_table),
        tasks=DynamoTaskRepository(db, config.tasks_table),
        queue=_queue(config),
    )


def _status_mirror(config: Config) -> Callable[[str, ConnectionStatus], None]:
    return DynamoSettingsRepository(_dynamodb(), config.resellers_table).set_connection_status


def continuation(config: Config) -> Callable[[str, dict[str, Any]], None]:
    """How the dispatcher hands the rest of a run to a new invocation of itself (asynchronous
    Lambda invoke). The local stack swaps in a direct call."""
    del config

    def invoke(function_arn: str, payload: dict[str, Any]) -> None:
        aws_client("lambda").invoke(
            FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(payload)
        )

    return invoke


class DeferredTokenCipher(TokenCipher):
    def __init__(self, build: Callable[[], TokenCipher]) -> None:
        self._build = build

    @cached_property
    def _target(self) -> TokenCipher:
        return self._build()

    def seal(self, reseller_id: str, plaintext: bytes) -> bytes:
        return self._target.seal(reseller_id, plaintext)

    def open(self, reseller_id: str, sealed: bytes) -> bytes:
        return self._target.open(reseller_id, sealed)


def _cipher(config: Config) -> TokenCipher:
    def build() -> TokenCipher:
        from cbxero.adapters.kms import KmsTokenCipher

        return KmsTokenCipher(aws_client("kms"), config.require("token_key_id"))

    return DeferredTokenCipher(build)


def _state_key(config: Config) -> bytes:
    # Derived from the app's client secret: rotating the secret invalidates pending states.
    secret = _secret(config.require("xero_secret_name"))["client_secret"]
    return hashlib.sha256(b"cbxero-oauth-state:" + secret.encode()).digest()


def connector(config: Config, clock: Clock) -> XeroConnector:
    from cbxero.services.connection import StateSigner, XeroConnector

    db = _dynamodb()
    tokens_table = config.require("tokens_table")
    return XeroConnector(
        states=DynamoOAuthStateStore(db, tokens_table),
        pending=DynamoPendingGrantStore(db, tokens_table, _cipher(config)),
        signer=StateSigner(lambda: _state_key(config)),
        connections=DynamoConnectionRepository(
            db, tokens_table, _cipher(config), mirror=_status_mirror(config)
        ),
        organisations=DynamoOrganisationRecord(db, config.mappings_table),
        vault=token_vault(config, clock),
        identity=_identity(config, clock),
        action_log=DynamoActionLog(db, config.action_log_table),
        clock=clock,
        allowed_return_hosts=config.allowed_return_hosts,
    )


def token_vault(config: Config, clock: Clock) -> TokenVault:
    from cbxero.services.connection import TokenVault

    return TokenVault(
        connections=DynamoConnectionRepository(
            _dynamodb(),
            config.require("tokens_table"),
            _cipher(config),
            mirror=_status_mirror(config),
        ),
        identity=_identity(config, clock),
        action_log=DynamoActionLog(_dynamodb(), config.action_log_table),
        clock=clock,
    )


def job_queue(config: Config) -> JobQueue:
    return _queue(config)


def xero_accounting(config: Config, clock: Clock) -> Callable[[str], XeroAccounting]:
    """A reseller's governed Xero client, its tokens from the vault (refreshed as needed).
    The vault, governor and client code are built on the first call, not at init: the
    Settings function serves most requests without Xero."""

    @cache
    def parts() -> tuple[TokenVault, RateGovernor]:
        import time

        from cbxero.adapters.governor import DynamoRateGovernor, XeroLimits

        governor = DynamoRateGovernor(
            _dynamodb(),
            config.require("rate_limits_table"),
            clock=clock,
            sleep=time.sleep,
            limits=XeroLimits(per_day=config.xero_daily_budget),
        )
        return token_vault(config, clock), governor

    def xero_for(reseller_id: str) -> XeroAccounting:
        from cbxero.adapters.xero import XeroClient

        vault, governor = parts()
        connection = vault.connection(reseller_id)
        if connection.tenant is None or connection.tokens is None:
            raise RuntimeError("the token vault handed out an unusable connection")
        return XeroClient(
            api_url=config.xero_api_url,
            tenant_id=connection.tenant.tenant_id,
            access_token=connection.tokens.access_token.get_secret_value(),
            http=http_session(),
            governor=governor,
            on_refused=lambda: vault.refused(reseller_id),
        )

    return xero_for


def customer_sync(config: Config, clock: Clock) -> CustomerSync:
    from cbxero.adapters.problems import problem_of
    from cbxero.services.sync import CustomerSync

    db = _dynamodb()
    xero_for = xero_accounting(config, clock)
    return CustomerSync(
        settings=DynamoSettingsRepository(db, config.resellers_table),
        links=DynamoCustomerLinkRepository(db, config.mappings_table),
        mappings=DynamoProductMappingRepository(db, config.mappings_table),
        tasks=DynamoTaskRepository(db, config.tasks_table),
        action_log=DynamoActionLog(db, config.action_log_table),
        marketplace=_marketplace(config, clock),
        xero=xero_for,
        clock=clock,
        describe=problem_of,
    )


def mapping_desk(config: Config, clock: Clock) -> MappingDesk:
    from cbxero.services.mapping import MappingDesk

    db = _dynamodb()
    return MappingDesk(
        settings=DynamoSettingsRepository(db, config.resellers_table),
        links=DynamoCustomerLinkRepository(db, config.mappings_table),
        mappings=DynamoProductMappingRepository(db, config.mappings_table),
        marketplace=_marketplace(config, clock),
        xero=xero_accounting(config, clock),
        action_log=DynamoActionLog(db, config.action_log_table),
        clock=clock,
    )
