"""A local API Gateway (HTTP API): template.yaml's routes, JWT checks, payload format 2.0 events."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import unquote

import jwt
from flask import Flask, Response, request, send_from_directory

from local import template as cfn
from local import tokens
from local.invoke import Invoker
from local.web_host import WebHost

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# The API is served at the root (for curl and the README's walk) and under /api, where the web
# app calls it on its own origin (CloudFront routes /api/* to the API, without the prefix).
API_PREFIX = "/api"
TRANSCRIPT_LIMIT = 10_000


# Swagger UI 5 (reads OpenAPI 3.1), fetched by `make setup` from npm's swagger-ui-dist: no CDN.
SWAGGER_DIR = cfn.ROOT / ".local" / "swagger-ui"
SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cbxero store API</title>
<link rel="icon" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", persistAuthorization: true});
</script>
</body></html>"""


def _swagger_page() -> Response:
    if not (SWAGGER_DIR / "swagger-ui-bundle.js").is_file():
        missing = f"Swagger UI is not in {SWAGGER_DIR}: run `make setup` (or /openapi.json)."
        return Response(missing, status=503, mimetype="text/plain")
    return Response(SWAGGER_PAGE, mimetype="text/html")


def _swagger_asset(name: str) -> Response:
    return send_from_directory(SWAGGER_DIR, name)


def _gateway_error(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, mimetype="application/json")


class HttpFront:
    def __init__(
        self, invoker: Invoker, template: cfn.Template | None = None, web: WebHost | None = None
    ) -> None:
        self._invoker = invoker
        self._routes = (template or cfn.load()).routes()
        # The latest responses served, for tests to scan; bounded for a long `make dev`.
        self.transcript: deque[str] = deque(maxlen=TRANSCRIPT_LIMIT)
        self.app = Flask("http_front")
        # Swagger UI over the API's own OpenAPI document (served from .local: no CDN).
        self.app.add_url_rule("/docs", "docs", _swagger_page)
        self.app.add_url_rule("/docs/assets/<path:name>", "docs-assets", _swagger_asset)
        if web is not None:  # the web app at / (before the API's catch-all rules)
            web.install(self.app)
        # No automatic OPTIONS answer: API Gateway has no route for it (no CORS configured).
        self.app.add_url_rule(
            "/",
            "root",
            self.handle,
            methods=METHODS,
            defaults={"path": ""},
            provide_automatic_options=False,
        )
        self.app.add_url_rule(
            "/<path:path>", "any", self.handle, methods=METHODS, provide_automatic_options=False
        )
        # Paths Flask's own routing refuses (an encoded line break, say) reach the gateway too.
        self.app.register_error_handler(404, lambda _error: self.handle(""))
        self.app.register_error_handler(405, lambda _error: self.handle(""))

    def handle(self, path: str) -> Response:
        del path  # routes match the raw path, as API Gateway's do: %2F stays in its segment
        raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or "/"
        raw_path = raw_path.split("?", 1)[0]
        if raw_path.startswith(API_PREFIX + "/"):  # the web app's way in, as CloudFront's /api/*
            raw_path = raw_path.removeprefix(API_PREFIX)
        for route in self._routes:
            match = route.pattern.match(raw_path)
            if match and route.method == request.method:
                break
        else:
            return _gateway_error(404, "Not Found")
        claims: dict[str, Any] | None = None
        if route.authorized:
            header = request.headers.get("Authorization", "")
            try:
                claims = tokens.verify(header.removeprefix("Bearer ").strip())
            except jwt.PyJWTError:
                return _gateway_error(401, "Unauthorized")
        parameters = {name: unquote(value) for name, value in match.groupdict().items()}
        event = self._event(route, raw_path, parameters, claims)
        result = self._invoker.invoke(route.function, event)
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body)
        response = Response(body, status=result.get("statusCode", 200))
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = value
        for cookie in result.get("cookies") or []:
            response.headers.add("Set-Cookie", cookie)
        self.transcript.append(f"{response.status_code} {dict(response.headers)} {body!r}")
        return response

    def _event(
        self,
        route: cfn.Route,
        raw_path: str,
        path_parameters: dict[str, str],
        claims: dict[str, Any] | None,
    ) -> dict[str, Any]:
        body = request.get_data()
        now = time.time()
        context: dict[str, Any] = {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": request.host,
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{route.method} {route.path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        }
        if claims is not None:
            context["authorizer"] = {
                "jwt": {"claims": {k: str(v) for k, v in claims.items()}, "scopes": None}
            }
        text, encoded = _body(body)
        return {
            "version": "2.0",
            "routeKey": context["routeKey"],
            "rawPath": raw_path,
            "rawQueryString": request.query_string.decode(),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "queryStringParameters": request.args.to_dict() or None,
            "pathParameters": path_parameters or None,
            "requestContext": context,
            "body": text,
            "isBase64Encoded": encoded,
        }


def _body(raw: bytes) -> tuple[str | None, bool]:
    """The body as API Gateway passes it on: text, or base64 when it is not UTF-8."""
    if not raw:
        return None, False
    try:
        return raw.decode(), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), True
