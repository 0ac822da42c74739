"""Serves the web app (web/dist, built by `make web`) as CloudFront does when deployed: the page
at `/`, its hashed assets, `/config.json` naming the store origins that may frame it and hand it
a session, and the same security headers (template.yaml's response headers policy)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from flask import Flask, Response, send_from_directory

from local import template as cfn

WEB_DIST = cfn.ROOT / "web" / "dist"

# The page's Content-Security-Policy, but for frame-ancestors (the store's origins). template.yaml
# sends the same (tests/unit/test_web_host.py keeps the two in step).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'none'; object-src 'none'"
)

# How long a browser and CloudFront keep each: the hashed assets for good, the pages revalidated
# on every load, the configuration never. scripts/publish-web uploads with the same.
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
CONFIG_CACHE = "no-store"


def policy(store_origins: Sequence[str]) -> str:
    return f"{CONTENT_SECURITY_POLICY}; frame-ancestors {' '.join(store_origins) or "'none'"}"


def security_headers(store_origins: Sequence[str]) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy(store_origins),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    }


class WebHost:
    """Adds the app's routes to a Flask app (the local HTTP front)."""

    def __init__(self, store_origins: Sequence[str]) -> None:
        self.store_origins = list(store_origins)
        # How often the app looks for pop-up notifications (None: the app's own default); a
        # browser test shortens it rather than wait.
        self.notification_poll_seconds: float | None = None
        self.notification_linger_seconds: float | None = None

    def install(self, app: Flask) -> None:
        # GET (and HEAD) only, as CloudFront's behaviour for the app: no automatic OPTIONS
        # answer, which Flask would give without the security headers.
        routes: list[tuple[str, str, Callable[..., Response]]] = [
            ("/", "web-index", self.index),
            ("/index.html", "web-index-file", self.index),
            ("/connected.html", "web-connected", self.connected),
            ("/assets/<path:name>", "web-assets", self.asset),
            ("/config.json", "web-config", self.config),
        ]
        for rule, endpoint, view in routes:
            app.add_url_rule(rule, endpoint, view, methods=["GET"], provide_automatic_options=False)

    def _headers(self, response: Response, cache: str) -> Response:
        response.headers.update(security_headers(self.store_origins))
        response.headers["Cache-Control"] = cache
        return response

    def _page(self, name: str) -> Response:
        if not (WEB_DIST / name).is_file():
            missing = f"The web app is not built ({WEB_DIST / name} is missing): run `make web`."
            return Response(missing, status=503, mimetype="text/plain")
        return self._headers(send_from_directory(WEB_DIST, name), PAGE_CACHE)

    def index(self) -> Response:
        return self._page("index.html")

    def connected(self) -> Response:
        return self._page("connected.html")

    def asset(self, name: str) -> Response:
        response = send_from_directory(WEB_DIST / "assets", name)  # refuses ../ itself
        return self._headers(response, ASSET_CACHE)

    def config(self) -> Response:
        config: dict[str, object] = {"storeOrigins": self.store_origins}
        if self.notification_poll_seconds is not None:
            config["notificationPollSeconds"] = self.notification_poll_seconds
        if self.notification_linger_seconds is not None:
            config["notificationLingerSeconds"] = self.notification_linger_seconds
        body = json.dumps(config)
        return self._headers(Response(body, mimetype="application/json"), CONFIG_CACHE)
