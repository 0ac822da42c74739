"""OAuth function: connect a reseller's Xero organisation. A door over XeroConnector."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from cbxero import composition
from cbxero.config import config
from cbxero.domain.model import ConnectionStatus, XeroConnection, XeroTenant
from cbxero.http import actor_of, install_error_handlers, reseller_of
from cbxero.ports import Clock

logger = Logger()
app = APIGatewayHttpResolver(enable_validation=True)
install_error_handlers(app, logger)
CONFIG = config()
CONNECTOR = composition.connector(CONFIG, Clock())


class AuthorizationLink(BaseModel):
    authorization_url: str


class ConnectionView(BaseModel):
    """What the store may see of a connection: never a token."""

    status: ConnectionStatus
    organisation_id: str | None = None
    organisation_name: str | None = None
    organisations_to_choose: list[XeroTenant] = []
    scopes: list[str] = []
    connected_since: datetime | None = None


CONNECT_ANSWERS: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The Xero authorization link",
        "content": {"application/json": {"model": AuthorizationLink}},
    },
    302: {"description": "With redirect=true: on to Xero's consent page (Location)"},
}


@app.get("/xero/connect", responses=CONNECT_ANSWERS)
def connect(
    return_url: Annotated[str, Query(min_length=1, max_length=2048)],
    redirect: Annotated[bool, Query()] = False,
) -> Any:
    url = CONNECTOR.start(reseller_of(app, CONFIG.reseller_claim), return_url)
    if redirect:
        return Response(status_code=302, headers={"Location": url}, body="")
    return AuthorizationLink(authorization_url=url)


@app.get("/xero/callback", responses={302: {"description": "Back to the store page (Location)"}})
def callback(
    state: Annotated[str | None, Query(max_length=512)] = None,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response[str]:
    # No JWT here: the single-use state is the credential and names the reseller.
    back_to = CONNECTOR.finish(state=state, code=code, error=error)
    return Response(status_code=302, headers={"Location": back_to}, body="")


class TenantChoice(BaseModel):
    tenant_id: str = Field(min_length=1, max_length=64)


def _view(current: XeroConnection) -> ConnectionView:
    return ConnectionView(
        status=current.status,
        organisation_id=current.tenant.tenant_id if current.tenant else None,
        organisation_name=current.tenant.name if current.tenant else None,
        organisations_to_choose=list(current.tenants_to_choose),
        scopes=list(current.tokens.scopes) if current.tokens else [],
        connected_since=current.connected_since,
    )


@app.get("/xero/connection")
def connection() -> ConnectionView:
    return _view(CONNECTOR.status(reseller_of(app, CONFIG.reseller_claim)))


@app.put("/xero/connection/tenant")
def choose_tenant(body: TenantChoice) -> ConnectionView:
    reseller = reseller_of(app, CONFIG.reseller_claim)
    return _view(CONNECTOR.choose_tenant(reseller, body.tenant_id, actor_of(app)))


@app.delete("/xero/connection", responses={204: {"description": "Disconnected"}})
def disconnect() -> Response[str]:
    CONNECTOR.disconnect(reseller_of(app, CONFIG.reseller_claim), actor_of(app))
    return Response(status_code=204, body="")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
