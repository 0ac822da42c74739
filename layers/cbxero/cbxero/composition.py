"""The composition root: one container per function, wiring real adapters into the use cases.

A function builds its `Container` from its config at cold start and takes the use cases it
serves from it. Everything is built on first use and then kept for the life of the Lambda
container; an adapter whose construction costs a secret read, an AWS client or code that only
some invocations need is deferred further, to its first call (`deferred`), so that a cold start
pays only for what it uses.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast

import boto3
import requests

from cbxero.adapters.cursors import CursorSeal
from cbxero.adapters.dynamo import (
    DynamoActionLog,
    DynamoConnectionRepository,
    DynamoCustomerLinkRepository,
    DynamoOAuthStateStore,
    DynamoOrganisationDirectory,
    DynamoOrganisationRecord,
    DynamoPendingGrantStore,
    DynamoPollCursors,
    DynamoProductMappingRepository,
    DynamoSettingsRepository,
    DynamoTaskRepository,
)
from cbxero.config import (
    Config,
    MarketplaceConfig,
    OAuthConfig,
    QueueConfig,
    TokenStoreConfig,
    XeroApiConfig,
    XeroAppConfig,
)
from cbxero.ports import (
    Budget,
    Clock,
    HistoryRecord,
    JobQueue,
    Marketplace,
    RateGovernor,
    TaskFigures,
    TokenCipher,
    XeroAccounting,
    XeroAuthorizer,
)

if TYPE_CHECKING:
    from cbxero.adapters.dynamo.drift import DynamoDriftRecords
    from cbxero.services.admin import ResellerAdmin
    from cbxero.services.bulk import TaskBulk
    from cbxero.services.connection import TokenVault, XeroConnector
    from cbxero.services.dashboard import DashboardDesk
    from cbxero.services.dispatch import Dispatcher
    from cbxero.services.drift_report import DriftReader, DriftSweep
    from cbxero.services.history import HistoryDesk
    from cbxero.services.mapping import MappingDesk
    from cbxero.services.reconcile import DriftDesk
    from cbxero.services.sync import CustomerSync
    from cbxero.services.tasks import TaskDesk
    from cbxero.services.xero_side import XeroSideWatch

SECRET_MAX_AGE = 300


@cache
def aws_client(service: str) -> Any:
    """One boto3 client per service for the life of the container."""
    return boto3.client(service)  # type: ignore[call-overload]


@cache
def http_session() -> requests.Session:
    return requests.Session()


def _secret(name: str) -> dict[str, Any]:
    # Powertools Parameters caches the secret for SECRET_MAX_AGE seconds across invocations.
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(name, transform="json", max_age=SECRET_MAX_AGE)
    if not isinstance(value, dict):
        raise RuntimeError(f"secret {name} is not a JSON object")
    return value


def _app_hosts(parameter_name: str | None) -> list[str]:
    """The web app's host, from the parameter the stack writes once its distribution exists;
    none while it does not (connect then allows AllowedReturnHosts only)."""
    if not parameter_name:
        return []
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(parameter_name, max_age=SECRET_MAX_AGE)
    except parameters.exceptions.GetParameterError:
        from aws_lambda_powertools import Logger

        Logger(child=True).warning("web app host parameter unreadable: %s", parameter_name)
        return []
    return [str(value).strip()] if str(value).strip() else []


def _derived_key(secret_name: str, purpose: bytes) -> bytes:
    """A signing key derived from the app's Xero client secret: no secret of its own to
    provision; rotating the client secret voids what was signed with it."""
    secret = _secret(secret_name)["client_secret"]
    return hashlib.sha256(purpose + secret.encode()).digest()


class _Deferred:
    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build

    @cached_property
    def _target(self) -> Any:
        return self._build()


def _deferred_class(port: type[Any]) -> type[_Deferred]:
    def forward(name: str) -> Callable[..., Any]:
        def method(self: _Deferred, /, *args: Any, **kwargs: Any) -> Any:
            return getattr(self._target, name)(*args, **kwargs)

        method.__name__ = method.__qualname__ = name
        return method

    names = [n for n, _ in inspect.getmembers(port, inspect.isfunction) if not n.startswith("_")]
    return type(f"Deferred{port.__name__}", (_Deferred, port), {n: forward(n) for n in names})


def deferred[P](port: Callable[..., P], build: Callable[[], P]) -> P:
    """A `port` whose adapter `build` makes on the first call of any of its methods.

    (`port` is typed as a callable because mypy refuses an abstract class for `type[P]`.)
    """
    return cast(P, _deferred_class(cast(type[Any], port))(build))


class Container:
    """The adapters and use cases of one function, built from its config on first use."""

    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()

    def _config[C: Config](self, group: type[C]) -> C:
        """The function's config as the group of settings a part needs. Parts read theirs when
        they are wired (at start for a use case a function builds at start), so a function whose
        model lacks the group fails at start, naming it."""
        if not isinstance(self.config, group):
            raise TypeError(f"{type(self.config).__name__} lacks the {group.__name__} settings")
        return self.config

    # ------------------------------------------------------------------ repositories
    @cached_property
    def dynamodb(self) -> Any:
        return aws_client("dynamodb")

    @cached_property
    def cursors(self) -> CursorSeal:
        """The lists' cursor key, read on the first page served, not at start."""
        return CursorSeal(
            lambda: _derived_key(
                self._config(XeroAppConfig).xero_secret_name, b"cbxero-page-cursor:"
            )
        )

    @cached_property
    def settings(self) -> DynamoSettingsRepository:
        return DynamoSettingsRepository(self.dynamodb, self.config.resellers_table)

    @cached_property
    def links(self) -> DynamoCustomerLinkRepository:
        return DynamoCustomerLinkRepository(self.dynamodb, self.config.mappings_table)

    @cached_property
    def mappings(self) -> DynamoProductMappingRepository:
        return DynamoProductMappingRepository(self.dynamodb, self.config.mappings_table)

    @cached_property
    def tasks(self) -> DynamoTaskRepository:
        return DynamoTaskRepository(self.dynamodb, self.config.tasks_table, cursors=self.cursors)

    @cached_property
    def action_log(self) -> DynamoActionLog:
        return DynamoActionLog(self.dynamodb, self.config.action_log_table, cursors=self.cursors)

    @cached_property
    def connections(self) -> DynamoConnectionRepository:
        return DynamoConnectionRepository(
            self.dynamodb,
            self._config(TokenStoreConfig).tokens_table,
            self.cipher,
            mirror=self.settings.set_connection_status,
        )

    # ------------------------------------------------------------------ deferred adapters
    @cached_property
    def queue(self) -> JobQueue:
        url = self._config(QueueConfig).sync_queue_url

        def build() -> JobQueue:
            from cbxero.adapters.sqs import SqsJobQueue

            return SqsJobQueue(aws_client("sqs"), url)

        return deferred(JobQueue, build)

    @cached_property
    def cipher(self) -> TokenCipher:
        key_id = self._config(TokenStoreConfig).token_key_id

        def build() -> TokenCipher:
            from cbxero.adapters.kms import KmsTokenCipher

            return KmsTokenCipher(aws_client("kms"), key_id)

        return deferred(TokenCipher, build)

    @cached_property
    def marketplace(self) -> Marketplace:
        config = self._config(MarketplaceConfig)

        def build() -> Marketplace:
            from cbxero.adapters.marketplace import SimpleApiClient

            market = _secret(config.marketplace_secret_name)
            return SimpleApiClient(
                base_url=config.marketplace_api_url,
                username=market["username"],
                password=market["password"],
                subscription_key=market["subscription_key"],
                http=http_session(),
                clock=self.clock,
            )

        return deferred(Marketplace, build)

    @cached_property
    def identity(self) -> XeroAuthorizer:
        config = self._config(XeroAppConfig)

        def build() -> XeroAuthorizer:
            from cbxero.adapters.xero import XeroIdentity

            credentials = _secret(config.xero_secret_name)
            return XeroIdentity(
                client_id=credentials["client_id"],
                client_secret=credentials["client_secret"],
                redirect_uri=config.xero_redirect_uri,
                scopes=config.xero_scopes,
                login_url=config.xero_login_url,
                identity_url=config.xero_identity_url,
                api_url=config.xero_api_url,
                http=http_session(),
                clock=self.clock,
            )

        return deferred(XeroAuthorizer, build)

    # ------------------------------------------------------------------ Xero for a reseller
    @cached_property
    def vault(self) -> TokenVault:
        from cbxero.services.connection import TokenVault

        return TokenVault(
            connections=self.connections,
            identity=self.identity,
            action_log=self.action_log,
            clock=self.clock,
        )

    @cached_property
    def governor(self) -> RateGovernor:
        import time

        from cbxero.adapters.governor import DynamoRateGovernor, XeroLimits

        config = self._config(XeroApiConfig)
        return DynamoRateGovernor(
            self.dynamodb,
            config.rate_limits_table,
            clock=self.clock,
            sleep=time.sleep,
            limits=XeroLimits(per_day=config.xero_daily_budget),
        )

    @cached_property
    def xero_for(self) -> Callable[[str], XeroAccounting]:
        """A reseller's governed Xero client, its tokens from the vault (refreshed as needed).
        The vault, governor and client code are built on the first call, not at init: the
        Settings function serves most requests without Xero."""
        api_url = self._config(XeroApiConfig).xero_api_url

        def xero_for(reseller_id: str) -> XeroAccounting:
            from cbxero.adapters.xero import XeroClient

            vault = self.vault
            connection = vault.connection(reseller_id)
            if connection.tenant is None or connection.tokens is None:
                raise RuntimeError("the token vault handed out an unusable connection")
            return XeroClient(
                api_url=api_url,
                tenant_id=connection.tenant.tenant_id,
                access_token=connection.tokens.access_token.get_secret_value(),
                http=http_session(),
                governor=self.governor,
                on_refused=lambda reason: vault.refused(reseller_id, reason),
                organisation_name=connection.tenant.name,
            )

        return xero_for

    def continuation(self, function_arn: str, payload: dict[str, Any]) -> None:
        """How the dispatcher hands the rest of a run to a new invocation of itself."""
        aws_client("lambda").invoke(
            FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(payload)
        )

    # ------------------------------------------------------------------ use cases
    @cached_property
    def admin(self) -> ResellerAdmin:
        from cbxero.services.admin import ResellerAdmin
        from cbxero.services.chart import ChartCheck

        return ResellerAdmin(
            settings=self.settings,
            links=self.links,
            mappings=self.mappings,
            tasks=self.tasks,
            action_log=self.action_log,
            queue=self.queue,
            clock=self.clock,
            chart=ChartCheck(self.xero_for),
        )

    @cached_property
    def task_desk(self) -> TaskDesk:
        from cbxero.services.tasks import TaskDesk

        return TaskDesk(
            settings=self.settings,
            mappings=self.mappings,
            tasks=self.tasks,
            marketplace=self.marketplace,
            action_log=self.action_log,
            queue=self.queue,
            clock=self.clock,
        )

    @cached_property
    def mapping_desk(self) -> MappingDesk:
        from cbxero.services.mapping import MappingDesk

        return MappingDesk(
            settings=self.settings,
            links=self.links,
            mappings=self.mappings,
            marketplace=self.marketplace,
            xero=self.xero_for,
            action_log=self.action_log,
            clock=self.clock,
        )

    @cached_property
    def history(self) -> HistoryRecord:
        from cbxero.adapters.dynamo.history import DynamoHistoryRecord

        return DynamoHistoryRecord(self.dynamodb, self.config.resellers_table)

    @cached_property
    def history_desk(self) -> HistoryDesk:
        from cbxero.services.history import HistoryDesk

        organisations = DynamoOrganisationRecord(self.dynamodb, self.config.mappings_table)

        def budget(reseller_id: str) -> Budget | None:
            tenant = organisations.bound(reseller_id)
            return self.governor.budget(tenant.tenant_id) if tenant else None

        return HistoryDesk(
            history=self.history,
            links=self.links,
            figures=self.task_figures,
            marketplace=self.marketplace,
            queue=self.queue,
            action_log=self.action_log,
            budget=budget,
            clock=self.clock,
        )

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from cbxero.services.dispatch import Dispatcher

        return Dispatcher(
            settings=self.settings, links=self.links, tasks=self.tasks, queue=self.queue
        )

    @cached_property
    def connector(self) -> XeroConnector:
        from cbxero.services.connection import StateSigner, XeroConnector

        config = self._config(OAuthConfig)
        return XeroConnector(
            states=DynamoOAuthStateStore(self.dynamodb, config.tokens_table),
            pending=DynamoPendingGrantStore(self.dynamodb, config.tokens_table, self.cipher),
            signer=StateSigner(
                lambda: _derived_key(config.xero_secret_name, b"cbxero-oauth-state:")
            ),
            connections=self.connections,
            organisations=DynamoOrganisationRecord(self.dynamodb, self.config.mappings_table),
            vault=self.vault,
            identity=self.identity,
            action_log=self.action_log,
            clock=self.clock,
            allowed_return_hosts=lambda: [
                *config.allowed_return_hosts,
                *_app_hosts(config.app_host_parameter),  # cached by Powertools for 5 minutes
            ],
            history=self.history,
        )

    @cached_property
    def customer_sync(self) -> CustomerSync:
        from cbxero.adapters.problems import problem_of
        from cbxero.services.sync import CustomerSync

        return CustomerSync(
            settings=self.settings,
            links=self.links,
            mappings=self.mappings,
            tasks=self.tasks,
            action_log=self.action_log,
            marketplace=self.marketplace,
            xero=self.xero_for,
            clock=self.clock,
            describe=problem_of,
            history=self.history,
        )

    @cached_property
    def xero_side_watch(self) -> XeroSideWatch:
        from cbxero.services.xero_side import XeroSideWatch

        return XeroSideWatch(
            directory=DynamoOrganisationDirectory(self.dynamodb, self.config.mappings_table),
            connections=self.connections,
            settings=self.settings,
            tasks=self.tasks,
            links=self.links,
            action_log=self.action_log,
            cursors=DynamoPollCursors(self.dynamodb, self.config.mappings_table),
            xero=self.xero_for,
            clock=self.clock,
        )

    # ------------------------------------------------------------------ drift, bulk, dashboard
    @cached_property
    def drift_records(self) -> DynamoDriftRecords:
        from cbxero.adapters.dynamo.drift import DynamoDriftRecords

        return DynamoDriftRecords(self.dynamodb, self.config.mappings_table)

    @cached_property
    def drift_reader(self) -> DriftReader:
        from cbxero.services.drift_report import DriftReader

        return DriftReader(
            settings=self.settings,
            links=self.links,
            mappings=self.mappings,
            tasks=self.tasks,
            marketplace=self.marketplace,
            xero=self.xero_for,
            records=self.drift_records,
            clock=self.clock,
        )

    @cached_property
    def drift_sweep(self) -> DriftSweep:
        from cbxero.services.drift_report import DriftSweep

        return DriftSweep(
            reader=self.drift_reader,
            settings=self.settings,
            records=self.drift_records,
            action_log=self.action_log,
            clock=self.clock,
        )

    @cached_property
    def drift_desk(self) -> DriftDesk:
        from cbxero.services.reconcile import DriftDesk

        return DriftDesk(
            reader=self.drift_reader,
            tasks=self.tasks,
            marketplace=self.marketplace,
            xero=self.xero_for,
            records=self.drift_records,
            mapping_desk=self.mapping_desk,
            links=self.links,
            action_log=self.action_log,
            queue=self.queue,
            clock=self.clock,
        )

    @cached_property
    def task_bulk(self) -> TaskBulk:
        from cbxero.services.bulk import TaskBulk

        return TaskBulk(
            tasks=self.tasks, action_log=self.action_log, queue=self.queue, clock=self.clock
        )

    @cached_property
    def task_figures(self) -> TaskFigures:
        from cbxero.adapters.dynamo.task_figures import DynamoTaskFigures

        return DynamoTaskFigures(self.dynamodb, self.config.tasks_table)

    @cached_property
    def dashboard(self) -> DashboardDesk:
        from cbxero.services.dashboard import DashboardDesk

        return DashboardDesk(
            settings=self.settings,
            connections=self.connections,
            governor=self.governor,
            figures=self.task_figures,
            drift=self.drift_records,
            clock=self.clock,
            history=self.history_desk,
        )
