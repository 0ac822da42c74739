"""Settings function: the store UI's API. A door: parse, call the reseller's use case, answer."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from cbxero import composition
from cbxero.config import config
from cbxero.domain.model import ActionLogEntry, CustomerLink, ProductMapping, SyncTask
from cbxero.domain.settings import Settings
from cbxero.http import actor_of, install_error_handlers, reseller_of
from cbxero.ports import Clock

logger = Logger()
app = APIGatewayHttpResolver(enable_validation=True)
install_error_handlers(app, logger)
CONFIG = config()
ADMIN = composition.admin(CONFIG, Clock())


class CustomerLinkBody(BaseModel):
    xero_contact_id: str | None = Field(None, min_length=1, max_length=64)
    auto_sync: bool = False


class ProductMappingBody(BaseModel):
    product_name: str = Field(min_length=1, max_length=255)
    xero_item_code: str = Field(min_length=1, max_length=30)


class SyncQueued(BaseModel):
    customer_id: str
    queued: bool = True


def _reseller() -> str:
    return reseller_of(app, CONFIG.reseller_claim)


@app.get("/settings")
def get_settings() -> Settings:
    return ADMIN.settings(_reseller())


@app.put("/settings")
def put_settings(body: Settings) -> Settings:
    return ADMIN.replace_settings(_reseller(), body, actor_of(app))


@app.get("/customers")
def list_customers() -> list[CustomerLink]:
    return ADMIN.customers(_reseller())


@app.put("/customers/<customerId>")
def link_customer(
    customerId: Annotated[str, Path(min_length=1, max_length=64)],
    body: CustomerLinkBody,
) -> CustomerLink:
    return ADMIN.link_customer(
        _reseller(), customerId, body.xero_contact_id, body.auto_sync, actor_of(app)
    )


@app.post("/customers/<customerId>/sync")
def sync_customer(
    customerId: Annotated[str, Path(min_length=1, max_length=64)],
) -> SyncQueued:
    ADMIN.sync_now(_reseller(), customerId, actor_of(app))
    return SyncQueued(customer_id=customerId)


@app.get("/products")
def list_products() -> list[ProductMapping]:
    return ADMIN.products(_reseller())


@app.put("/products/<mpn>")
def map_product(
    mpn: Annotated[str, Path(min_length=1, max_length=128)], body: ProductMappingBody
) -> ProductMapping:
    return ADMIN.map_product(
        _reseller(), mpn, body.product_name, body.xero_item_code, actor_of(app)
    )


@app.get("/tasks")
def list_tasks(
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[SyncTask]:
    return ADMIN.tasks(_reseller(), customer_id)


@app.get("/tasks/<taskId>")
def get_task(taskId: Annotated[str, Path(min_length=1, max_length=64)]) -> SyncTask:
    return ADMIN.task(_reseller(), taskId)


@app.get("/action-log")
def action_log(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ActionLogEntry]:
    return ADMIN.action_log(_reseller(), limit)


@app.get("/openapi.json")
def openapi() -> Any:
    return app.get_openapi_schema(title="cbxero store API", version="1").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
