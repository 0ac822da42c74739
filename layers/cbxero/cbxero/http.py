"""What the HTTP doors share: one error shape, domain errors to statuses, the caller's identity."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from cbxero.api_docs import PUBLIC, operations
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
from cbxero.domain.marketplace import MARKETPLACE_ID_PATTERN

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


# Where Powertools says a value came from; the field is named as the caller sent it.
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def _problem(error: Mapping[str, Any]) -> str:
    """What is wrong, for a person: a pattern is named as a form, not shown as a regex."""
    if error.get("type") == "string_pattern_mismatch":
        return "not in the form this field takes (see the API document)"
    return str(error.get("msg", "invalid"))


def _field_path(location: tuple[Any, ...]) -> str:
    if location[:1] == ("header",) and len(location) > 1:  # headers come lower-cased
        return "-".join(word.capitalize() for word in str(location[1]).split("-"))
    return ".".join(str(part) for part in location if part not in _LOCATIONS) or "body"


def _input_refused(status: HTTPStatus, message: str, fields: list[FieldProblem]) -> Response[Any]:
    return error_response(status, ErrorBody(code="invalid_input", message=message, fields=fields))


JSON_MEDIA_TYPE = "application/json"


def _unreadable_body(event: Mapping[str, Any]) -> tuple[HTTPStatus, ErrorBody] | None:
    """A body in a content type the API does not read (every body it reads is JSON), JSON the
    reader refuses, or JSON that is not an object: refused before any route reads it."""
    if not event.get("body"):
        return None
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    given = headers.get("content-type", JSON_MEDIA_TYPE)  # none given: read as JSON
    media_type = given.split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, ErrorBody(
            code="unsupported_media_type",
            message=f"the API reads JSON bodies only (Content-Type: {JSON_MEDIA_TYPE})",
            fields=[FieldProblem(field="Content-Type", problem=f"{given[:100]!r} is not JSON")],
        )
    body = str(event["body"])
    if event.get("isBase64Encoded"):  # API Gateway's form of a body it takes for binary
        try:
            body = base64.b64decode(body, validate=True).decode()
        except UnicodeDecodeError:
            return HTTPStatus.BAD_REQUEST, _unreadable("the body is not UTF-8 text", "not UTF-8")
        except ValueError:
            return HTTPStatus.BAD_REQUEST, _unreadable("the body is not base64", "not base64")
    body = body.strip(" \t\r\n")
    if body == "null":  # JSON null: no body, as the document declares for an optional one
        return None
    if not body.startswith("{"):
        return HTTPStatus.UNPROCESSABLE_ENTITY, NOT_AN_OBJECT
    try:  # read once here, so that whatever the reader refuses is the caller's 400
        json.loads(body)
    except RecursionError:  # json.loads gives up on nesting a few hundred levels deep
        return HTTPStatus.BAD_REQUEST, _unreadable("the body is nested too deep", "nested too deep")
    except ValueError:  # not JSON; or a number too long to read (over 4,300 digits)
        return HTTPStatus.BAD_REQUEST, _unreadable("the body is not JSON", "not JSON")
    return None


def _unreadable(message: str, problem: str) -> ErrorBody:
    return ErrorBody(
        code="invalid_input", message=message, fields=[FieldProblem(field="body", problem=problem)]
    )


# Every body the API reads is a JSON object; Powertools would take [{...}] for {...}.
NOT_AN_OBJECT = ErrorBody(
    code="invalid_input",
    message="the body must be a JSON object",
    fields=[FieldProblem(field="body", problem="not a JSON object")],
)


class JsonApiResolver(APIGatewayHttpResolver):
    """The HTTP API resolver, refusing a body it would not read as JSON before any route runs:
    Powertools would otherwise parse form and multipart bodies into something else entirely."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        refused = _unreadable_body(event)
        if refused is None:
            return super().resolve(event, context)
        status, body = refused
        return {
            "statusCode": status.value,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": body.model_dump_json(),
            "isBase64Encoded": False,
        }


