"""`make dev`: the local stack kept running, with the schedules ticking, until Ctrl-C."""

from __future__ import annotations

import copy
import signal
import time
import uuid
from types import FrameType
from typing import Any

from local import tokens
from local.stack import DEMO_RESELLER, XERO_TOKEN_LIFETIME, LocalStack

FIVE_MINUTES = 300
POLL_SECONDS = 2
# Two organisations, so that a connect by hand can choose one, or switch to the other.
ORGANISATIONS = ["Demo Reseller Ltd", "Demo Reseller Second Ltd"]


def open_stack(**options: Any) -> LocalStack:
    """The stack `make dev` runs: Xero's consent page shown (not skipped), two organisations."""
    return LocalStack(auto_consent=False, organisations=ORGANISATIONS, **options)


def prepare(stack: LocalStack) -> dict[str, Any]:
    """Seeds the demo reseller (connected to the first organisation) and gives every other
    organisation the same items, so that products can be mapped again after a switch."""
    customer = stack.seed_demo_reseller(DEMO_RESELLER, {"auto_sync": "every_5_minutes"})
    first = stack.xero.organisation()
    with stack.xero.lock:
        for org in stack.xero.organisations.values():
            if org is not first:
                for code, item in first.items.items():
                    org.items[code] = {**copy.deepcopy(item), "ItemID": str(uuid.uuid4())}
    return customer


def banner(stack: LocalStack, customer_id: str) -> str:
    """What `make dev` prints: where everything is, and the values the README's walk uses."""
    xero_token, tenant_id = stack.xero_token()
    hours = int(XERO_TOKEN_LIFETIME.total_seconds() // 3600)
    orgs = len(stack.xero.organisations)
    return f"""
cbxero local stack is up.
  Web app (store page)    {stack.store_url}
                          (the store page frames the app, {stack.app_url}, and hands it a session)
  API (HTTP API routes)   {stack.front_url}   OpenAPI: {stack.front_url}/openapi.json
  Swagger UI              {stack.front_url}/docs  (Authorize with TOKEN below)
  Xero emulator           {stack.xero_server.url}   (consent page at /identity/connect/authorize)
  SimpleAPI emulator      {stack.market_server.url}   (add customers and orders: /sandbox)
Reseller {DEMO_RESELLER} is connected to Xero; customer {customer_id} has auto-sync on.
Paste these into a shell for the README's walk ("A walk with curl"):
export API={stack.front_url} MARKET={stack.market_server.url} XERO={stack.xero_server.url}
export TOKEN={stack.token()}
export XERO_TOKEN={xero_token} TENANT={tenant_id}
TOKEN is a store JWT for {DEMO_RESELLER} (issuer {tokens.ISSUER}, valid {tokens.LIFETIME_HOURS} h);
XERO_TOKEN reads the Xero emulator's organisation TENANT (valid {hours} h).
  curl -s -H "Authorization: Bearer $TOKEN" $API/settings
  curl -s -X POST $API/_dev/schedule/daily      # fire the daily schedule now
  curl -s -X POST $API/_dev/queue/run           # run queued jobs now
  curl -s -X POST $API/_dev/webhooks/deliver    # Xero's webhook events to $API/xero/webhooks now
  curl -s -X POST $API/_dev/xero/poll           # the Xero poll (every 15 minutes deployed) now
  curl -s -X POST $API/_dev/drift/run           # the drift run now; $API/dashboard shows it
  curl -s -X POST $API/_dev/xero/by-hand/void -d '{{"id": "<invoice id>"}}'  # as a Xero user
Connect again as the store page does (the consent page offers {orgs} organisations):
  curl -s -H "Authorization: Bearer $TOKEN" "$API/xero/connect?return_url={stack.store_page}"
    -> authorization_url (open it in a browser) and verifier (export VERIFIER=<verifier>)
    (add &history_from=2026-01-31 to start history there; GET $API/history follows it)
  allow; the browser lands on {stack.store_page}, which shows the flow handle and the call
  POST $API/xero/connection/complete {{"flow": "<handle>", "verifier": "$VERIFIER"}} (same TOKEN);
  several organisations allowed: PUT $API/xero/connection/tenant {{"tenant_id": "<one of them>"}}
The five-minute schedule fires every five minutes; queued jobs run every {POLL_SECONDS} s.
Ctrl-C stops everything."""


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the stack as Ctrl-C does: nothing is left running


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    ports = {"front_port": 3000, "xero_port": 4010, "marketplace_port": 4020, "store_port": 4030}
    with open_stack(**ports) as stack:
        customer = prepare(stack)
        print(banner(stack, customer["id"]), flush=True)
        last_tick = 0.0
        try:
            while True:
                if time.monotonic() - last_tick >= FIVE_MINUTES:
                    stack.fire_schedule("every_5_minutes")
                    # and the OAuth function's sweep of consents nobody finished
                    stack.invoker.invoke("OAuthFunction", {"sweep": "abandoned_consents"})
                    stack.poll_xero()  # the polling fallback (every 15 minutes when deployed)
                    last_tick = time.monotonic()
                stack.drain_queue()
                stack.deliver_webhooks()  # as Xero does, soon after each change
                stack.drain_events()  # what Xero's webhooks reported
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            print("\nstopping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
