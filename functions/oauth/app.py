"""OAuth function: connect a reseller's Xero organisation. A door over XeroConnector."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from cbxero import composition
from cbxero.config import OAuthConfig
from cbxero.domain.connection import ConnectionStatus, XeroConnection, XeroTenant
from cbxero.http import JsonApiResolver, actor_of, install_error_handlers, reseller_of, user_of

logger = Logger()
app = JsonApiResolver(enable_validation=True)
CONFIG = OAuthConfig.from_environ()
CONNECTOR = composition.Container(CONFIG).connector


class AuthorizationLink(BaseModel):
    """Send the user to authorization_url; keep verifier in the page (never in a URL) to finish."""

    authorization_url: str
    verifier: str = Field(description="One-time value the starting page sends to /complete")


class ConnectionView(BaseModel):
    """What the store may see of a connection: never a token."""

    status: ConnectionStatus
    organisation_id: str | None = None
    organisation_name: str | None = None
    organisations_to_choose: list[XeroTenant] = []
    switch_from: XeroTenant | None = Field(
        default=None,
        description="The organisation the links and mappings belong to, while a consent waits "
        "for a choice: another organisation granted (choosing it needs confirm_switch), or "
        "several granted",
    )
    scopes: list[str] = []
    connected_since: datetime | None = None


class CompleteFlow(BaseModel):
    """The store page that started connecting finishes it with what only it holds."""

    flow: str = Field(min_length=1, max_length=128, description="`flow` from the return URL")
    verifier: str = Field(min_length=1, max_length=128, description="from GET /xero/connect")


class TenantChoice(BaseModel):
    tenant_id: str = Field(min_length=1, max_length=64)
    confirm_switch: bool = Field(
        default=False,
        description="Set aside the links and mappings made in another organisation",
    )


ERROR_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Xero connection</title>"
    "<h1>This Xero connection link cannot be used</h1><p>{problem}</p>"
    "<p>Go back to the store and connect Xero again.</p></html>"
)


def _page(problem: str) -> Response[str]:
    """The plain page a person's browser gets when the callback cannot go back to the store."""
    return Response(
        status_code=400,
        content_type=content_types.TEXT_HTML,
        body=ERROR_PAGE.format(problem=html.escape(problem)),
        headers={"Cache-Control": "no-store"},
    )


install_error_handlers(app, logger, browser_page=_page)


@app.get("/xero/connect")
def connect(
    return_url: Annotated[str, Query(min_length=1, max_length=2048)],
    history_from: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
) -> AuthorizationLink:
    link = CONNECTOR.start(
        reseller_of(app, CONFIG.reseller_claim),
        user_of(app),
        actor_of(app),
        return_url,
        history_from,
    )
    return AuthorizationLink(authorization_url=link.authorization_url, verifier=link.verifier)


CALLBACK_ANSWERS: dict[int, OpenAPIResponse] = {
    302: {"description": "Back to the store page (Location), with xero=pending or xero=error"},
    400: {
        "description": "A plain HTML page when the state is forged or unreadable",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
}


@app.get("/xero/callback", responses=CALLBACK_ANSWERS)
def callback(
    state: Annotated[str | None, Query()] = None,
    code: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> Response[str]:
    # Unbounded here on purpose: a person's browser lands on this route, so every oddity is
    # answered by the connector with the store page or a plain page, never a JSON error.
    # No JWT here: the single-use state names the flow; nothing connects before /complete.
    outcome = CONNECTOR.finish(state=state, code=code, error=error)
    if outcome.location is not None:
        return Response(status_code=302, headers={"Location": outcome.location}, body="")
    return _page(outcome.problem)


def _view(current: XeroConnection) -> ConnectionView:
    return ConnectionView(
        status=current.status,
        organisation_id=current.tenant.tenant_id if current.tenant else None,
        organisation_name=current.tenant.name if current.tenant else None,
        organisations_to_choose=list(current.tenants_to_choose),
        switch_from=current.switch_from,
        scopes=list(current.tokens.scopes) if current.tokens else [],
        connected_since=current.connected_since,
    )


@app.post("/xero/connection/complete")
def complete(body: CompleteFlow) -> ConnectionView:
    reseller = reseller_of(app, CONFIG.reseller_claim)
    finished = CONNECTOR.complete(reseller, user_of(app), actor_of(app), body.flow, body.verifier)
    return _view(finished)


@app.get("/xero/connection")
def connection(
    live: Annotated[
        bool,
        Query(description="Ask Xero first whether the organisation is still connected"),
    ] = False,
) -> ConnectionView:
    return _view(CONNECTOR.status(reseller_of(app, CONFIG.reseller_claim), live=live))


@app.put("/xero/connection/tenant")
def choose_tenant(body: TenantChoice) -> ConnectionView:
    reseller = reseller_of(app, CONFIG.reseller_claim)
    chosen = CONNECTOR.choose_tenant(
        reseller, body.tenant_id, actor_of(app), confirm_switch=body.confirm_switch
    )
    return _view(chosen)


@app.delete("/xero/connection", responses={204: {"description": "Disconnected"}})
def disconnect() -> Response[str]:
    CONNECTOR.disconnect(reseller_of(app, CONFIG.reseller_claim), actor_of(app))
    return Response(status_code=204, body="")


SWEEP = {"sweep": "abandoned_consents"}  # the schedule's input (template.yaml)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event == SWEEP:
        released = CONNECTOR.release_abandoned()
        logger.info("abandoned Xero consents released", extra={"released": released})
        return {"released": released}
    return app.resolve(event, context)