def install_error_handlers(
    app: APIGatewayHttpResolver,
    logger: Logger,
    browser_page: Callable[[str], Response[Any]] | None = None,
) -> None:
    """Map domain errors and every failure to read a request to the one error shape.

    Input refused answers `invalid_input`: 400 when the request cannot be read or breaks a
    rule of the API (a cursor, a time range, ...), 422 when it does not match the
    OpenAPI document. Anything unexpected answers 500 `internal_error`, in the same shape.
    A route a person's browser lands on (BROWSER_PAGES) answers `browser_page` instead.
    """

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        if browser_page is not None and _on_browser_page(app):
            return browser_page("The link's parameters cannot be read.")
        errors = error.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            problem = FieldProblem(field="body", problem="not JSON")
            return _input_refused(HTTPStatus.BAD_REQUEST, "the body is not JSON", [problem])
        fields = [
            FieldProblem(field=_field_path(tuple(e.get("loc", ()))), problem=_problem(e))
            for e in errors
        ]
        return _input_refused(
            HTTPStatus.UNPROCESSABLE_ENTITY, "the request does not match the API", fields
        )

    @app.not_found
    def _no_route(error: Exception) -> Response[Any]:
        del error  # a path no route takes (an id with characters no route accepts, say)
        return error_response(
            HTTPStatus.NOT_FOUND, ErrorBody(code="not_found", message="no such resource")
        )

    @app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
    def _not_text(error: UnicodeDecodeError) -> Response[Any]:
        del error
        problem = FieldProblem(field="body", problem="not UTF-8")
        return _input_refused(HTTPStatus.BAD_REQUEST, "the body is not UTF-8 text", [problem])

    @app.exception_handler(RecursionError)  # type: ignore[untyped-decorator]
    def _too_deep(error: RecursionError) -> Response[Any]:
        del error  # json.loads gives up on nesting a few hundred levels deep
        problem = FieldProblem(field="body", problem="nested too deep")
        return _input_refused(HTTPStatus.BAD_REQUEST, "the body is nested too deep", [problem])

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _not_json(error: RequestUnsupportedContentType) -> Response[Any]:
        del error  # JsonApiResolver refuses these first; a plain resolver still gets the shape
        return error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            ErrorBody(code="unsupported_media_type", message="the API reads JSON bodies only"),
        )

    @app.exception_handler(ValidationError)  # type: ignore[untyped-decorator]
    def _invalid_value(error: ValidationError) -> Response[Any]:
        # A model built from accepted input (settings merged by a PATCH, say) still failed.
        fields = [
            FieldProblem(field=".".join(str(p) for p in e["loc"]) or "body", problem=e["msg"])
            for e in error.errors()
        ]
        return _input_refused(
            HTTPStatus.UNPROCESSABLE_ENTITY, "the request does not match the API", fields
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

    @app.exception_handler(ServiceError)  # type: ignore[untyped-decorator]
    def _service_error(error: ServiceError) -> Response[Any]:
        status = HTTPStatus(error.status_code)
        code = "not_found" if status == HTTPStatus.NOT_FOUND else "invalid_input"
        return error_response(status, ErrorBody(code=code, message=str(error.msg)))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(error: Exception) -> Response[Any]:
        # A bug, never the caller's fault: logged whole (no request body), answered in the shape.
        logger.exception("unexpected error", extra={"error": type(error).__name__})
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            ErrorBody(code="internal_error", message="something went wrong on our side"),
        )


