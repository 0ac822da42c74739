"""The Settings screen: read, replace and patch the reseller's settings, versioned by ETag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header

from cbxero.domain.settings import Settings, SettingsPatch
from cbxero.http import etag, parsed_if_match
from cbxero.store_api.params import Caller

if TYPE_CHECKING:
    from cbxero.services.admin import ResellerAdmin

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=r'^(\*|(W/)?"[0-9]{1,18}"|[0-9]{1,18})$',
        description="The ETag of the settings read; a save over someone else's answers 412.",
        max_length=100,
    ),
]


def _versioned(saved: tuple[Settings, int]) -> Response[Settings]:
    settings, version = saved
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=settings,
        headers={"ETag": etag(version)},
    )


def routes(admin: ResellerAdmin, caller: Caller) -> Router:
    router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated

    @router.get("/settings")
    def get_settings() -> Response[Settings]:
        return _versioned(admin.settings(caller.reseller()))

    @router.put("/settings")
    def put_settings(body: Settings, if_match_header: IfMatch = None) -> Response[Settings]:
        version = parsed_if_match(if_match_header)
        return _versioned(admin.replace_settings(caller.reseller(), body, caller.actor(), version))

    @router.patch("/settings")
    def patch_settings(body: SettingsPatch, if_match_header: IfMatch = None) -> Response[Settings]:
        version = parsed_if_match(if_match_header)
        return _versioned(admin.patch_settings(caller.reseller(), body, caller.actor(), version))

    return router
