"""Xero webhook function: Xero's signed deliveries. A door over WebhookReceiver.

Public (no store JWT): the signature is the credential. The answer is a status with no body
and no cookie, as Xero asks: 200 signed right, 401 signed wrong or not at all, 503 when the
events could not be queued (Xero delivers again). Bad input never gets a 5xx.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from cbxero.config import WebhookConfig
from cbxero.services.xero_webhook import SIGNATURE_HEADER
from cbxero.webhook_container import WebhookContainer

logger = Logger()
RECEIVER = WebhookContainer(WebhookConfig.from_environ()).receiver


def _answer(status: int) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Cache-Control": "no-store"}, "body": ""}


def raw_body(event: dict[str, Any]) -> bytes | None:
    """The body as Xero sent it: API Gateway passes text as is and other bytes in base64."""
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        return None
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    return body.encode("utf-8", "surrogatepass")


def signature(event: dict[str, Any]) -> str | None:
    headers = event.get("headers") or {}
    if not isinstance(headers, dict):
        return None
    found = next((v for k, v in headers.items() if str(k).lower() == SIGNATURE_HEADER), None)
    return found if isinstance(found, str) else None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    body = raw_body(event)
    if body is None:
        logger.warning("webhook body not readable as sent")
        return _answer(401)
    try:
        receipt = RECEIVER.receive(body, signature(event))
    except Exception:  # the key could not be read: Xero delivers again
        logger.exception("webhook not checked: the signing key could not be read")
        return _answer(503)
    facts = {
        "status": receipt.status,
        "bytes": len(body),
        "events": receipt.events,
        "queued": receipt.queued,
        "unreadable": receipt.unreadable,
    }
    if receipt.status >= 500:
        logger.error(f"webhook events not queued: {receipt.problem}", extra=facts)
    elif receipt.status == 401:
        logger.warning("webhook refused: signature missing or wrong", extra=facts)
    elif receipt.unreadable:
        logger.error(f"signed webhook partly unreadable: {receipt.problem}", extra=facts)
    else:
        logger.info("webhook received", extra=facts)
    return _answer(receipt.status)
