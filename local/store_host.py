"""A stand-in for the store page that embeds the integration: CloudBlue's marketplace shows the
app in a frame and hands it the signed-in user's JWT by postMessage, only to the app's origin,
when the app says it is ready (and again when it asks for a fresh one). Never in a URL.

`/store/xero-integration?reseller=<id>` is the page; the token is a local development JWT
(local/tokens.py) for that reseller, minted per page and per renewal.
"""

from __future__ import annotations

import json
import re
from html import escape

from flask import Flask, Response, request

from local import tokens

RESELLER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

HOST_SCRIPT = """
const frame = document.getElementById("integration");
const appOrigin = new URL(frame.src).origin;
const reseller = document.body.dataset.reseller;
async function freshToken() {
  const answer = await fetch(`/store/session?reseller=${encodeURIComponent(reseller)}`,
                             {method: "POST"});
  return (await answer.json()).token;
}
let first = document.querySelector('meta[name="store-session"]').content;
// ?listen_after_ms= : a store that starts listening late (after the app said it was ready).
const listenAfter = Number(document.body.dataset.listenAfter || 0);
window.setTimeout(() => window.addEventListener("message", async (event) => {
  if (event.source !== frame.contentWindow || event.origin !== appOrigin) return;
  const kind = event.data && event.data.type;
  if (kind !== "cbxero:ready" && kind !== "cbxero:token-request") return;
  const token = kind === "cbxero:ready" && first ? first : await freshToken();
  first = "";
  frame.contentWindow.postMessage({type: "cbxero:token", token}, appOrigin);
}), listenAfter);
"""


def _page(app_url: str, reseller_id: str, token: str, listen_after_ms: int = 0) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="store-session" content="{escape(token)}">
<title>Store: Xero integration</title>
<link rel="stylesheet" href="/store/host.css"></head>
<body data-reseller="{escape(reseller_id)}" data-listen-after="{listen_after_ms}">
<header class="store-bar">CloudBlue Reseller Marketplace <span>(local stand-in)</span></header>
<iframe id="integration" title="Xero integration" src="{escape(app_url)}"></iframe>
<script src="/store/host.js"></script>
</body></html>"""


HOST_CSS = """
body { margin: 0; font-family: system-ui, sans-serif; display: flex; flex-direction: column;
       height: 100vh; }
.store-bar { background: #1c2b39; color: #fff; padding: 0.6rem 1rem; font-weight: 600; }
.store-bar span { font-weight: 400; color: #c9d3dd; }
iframe { border: 0; flex: 1; width: 100%; }
"""


def store_app(app_url: str, default_reseller: str) -> Flask:
    app = Flask("store_host")

    def reseller() -> str | None:
        chosen = request.args.get("reseller", default_reseller)
        return chosen if RESELLER_ID.match(chosen) else None

    @app.get("/store/xero-integration")
    def page() -> Response:
        chosen = reseller()
        if chosen is None:
            return Response("reseller: letters, digits and _.:- only", status=400)
        late = request.args.get("listen_after_ms", "0")
        if not late.isdigit() or int(late) > 10_000:
            return Response("listen_after_ms: a whole number of milliseconds, at most 10000", 400)
        page = _page(app_url, chosen, tokens.mint(chosen), int(late))
        return Response(page, mimetype="text/html")

    @app.post("/store/session")
    def session() -> Response:
        chosen = reseller()
        if chosen is None:
            return Response("reseller: letters, digits and _.:- only", status=400)
        body = json.dumps({"token": tokens.mint(chosen)})
        return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})

    @app.get("/store/host.js")
    def script() -> Response:
        return Response(HOST_SCRIPT, mimetype="text/javascript")

    @app.get("/store/host.css")
    def style() -> Response:
        return Response(HOST_CSS, mimetype="text/css")

    return app