# What each failure status means, as the OpenAPI document declares it for every operation.
ERROR_STATUSES = {
    400: "Input refused: unreadable (not JSON, not UTF-8, nested too deep) or against a rule "
    "of the API (a cursor, a time range, a Xero record that does not exist); `fields` name "
    "what and why",
    401: "No valid token (answered by the API's JWT authorizer)",
    403: "The token names no reseller",
    404: "Not found (or another reseller's)",
    409: "Conflicts with the current state (a mapping taken, a task already synced, ...)",
    412: "If-Match names a version that is no longer the stored one",
    415: "A body that is not JSON (Content-Type application/json)",
    422: "The request does not match this document: `fields` name the paths",
    429: "Xero's limits: retry after Retry-After seconds",
    503: "Xero or the marketplace is unavailable; retry later",
}


# Routes with no authorizer. A person's browser opens the callback: it answers a redirect or a
# plain HTML page, never a JSON error, so its own declared answers stand as they are.
BROWSER_PAGES = frozenset({"/xero/callback"})
BODY_REFUSALS = frozenset({"415", "422"})  # JsonApiResolver's, before any route


def _on_browser_page(app: APIGatewayHttpResolver) -> bool:
    path = app.current_event.path  # the stage, if any, comes before the route
    return any(path.endswith(page) for page in BROWSER_PAGES)


def describe_api(app: APIGatewayHttpResolver, title: str) -> None:
    """Name the API's document and declare the store's bearer token (a JWT) as its security.
    Called when the document is asked for: Powertools' OpenAPI models take about 200 ms to
    import, which a cold start does not pay."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    app.configure_openapi(
        title=title,
        version="1",
        security_schemes={"storeJwt": HTTPBearer(bearerFormat="JWT")},
        security=[{"storeJwt": []}],
    )


def with_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the one error shape declared for every operation (but the
    browser pages, which keep their own answers), and no token asked on the public routes."""
    components = document.setdefault("components", {})
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
    for key, operation in operations(document).items():
        responses = operation.setdefault("responses", {})
        public = key in PUBLIC
        if public:
            operation["security"] = []  # no token asked, so no 401 either
        for status, meaning in ERROR_STATUSES.items():
            if public and status == HTTPStatus.UNAUTHORIZED:
                continue
            declared = responses.get(str(status), {}).get("content", {})
            if declared and "application/json" not in declared:
                continue  # the operation's own answer (the callback's HTML page)
            shape = gateway if status == HTTPStatus.UNAUTHORIZED else content
            responses[str(status)] = {"description": meaning, "content": shape}
        for status, answer in responses.items():
            if status == "204" or status.startswith("3"):
                answer.pop("content", None)  # no body: a redirect's Location, or nothing
        if key.split(" ", 1)[1] in BROWSER_PAGES:
            # A person's browser gets a redirect or a page; only a request with a body (which
            # no browser sends with a GET) is refused before the route, in the one shape.
            operation["responses"] = {
                status: answer
                for status, answer in responses.items()
                if status.startswith("3")
                or "text/html" in answer.get("content", {})
                or status in BODY_REFUSALS
            }
    return document


def reseller_of(app: APIGatewayHttpResolver, claim: str) -> str:
    """The reseller named by the caller's JWT (checked by the API's authorizer), never the path."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    reseller = claims.get(claim)
    if not isinstance(reseller, str) or not reseller:
        raise Forbidden(f"the token carries no {claim} claim")
    if not re.fullmatch(MARKETPLACE_ID_PATTERN.strip("^$"), reseller):
        # A marketplace id, as every id the API takes: never a key DynamoDB refuses (a 500)
        raise Forbidden(f"the token's {claim} claim names no marketplace reseller")
    return reseller


def etag(version: int) -> str:
    return f'"{version}"'


_ETAG = re.compile(r'"[0-9]{1,18}"|[0-9]{1,18}', re.ASCII)


def parsed_if_match(header: str | None) -> int | None:
    """The version an If-Match header names (None: no header, or "*")."""
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/")
    if not _ETAG.fullmatch(value):  # str.isdigit() would take "²", which int() refuses
        raise InvalidInput("If-Match must be an ETag this API gave out", field="If-Match")
    return int(value.strip('"'))


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
