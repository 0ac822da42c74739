"""Settings function: the store UI's API. A door: one resolver including a router per screen
(cbxero.store_api), each calling the reseller's use cases."""

from __future__ import annotations

import json
import pathlib
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from cbxero import composition
from cbxero.api_docs import whole_document
from cbxero.config import SettingsConfig
from cbxero.http import (
    JsonApiResolver,
    describe_api,
    install_error_handlers,
    with_error_responses,
)
from cbxero.store_api import action_log, bulk, history, mapping, reconcile, settings, tasks
from cbxero.store_api.params import Caller

logger = Logger()
app = JsonApiResolver(enable_validation=True)
install_error_handlers(app, logger)
CONFIG = SettingsConfig.from_environ()
CONTAINER = composition.Container(CONFIG)
ADMIN = CONTAINER.admin
TASKS = CONTAINER.task_desk
MAPPING = CONTAINER.mapping_desk
CALLER = Caller(app, CONFIG.reseller_claim)
app.include_router(settings.routes(ADMIN, CALLER))
app.include_router(mapping.routes(MAPPING, TASKS, CALLER))
app.include_router(bulk.routes(CONTAINER.task_bulk, CALLER))
app.include_router(tasks.routes(TASKS, CALLER))
app.include_router(reconcile.routes(CONTAINER.drift_desk, CONTAINER.dashboard, CALLER))
app.include_router(action_log.routes(ADMIN, CALLER))
app.include_router(history.routes(CONTAINER.history_desk, CALLER))

# The OAuth function's routes, generated from its resolver (`make openapi`): one document.
OAUTH_PART = pathlib.Path(__file__).with_name("oauth_openapi.json")


@app.get("/openapi.json")
def openapi() -> Any:
    describe_api(app, "cbxero store API")
    document = app.get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True)
    oauth = json.loads(OAUTH_PART.read_text()) if OAUTH_PART.is_file() else {}
    return with_error_responses(whole_document(document, oauth))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
