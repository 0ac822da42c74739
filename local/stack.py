"""The whole product on one machine, with no AWS, Xero or CloudBlue account.

DynamoDB Local (the real engine) holds the tables, created from template.yaml's definitions;
moto's server plays SQS and Secrets Manager; the Xero and SimpleAPI emulators play the outside
world; the invoker runs the real handlers; the HTTP front serves the API routes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import flask
import requests

from local import template as cfn
from local import tokens
from local.http_front import HttpFront
from local.invoke import Invoker
from local.servers import DynamoDBLocal, LoopbackServer, create_tables, dynamodb_client, free_port
from local.simpleapi_emulator import SimpleApiEmulator
from local.store_host import store_app
from local.web_host import WebHost
from local.xero_emulator import Grant, RefusedByXero, XeroEmulator
from local.xero_emulator.webhooks import DeliveryReport

# The servers' names stay importable from here, where the tests and benchmarks found them.
__all__ = [
    "DEMO_RESELLER",
    "LOCAL_STORE_PAGE",
    "XERO_TOKEN_LIFETIME",
    "DynamoDBLocal",
    "LocalStack",
    "LoopbackServer",
    "create_tables",
    "dynamodb_client",
    "sqs_event",
]

REGION = "us-east-1"
LOCAL_STORE_PAGE = "http://localhost/store/xero"
DEMO_RESELLER = "reseller-1001"
SCHEDULES = ("every_5_minutes", "daily")  # the dispatcher's two EventBridge schedules
XERO_TOKEN_LIFETIME = timedelta(hours=8)


class LocalStack:
    """Start with `with LocalStack() as stack:`; everything it started stops on exit."""

    def __init__(
        self,
        *,
        dynamodb_endpoint: str | None = None,
        front_port: int | None = None,
        xero_port: int | None = None,
        marketplace_port: int | None = None,
        store_port: int | None = None,
        quiet: bool = False,
        auto_consent: bool = True,
        visibility_timeout: int = 180,
        organisations: list[str] | None = None,
    ) -> None:
        self._visibility_timeout = visibility_timeout
        self.template = cfn.load()
        self.prefix = f"cbx{uuid.uuid4().hex[:8]}"
        self._dynamodb_endpoint = dynamodb_endpoint or os.environ.get("CBXERO_DYNAMODB_ENDPOINT")
        self._own_dynamodb: DynamoDBLocal | None = None
        self.xero = XeroEmulator(auto_consent=auto_consent, organisations=organisations)
        self.marketplace = SimpleApiEmulator()
        self.marketplace.seed()
        self._ports = {
            "front": front_port,
            "xero": xero_port,
            "market": marketplace_port,
            "store": store_port,
        }
        self._quiet = quiet
        self._servers: list[Any] = []
        self._saved_environ: dict[str, str] = {}
        self._drain_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        self._saved_environ = dict(os.environ)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        if self._dynamodb_endpoint is None:
            self._own_dynamodb = DynamoDBLocal()  # known before it starts, so stop() finds it
            self._dynamodb_endpoint = self._own_dynamodb.start().endpoint
        # moto's server app (what its ThreadedMotoServer serves), on a loopback server of ours
        moto_app = DomainDispatcherApplication(create_backend_app)
        moto = LoopbackServer(moto_app, request_handler=MotoRequestHandler).start()
        self._servers.append(moto)
        moto_url = moto.url
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",  # moto and DynamoDB Local accept anything
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL_DYNAMODB": self._dynamodb_endpoint,
                "AWS_ENDPOINT_URL_SQS": moto_url,
                "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_url,
                "AWS_ENDPOINT_URL_KMS": moto_url,
                "AWS_ENDPOINT_URL_SSM": moto_url,
                "OAUTHLIB_INSECURE_TRANSPORT": "1",  # the emulators speak plain http on loopback
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "cbxero-local",
            }
        )
        self.xero_server = LoopbackServer(self.xero.app, self._ports["xero"]).start()
        self.market_server = LoopbackServer(self.marketplace.app, self._ports["market"]).start()
        self._servers += [self.xero_server, self.market_server]

        self.dynamodb = boto3.client("dynamodb")
        self.sqs = boto3.client("sqs")
        tables = create_tables(self.dynamodb, self.prefix, self.template)
        dlq = self.sqs.create_queue(
            QueueName=f"{self.prefix}-dlq.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.queue_url = self._queue("sync", dlq_arn)
        self.dead_letter_url = dlq
        events_dlq = self.sqs.create_queue(
            QueueName=f"{self.prefix}-events-dlq.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        self.events_dead_letter_url = events_dlq
        self.events_queue_url = self._queue(
            "events",
            self.sqs.get_queue_attributes(QueueUrl=events_dlq, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"],
        )
        # The key Xero signs its webhooks with; the emulator signs with the same one.
        self.webhook_key = secrets.token_urlsafe(32)
        self.token_key_id = boto3.client("kms").create_key(Description="local token key")[
            "KeyMetadata"
        ]["KeyId"]
        secret_store = boto3.client("secretsmanager")
        xero_client_id, xero_secret = next(iter(self.xero.clients.items()))
        user, password = self.marketplace.credentials
        for name, value in {
            f"{self.prefix}-xero": {"client_id": xero_client_id, "client_secret": xero_secret},
            f"{self.prefix}-xero-webhook": self.webhook_key,
            f"{self.prefix}-marketplace": {
                "username": user,
                "password": password,
                "subscription_key": self.marketplace.subscription_key,
            },
        }.items():
            plain = value if isinstance(value, str) else json.dumps(value)
            secret_store.create_secret(Name=name, SecretString=plain)

        self.front_port = self._ports["front"] or free_port()
        self.front_url = f"http://127.0.0.1:{self.front_port}"
        # The web app, served by the front at / (as CloudFront serves it), and the store page
        # that frames it, on an origin of its own: the app takes a session only from there.
        self.app_url = f"http://localhost:{self.front_port}/"
        store_port = self._ports["store"] or free_port()
        self.store_origin = f"http://localhost:{store_port}"
        self.store_url = f"{self.store_origin}/store/xero-integration"
        # The store page a connect by hand returns to: served by the front itself (below).
        self.store_page = f"http://localhost:{self.front_port}/store/xero"
        refs: dict[str, Any] = {
            **tables,
            "SyncQueue": self.queue_url,
            "XeroEventsQueue": self.events_queue_url,
            "XeroWebhookKey": f"{self.prefix}-xero-webhook",
            "TokenKey": self.token_key_id,
            "XeroClientSecret": f"{self.prefix}-xero",
            "MarketplaceSecret": f"{self.prefix}-marketplace",
            "XeroApiUrl": self.xero_server.url,
            "XeroIdentityUrl": self.xero_server.url,
            "XeroLoginUrl": self.xero_server.url,
            "MarketplaceApiUrl": self.market_server.url,
            "XeroRedirectUri": f"{self.front_url}/xero/callback",
            "AllowedReturnHosts": ["localhost", f"localhost:{self.front_port}"],
        }
        # The web app's host, as the deployed stack's WebHostParameter holds it for connect.
        boto3.client("ssm").put_parameter(
            Name=cfn.resolve(
                self.template.function("OAuthFunction").environment["APP_HOST_PARAMETER"], refs
            ),
            Value=f"localhost:{self.front_port}",
            Type="String",
            Overwrite=True,  # moto's state is the process's: a stack before this one set it
        )
        self.tables = tables
        quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "LOG_LEVEL": "WARNING"}
        self.invoker = Invoker(refs, self.template, quiet if self._quiet else None)
        self.web_host = WebHost([self.store_origin])
        self.http_front = HttpFront(self.invoker, self.template, self.web_host)
        # Local-only routes beside the API's (no token: loopback development aids).
        self.http_front.app.add_url_rule(
            "/_dev/schedule/<frequency>", "dev-schedule", self._dev_schedule, methods=["POST"]
        )
        self.http_front.app.add_url_rule(
            "/_dev/queue/run", "dev-queue", self._dev_run_queue, methods=["POST"]
        )
        self.http_front.app.add_url_rule(
            "/store/xero", "dev-store-page", self._dev_store_page, methods=["GET"]
        )
        self.http_front.app.add_url_rule(
            "/_dev/webhooks/deliver", "dev-webhooks", self._dev_deliver_webhooks, methods=["POST"]
        )
        self.http_front.app.add_url_rule(
            "/_dev/webhooks/intent-to-receive",
            "dev-webhooks-check",
            self._dev_intent_to_receive,
            methods=["POST"],
        )
        self.http_front.app.add_url_rule(
            "/_dev/xero/poll", "dev-xero-poll", self._dev_poll_xero, methods=["POST"]
        )
        self.http_front.app.add_url_rule(
            "/_dev/drift/run", "dev-drift-run", self._dev_run_drift, methods=["POST"]
        )
        self.http_front.app.add_url_rule(
            "/_dev/xero/by-hand/<action>", "dev-xero-by-hand", self._dev_by_hand, methods=["POST"]
        )
        self.front = LoopbackServer(self.http_front.app, self.front_port).start()
        self._servers.append(self.front)
        self.store_server = LoopbackServer(
            store_app(self.app_url, DEMO_RESELLER), store_port
        ).start()
        self._servers.append(self.store_server)
        # Xero's webhooks for this app: signed with the key the function reads, to its route.
        self.xero.webhooks.configure(f"{self.front_url}/xero/webhooks", self.webhook_key)

    def _queue(self, name: str, dead_letter_arn: str) -> str:
        """A FIFO queue as template.yaml declares it, with its dead-letter queue."""
        receives = self.template.parameter_defaults()["SyncMaxReceives"]
        return str(
            self.sqs.create_queue(
                QueueName=f"{self.prefix}-{name}.fifo",
                Attributes={
                    "FifoQueue": "true",
                    "VisibilityTimeout": str(self._visibility_timeout),
                    "RedrivePolicy": json.dumps(
                        {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(receives)}
                    ),
                },
            )["QueueUrl"]
        )

    def stop(self) -> None:
        """Stops everything started so far; each part is stopped even if another fails.

        Each server's stop waits for its serving loop to notice, so the servers stop side by
        side (a failure stays in its own thread): a teardown costs one wait, not four.
        """
        try:
            invoker = getattr(self, "invoker", None)
            if invoker is not None:  # the invocation in flight ends first, and no other starts
                invoker.close()
            stopping = [threading.Thread(target=server.stop) for server in self._servers]
            for thread in stopping:
                thread.start()
            for thread in stopping:
                thread.join()
            self._servers.clear()
        finally:
            if self._own_dynamodb is not None:
                self._own_dynamodb.stop()
        if self._saved_environ:
            os.environ.clear()
            os.environ.update(self._saved_environ)

    def secrets_in_play(self) -> set[str]:
        """Every token and credential issued or configured in this stack's life."""
        found = set(self.xero.issued) | set(self.xero.clients.values())
        found |= set(self.marketplace.tokens) | {self.marketplace.credentials[1]}
        found.add(self.marketplace.subscription_key)
        found.add(getattr(self, "webhook_key", ""))
        return {secret for secret in found if len(secret) >= 8}

    # ------------------------------------------------------------------ driving it
    def token(self, reseller_id: str = DEMO_RESELLER) -> str:
        return tokens.mint(reseller_id)

    def api(self, method: str, path: str, reseller_id: str = DEMO_RESELLER, **kwargs: Any) -> Any:
        headers = {
            "Authorization": f"Bearer {self.token(reseller_id)}",
            **kwargs.pop("headers", {}),
        }
        return requests.request(
            method,
            self.front_url + path,
            headers=headers,
            timeout=30,
            allow_redirects=False,
            **kwargs,
        )

    def connect_xero(
        self,
        reseller_id: str = DEMO_RESELLER,
        tenants: str = "first",
        history_from: str | None = None,
    ) -> str:
        """The OAuth dance as the store page does it: start (keeping the verifier), consent on the
        emulator's page (the first organisation, or "all"), the callback, then finish the pending
        flow as the same user. Returns the store URL the callback sent the browser to."""
        browser = requests.Session()  # one browser, its own cookie jar, from start to finish
        params = {"return_url": LOCAL_STORE_PAGE}
        if history_from is not None:  # the history start chosen on the consent page
            params["history_from"] = history_from
        started = self.api("GET", "/xero/connect", reseller_id, params=params)
        started.raise_for_status()
        link = started.json()
        authorization_url, verifier = link["authorization_url"], link["verifier"]
        consent = browser.get(authorization_url, allow_redirects=False, timeout=30)
        if consent.status_code == 200:  # the consent page
            form = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
            chosen = list(self.xero.organisations)
            consent = browser.post(
                f"{self.xero_server.url}/identity/connect/consent",
                data={
                    **form,
                    "tenant": chosen if tenants == "all" else chosen[:1],
                    "decision": "allow",
                },
                allow_redirects=False,
                timeout=30,
            )
        callback = browser.get(consent.headers["Location"], allow_redirects=False, timeout=30)
        if callback.status_code != 302:
            raise RuntimeError(f"callback answered {callback.status_code}: {callback.text}")
        landed = str(callback.headers["Location"])
        outcome = {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()}
        if outcome.get("xero") == "pending":  # the store page finishes what it started
            self.api(
                "POST",
                "/xero/connection/complete",
                reseller_id,
                json={"flow": outcome["flow"], "verifier": verifier},
            ).raise_for_status()
        return landed

    def xero_token(self, lifetime: timedelta = XERO_TOKEN_LIFETIME) -> tuple[str, str]:
        """An access token to the Xero emulator's organisation, to read what the product sent
        (as a custom connection would); returns it with the tenant id to send beside it."""
        org = self.xero.organisation()
        token = secrets.token_urlsafe(32)
        with self.xero.lock:
            self.xero.access_tokens[token] = Grant(
                client_id=next(iter(self.xero.clients)),
                tenant_ids=[org.tenant_id],
                scopes="accounting.transactions accounting.contacts accounting.settings",
                expires_at=self.xero.clock() + lifetime,
            )
            self.xero.issued.append(token)
        return token, org.tenant_id

    def _dev_schedule(self, frequency: str) -> Any:
        if frequency not in SCHEDULES:
            return {"message": f"frequency is one of {', '.join(SCHEDULES)}"}, 404
        dispatched = self.fire_schedule(frequency)
        return {"frequency": frequency, "dispatcher": dispatched, "jobs_run": self.drain_queue()}

    def _dev_store_page(self) -> Any:
        """A stand-in for the store page a connect returns to: it shows what came back and,
        for a pending consent, the call the real page would make (it alone holds the verifier)."""
        args = flask.request.args
        outcome, flow, reason = (escape(args.get(k, "")) for k in ("xero", "flow", "reason"))
        if outcome == "pending":
            body = (
                "<h1>Xero consent given: finish the connection</h1>"
                f"<p>Flow handle: <code>{flow}</code> (valid ten minutes, once).</p>"
                "<p>The store page would now send the flow and the verifier that "
                "<code>GET /xero/connect</code> gave it, with the same user's token:</p>"
                '<pre style="white-space: pre-wrap">'
                'curl -s -X POST -H "Authorization: Bearer $TOKEN" '
                f'-H "Content-Type: application/json" "{self.front_url}/xero/connection/complete" '
                f'-d \'{{"flow": "{flow}", "verifier": "\'"$VERIFIER"\'"}}\'</pre>'
            )
        elif outcome == "error":
            body = f"<h1>Xero connection not made</h1><p>Reason: <code>{reason}</code></p>"
        else:
            body = "<h1>Store page (local)</h1><p>A Xero connect started by hand returns here.</p>"
        page = f"<!doctype html><html lang=en><meta charset=utf-8><title>Store: Xero</title>{body}"
        return flask.Response(page, mimetype="text/html")

    def _dev_run_queue(self) -> Any:
        return {"jobs_run": self.drain_queue()}

    def deliver_webhooks(self) -> DeliveryReport:
        """The Xero emulator sends its queued webhook events to this stack's /xero/webhooks."""
        return self.xero.deliver_webhooks()

    def _dev_deliver_webhooks(self) -> Any:
        # and the events function takes what arrived, as Lambda would at once
        delivered = dataclasses.asdict(self.deliver_webhooks())
        return {**delivered, "events_recorded": self.drain_events()}

    def _dev_intent_to_receive(self) -> Any:
        check = self.xero.webhooks.intent_to_receive()
        return {**dataclasses.asdict(check), "passed": check.passed}

    def _dev_poll_xero(self) -> Any:
        return {"poll": self.poll_xero()}

    def run_drift(self) -> Any:
        """The hourly drift run now: the daily report of each auto-sync reseller not checked in
        the last 20 hours (its counts are what `GET /dashboard` shows as `drift`)."""
        return self.invoker.invoke("DriftFunction", {"run": "drift"})

    def _dev_run_drift(self) -> Any:
        return {"drift": self.run_drift()}

    def _dev_by_hand(self, action: str) -> Any:
        """What a Xero user does in Xero's screens (the emulator's `by_hand`), over HTTP: the
        body names the document, contact or item; the change queues Xero's webhook event."""
        body = flask.request.get_json(force=True, silent=True) or {}  # curl -d sends a form type
        hand = self.xero.by_hand
        acts: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
            "void": ("id", lambda: hand.void(body["id"])),
            "delete": ("id", lambda: hand.delete(body["id"])),
            "archive-contact": ("id", lambda: hand.archive_contact(body["id"])),
            "merge-contact": ("id, into", lambda: hand.merge_contact(body["id"], body["into"])),
            "archive-item": ("code", lambda: hand.archive_item(body["code"])),
            "delete-item": ("code", lambda: hand.delete_item(body["code"])),
        }
        if action not in acts:
            return {"message": f"action is one of {', '.join(acts)}"}, 404
        needs, act = acts[action]
        if not isinstance(body, dict) or any(
            not isinstance(body.get(name), str) for name in needs.split(", ")
        ):
            return {"message": f"{action} takes a JSON body with {needs} (strings)"}, 400
        try:
            return {"done": action, "xero": act()}
        except RefusedByXero as refused:
            return {"message": f"Xero refuses it: {refused}"}, 409
        except KeyError as missing:
            return {"message": f"the organisation has no such one: {missing}"}, 404

    def fire_schedule(self, frequency: str) -> Any:
        return self.invoker.invoke("DispatcherFunction", {"frequency": frequency})

    def drain_queue(self, rounds: int = 20) -> int:
        """Hand queued jobs to the worker as Lambda's SQS event source does; returns jobs done."""
        with self._drain_lock:  # `make dev`'s loop and a /_dev request never run it at once
            return self._drain(self.queue_url, "WorkerFunction", rounds)

    def drain_events(self, rounds: int = 20) -> int:
        """Hand queued Xero events to the events function as Lambda does; returns events done."""
        with self._drain_lock:
            return self._drain(self.events_queue_url, "XeroEventsFunction", rounds)

    def send_xero_events(self, events: Sequence[Any]) -> None:
        """Xero events onto the events queue as the webhook receiver puts them: one a message,
        the organisation as group, the event's key as deduplication id."""
        for event in events:
            self.sqs.send_message(
                QueueUrl=self.events_queue_url,
                MessageBody=event.model_dump_json(by_alias=True),
                MessageGroupId=event.tenant_id,
                MessageDeduplicationId=event.key,
            )

    def poll_xero(self) -> Any:
        """The events function's scheduled poll of every organisation, now."""
        return self.invoker.invoke("XeroEventsFunction", {"poll": "all"})

    def _drain(self, queue_url: str, function: str, rounds: int) -> int:
        done = 0
        for _ in range(rounds):
            received = self.sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                MessageSystemAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not received:
                return done
            result = self.invoker.invoke(function, sqs_event(received, queue_url))
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            for message in received:
                # As Lambda does, a failed job is left alone: it returns after its visibility
                # timeout, or after the delay the worker set (a long Retry-After).
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(
                        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
                    done += 1
        return done

    def seed_demo_reseller(
        self, reseller_id: str = DEMO_RESELLER, settings: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A connected reseller with settings, a Xero item per product and mapped products;
        returns the marketplace customer it switched auto-sync on for."""
        self.connect_xero(reseller_id)
        settings = settings or {"auto_sync": "every_5_minutes"}
        self.api("PUT", "/settings", reseller_id, json=settings).raise_for_status()
        org = self.xero.organisation()
        for product in list(self.marketplace.products.values()):
            code = product["mpn"][:30]
            org.items[code] = {
                "ItemID": str(uuid.uuid4()),
                "Code": code,
                "Name": product["name"][:50],
                "Description": product["name"],
                "SalesDetails": {
                    "UnitPrice": float(product["prices"][0]["amount"]),
                    "AccountCode": "200",
                },
            }
            self.api(
                "PUT",
                f"/products/{product['mpn']}",
                reseller_id,
                json={"product_name": product["name"], "xero_item_code": code},
            ).raise_for_status()
        customer = next(iter(self.marketplace.customers.values()))
        customer["resellerId"] = reseller_id  # the reseller's own marketplace customer
        self.api(
            "PUT", f"/customers/{customer['id']}", reseller_id, json={"auto_sync": True}
        ).raise_for_status()
        return customer


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_url: str) -> dict[str, Any]:
    arn = f"arn:aws:sqs:{REGION}:000000000000:{queue_url.rsplit('/', 1)[-1]}"
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(time.time() * 1000)),
                    "SenderId": "local",
                    "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                    **m.get("Attributes", {}),
                },
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }
