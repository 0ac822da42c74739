"""A Xero emulator on one host: OAuth 2.0 (authorize, token, connections) and the accounting
endpoints the integration uses (Contacts, Items, Invoices, CreditNotes, Organisation, ...), at
Xero's own paths.

Run it alone: python -m local.xero_emulator --port 4010 [--client-id ID --client-secret S]
[--auto-consent]. Point a Xero client's login, identity and API base URLs at it.

Its parts: `state` (what it holds, which tests read and set), `identity` (OAuth and
connections), `limits` (the door of every accounting call: rate limits and injected faults),
`accounting` (the endpoints) over `documents` (their rules), `queries`, `where` and `fields`
(how a GET narrows its list), `replies` (Xero's answer shapes), `webhooks` (events of what
changed, signed and delivered to a configured URL) and `by_hand` (what a user does in Xero's
screens: void, delete, archive, merge).
"""

from __future__ import annotations

import argparse
import threading
import time

from flask import Flask

from local.xero_emulator.accounting import Accounting
from local.xero_emulator.by_hand import ByHand, RefusedByXero
from local.xero_emulator.identity import Identity
from local.xero_emulator.limits import Gate
from local.xero_emulator.replies import problem
from local.xero_emulator.state import EmulatorState, Grant, Limits, Organisation, RefreshToken
from local.xero_emulator.webhooks import DeliveryReport

__all__ = [
    "Grant",
    "Limits",
    "Organisation",
    "RefreshToken",
    "RefusedByXero",
    "XeroEmulator",
    "main",
]


class XeroEmulator(EmulatorState):
    """The emulator's state and its Flask app. Thread-safe; inspect it directly in tests."""

    def __init__(
        self,
        *,
        client_id: str = "local-client",
        client_secret: str = "local-secret",  # noqa: S107 - the emulator's own test credential
        auto_consent: bool = True,
        organisations: list[str] | None = None,
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            auto_consent=auto_consent,
            organisations=organisations,
        )
        self.identity = Identity(self)
        self.accounting = Accounting(self, Gate(self, self.identity))
        # What a Xero user does by hand: void, delete, archive, merge (emulator.by_hand.void(id)).
        self.by_hand = ByHand(self)
        self.app = self._build_app()

    def disconnect_in_xero(self, tenant_id: str) -> int:
        """The user disconnects the organisation under Xero's Connected Apps (see Identity)."""
        return self.identity.disconnect_in_xero(tenant_id)

    def deliver_webhooks(self) -> DeliveryReport:
        """Sends the queued webhook events to the configured URL (see webhooks)."""
        return self.webhooks.deliver()

    def _build_app(self) -> Flask:
        app = Flask("xero_emulator")
        identity = self.identity
        app.add_url_rule("/identity/connect/authorize", view_func=identity.authorize)
        app.add_url_rule("/identity/connect/consent", view_func=identity.consent, methods=["POST"])
        app.add_url_rule("/connect/token", view_func=identity.token, methods=["POST"])
        app.add_url_rule("/connect/revocation", view_func=identity.revocation, methods=["POST"])
        for path in ("/connections", "/Connections"):
            app.add_url_rule(path, path, view_func=identity.connections, methods=["GET"])
            app.add_url_rule(
                f"{path}/<connection_id>",
                f"{path}-delete",
                view_func=identity.delete_connection,
                methods=["DELETE"],
            )
        self.accounting.route(app)
        # What Flask itself refuses answers in Xero's JSON, never an HTML page.
        app.register_error_handler(
            400, lambda _e: problem(400, "ValidationException", "bad request")
        )
        app.register_error_handler(404, lambda _e: problem(404, "NotFound", "not found"))
        app.register_error_handler(405, lambda _e: problem(405, "MethodNotAllowed", "not allowed"))
        return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Xero emulator (OAuth 2.0 + accounting API)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--client-id", default="local-client")
    parser.add_argument("--client-secret", default="local-secret")
    parser.add_argument("--auto-consent", action="store_true")
    parser.add_argument("--organisation", action="append", dest="organisations")
    parser.add_argument("--webhook-url", help="deliver Xero's webhook events here")
    parser.add_argument("--webhook-key", help="the webhook key to sign them with")
    parser.add_argument(
        "--webhook-seconds", type=float, default=5.0, help="deliver queued events this often"
    )
    args = parser.parse_args(argv)
    emulator = XeroEmulator(
        client_id=args.client_id,
        client_secret=args.client_secret,
        auto_consent=args.auto_consent,
        organisations=args.organisations,
    )
    print(f"Xero emulator on http://{args.host}:{args.port} (client id {args.client_id})")
    if args.webhook_url and args.webhook_key:
        emulator.webhooks.configure(args.webhook_url, args.webhook_key)
        _deliver_every(emulator, args.webhook_seconds)
        print(f"webhook events to {args.webhook_url} every {args.webhook_seconds:g} s")
    emulator.app.run(host=args.host, port=args.port, threaded=True)
    return 0


def _deliver_every(emulator: XeroEmulator, seconds: float) -> None:
    """Xero sends its events soon after each change: here, every `seconds`, in a thread."""

    def loop() -> None:
        while True:
            time.sleep(seconds)
            emulator.deliver_webhooks()

    threading.Thread(target=loop, name="xero-webhooks", daemon=True).start()
