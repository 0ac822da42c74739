"""The webhook function's parts, wired apart from `composition.Container` on purpose.

Xero's intent-to-receive check wants its answer within five seconds of a cold start. Importing
`composition` brings boto3, requests and every DynamoDB repository at once; this function uses
none of them but a Secrets Manager read and an SQS client, built at the first delivery.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from cbxero.config import WebhookConfig
from cbxero.services.xero_webhook import WebhookReceiver

if TYPE_CHECKING:
    from cbxero.ports import XeroEventQueue

KEY_MAX_AGE = 300  # seconds a read key is kept: a key rotated in Secrets Manager takes over


class WebhookContainer:
    def __init__(self, config: WebhookConfig) -> None:
        self.config = config

    @cached_property
    def _secrets(self) -> Any:
        import boto3
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        return SecretsProvider(boto3_client=boto3.client("secretsmanager"))

    def key(self) -> bytes:
        """The webhook signing key, as Xero shows it (plain text), cached by Powertools."""
        value = self._secrets.get(self.config.xero_webhook_key_name, max_age=KEY_MAX_AGE)
        text = value.decode() if isinstance(value, bytes) else str(value)
        if not text.strip():
            raise RuntimeError("the webhook key's secret is empty")
        return text.strip().encode()

    @cached_property
    def _sqs(self) -> Any:
        import boto3

        return boto3.client("sqs")

    @cached_property
    def queue(self) -> XeroEventQueue:
        from cbxero.adapters.sqs import SqsXeroEventQueue

        return SqsXeroEventQueue(self._sqs, self.config.xero_events_queue_url)

    @cached_property
    def receiver(self) -> WebhookReceiver:
        return WebhookReceiver(key=self.key, queue=lambda: self.queue)
