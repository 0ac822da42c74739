"""What the HTTP doors share: one error shape, domain errors to statuses, the caller's identity."""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from cbxero.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotConnected,
    NotFound,
    RateLimited,
    StaleVersion,
    UpstreamUnavailable,
)

STATUS_OF: dict[type[DomainError], HTTPStatus] = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    NotConnected: HTTPStatus.CONFLICT,
    RateLimited: HTTPStatus.TOO_MANY_REQUESTS,
    StaleVersion: HTTPStatus.PRECONDITION_FAILED,
    UpstreamUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


class Forbidden(DomainError):
    code = "forbidden"


class FieldProblem(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    """Every failure of the API has this shape."""

    code: str
    message: str
    fields: list[FieldProblem] = []


def error_response(status: HTTPStatus, body: ErrorBody) -> Response[Any]:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
    )


def status_of(error: DomainError) -> HTTPStatus:
    if isinstance(error, Forbidden):
        return HTTPStatus.FORBIDDEN
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return HTTPStatus.BAD_REQUEST


def _field_path(location: tuple[Any, ...]) -> str:
    # Powertools prefixes the location with where the value came from ("body", "query", ...).
    return ".".join(str(part) for part in location if part not in ("body",)) or "body"


def install_error_handlers(app: APIGatewayHttpResolver, logger: Logger) -> None:
    """Map domain errors and request validation failures to the one error shape."""

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        fields = [
            FieldProblem(
                field=_field_path(tuple(e.get("loc", ()))), problem=e.get("msg", "invalid")
            )
            for e in error.errors()
        ]
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            ErrorBody(code="invalid_request", message="the request is not valid", fields=fields),
        )

    @app.not_found
    def _no_route(error: Exception) -> Response[Any]:
        del error  # a path no route takes (an id with characters no route accepts, say)
        return error_response(
            HTTPStatus.NOT_FOUND, ErrorBody(code="not_found", message="no such resource")
        )

    @app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
    def _not_text(error: UnicodeDecodeError) -> Response[Any]:
        return error_response(
            HTTPStatus.BAD_REQUEST,
            ErrorBody(
                code="invalid_request",
                message="the request body is not UTF-8 text",
                fields=[FieldProblem(field="body", problem="not UTF-8")],
            ),
        )

    @app.exception_handler(ValidationError)  # type: ignore[untyped-decorator]
    def _invalid_value(error: ValidationError) -> Response[Any]:
        # A model built from accepted input (settings merged by a PATCH, say) still failed.
        fields = [
            FieldProblem(field=".".join(str(p) for p in e["loc"]) or "body", problem=e["msg"])
            for e in error.errors()
        ]
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            ErrorBody(code="invalid_request", message="the request is not valid", fields=fields),
        )

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def _domain_error(error: DomainError) -> Response[Any]:
        status = status_of(error)
        logger.info("request refused", extra={"code": error.code, "status": status.value})
        fields = [FieldProblem(field=error.field, problem=error.message)] if error.field else []
        response = error_response(
            status, ErrorBody(code=error.code, message=error.message, fields=fields)
        )
        if isinstance(error, RateLimited):
            response.headers["Retry-After"] = str(math.ceil(error.retry_after))
        return response


# What each failure status means, as the OpenAPI document declares it for every operation.
ERROR_STATUSES = {
    400: "Bad input: the body's `fields` name what and why",
    401: "No valid token (answered by the API's JWT authorizer)",
    403: "The token names no reseller",
    404: "Not found (or another reseller's)",
    409: "Conflicts with the current state (a mapping taken, a task already synced, ...)",
    412: "If-Match names a version that is no longer the stored one",
    422: "The request does not match this document: `fields` name the paths",
    429: "Xero's limits: retry after Retry-After seconds",
    503: "Xero or the marketplace is unavailable; retry later",
}


def with_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the one error shape declared for every operation, and the
    store's bearer token (a JWT) as its security."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})["storeJwt"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    document["security"] = [{"storeJwt": []}]
    schemas = components.setdefault("schemas", {})
    shape = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(shape.pop("$defs", {}))
    schemas["ErrorBody"] = shape
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    # API Gateway's authorizer answers 401 itself, in its own shape.
    gateway = {
        "application/json": {
            "schema": {"type": "object", "properties": {"message": {"type": "string"}}}
        }
    }
    for path in document.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, meaning in ERROR_STATUSES.items():
                shape = gateway if status == HTTPStatus.UNAUTHORIZED else content
                responses[str(status)] = {"description": meaning, "content": shape}
    return document


def reseller_of(app: APIGatewayHttpResolver, claim: str) -> str:
    """The reseller named by the caller's JWT (checked by the API's authorizer), never the path."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    reseller = claims.get(claim)
    if not isinstance(reseller, str) or not reseller:
        raise Forbidden(f"the token carries no {claim} claim")
    return reseller


def etag(version: int) -> str:
    return f'"{version}"'


def parsed_if_match(header: str | None) -> int | None:
    """The version an If-Match header names (None: no header, or "*")."""
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput("If-Match must be an ETag this API gave out", field="If-Match")
    return int(value)


def user_of(app: APIGatewayHttpResolver) -> str:
    """The caller's own identity (the JWT's subject), to bind a flow to the user who started it."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    user = claims.get("sub")
    if not isinstance(user, str) or not user:
        raise Forbidden("the token carries no sub claim")
    return user


def actor_of(app: APIGatewayHttpResolver) -> str:
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    return str(claims.get("email") or claims.get("sub") or "user")
