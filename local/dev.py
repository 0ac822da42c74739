"""`make dev`: the local stack kept running, with the schedules ticking, until Ctrl-C."""

from __future__ import annotations

import signal
import time
from types import FrameType

from local.stack import DEMO_RESELLER, LocalStack

FIVE_MINUTES = 300
POLL_SECONDS = 2


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the stack as Ctrl-C does: nothing is left running


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    with LocalStack(
        front_port=3000, xero_port=4010, marketplace_port=4020, auto_consent=False
    ) as stack:
        customer = stack.seed_demo_reseller(DEMO_RESELLER, {"auto_sync": "every_5_minutes"})
        print(
            f"""
cbxero local stack is up.
  API (HTTP API routes)   {stack.front_url}   OpenAPI: {stack.front_url}/openapi.json
  Swagger UI              {stack.front_url}/docs  (Authorize with the token below)
  Xero emulator           {stack.xero_server.url}   (consent page at /identity/connect/authorize)
  SimpleAPI emulator      {stack.market_server.url}
Reseller {DEMO_RESELLER} is connected; customer {customer["id"]} has auto-sync on.
Try:
  curl -s -H "Authorization: Bearer {stack.token()}" {stack.front_url}/settings
The five-minute schedule fires every five minutes; queued jobs run every {POLL_SECONDS} s.
Ctrl-C stops everything.""",
            flush=True,
        )
        last_tick = 0.0
        try:
            while True:
                if time.monotonic() - last_tick >= FIVE_MINUTES:
                    stack.fire_schedule("every_5_minutes")
                    last_tick = time.monotonic()
                stack.drain_queue()
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            print("\nstopping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
