"""Runs a function of template.yaml in this process, as `sam local invoke` does in a container.

It honours the function's CodeUri and Handler, its layers (put first on the import path, as
/opt/python is in Lambda) and its environment (Globals merged with its own, references resolved
to the local stack's names). Each function is imported once and then stays warm, like a
container. Usage: python -m local.invoke SettingsFunction -e events/settings-get-settings.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from local import template as cfn

Handler = Callable[[dict[str, Any], Any], Any]
_running = threading.local()  # the function an invocation on this thread runs
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@dataclass(frozen=True)
class AwsCall:
    """One AWS call a function made: the IAM action, the table (name) or key it acted on,
    whether through an index, the partition keys it touched and the KMS encryption context."""

    function: str
    action: str
    resource: str = ""
    index: bool = False
    partition_keys: tuple[str, ...] = ()
    context: tuple[tuple[str, str], ...] = ()


def _partition(key: dict[str, Any] | None) -> tuple[str, ...]:
    value = (key or {}).get("pk", {})
    return (str(value["S"]),) if isinstance(value, dict) and "S" in value else ()


def aws_calls(function: str, service: str, operation: str, params: dict[str, Any]) -> list[AwsCall]:
    """The IAM actions one API call needs (a transaction or batch needs one per item)."""
    if service == "kms":
        context = tuple(sorted((params.get("EncryptionContext") or {}).items()))
        return [
            AwsCall(function, f"kms:{operation}", str(params.get("KeyId", "")), context=context)
        ]
    if service == "sqs":  # IAM authorises SendMessageBatch as sqs:SendMessage
        action = "SendMessage" if operation == "SendMessageBatch" else operation
        return [AwsCall(function, f"sqs:{action}", str(params.get("QueueUrl", "")))]
    if service == "secretsmanager":
        return [AwsCall(function, f"secretsmanager:{operation}", str(params.get("SecretId", "")))]
    if service != "dynamodb":
        return [AwsCall(function, f"{service}:{operation}")]
    if operation == "TransactWriteItems":
        calls = []
        for entry in params.get("TransactItems", []):
            for kind, body in entry.items():
                keys = _partition(body.get("Key") or body.get("Item"))
                calls.append(
                    AwsCall(
                        function,
                        f"dynamodb:{_TRANSACT_ACTIONS[kind]}",
                        body["TableName"],
                        partition_keys=keys,
                    )
                )
        return calls
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [
            AwsCall(function, f"dynamodb:{operation}", table) for table in params["RequestItems"]
        ]
    keys = _partition(params.get("Key") or params.get("Item"))
    if operation == "Query":
        values = params.get("ExpressionAttributeValues", {})
        keys = _partition({"pk": values.get(":p", {})}) if "IndexName" not in params else ()
    return [
        AwsCall(
            function,
            f"dynamodb:{operation}",
            str(params.get("TableName", "")),
            index="IndexName" in params,
            partition_keys=keys,
        )
    ]


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that Powertools and handlers read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 30
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _fresh_container() -> None:
    """Forget what an earlier 'container' in this process cached: in Lambda each function has a
    process of its own, reading its own environment (and endpoints) at cold start."""
    from aws_lambda_powertools.utilities.parameters import base as parameters

    import cbxero.composition

    cbxero.composition.aws_client.cache_clear()
    cbxero.composition.http_session.cache_clear()
    parameters.DEFAULT_PROVIDERS.clear()  # type: ignore[attr-defined]


def _log_level_of_this_container(module: ModuleType) -> None:
    """The function logs as a fresh Lambda process would: at the level its environment says, to
    the standard output of now. Powertools keeps a service logger set up earlier in this process
    (by an earlier stack: a quiet one, or one whose output a finished test captured), so a later
    stack would log less, or somewhere no test reads (the `stack` fixture's secret scan)."""
    from aws_lambda_powertools import Logger

    level = os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
    for value in vars(module).values():
        if isinstance(value, Logger):
            value.setLevel(level.upper())
            for handler in value.handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.stream = sys.stdout  # not setStream: it flushes the old, maybe closed


class InvokerClosed(RuntimeError):
    """An invocation asked of a stack that has stopped."""


class Invoker:
    """One warm 'container' per function; invocations are serialised, as in one Lambda instance."""

    def __init__(
        self,
        refs: dict[str, Any],
        template: cfn.Template | None = None,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self._template = template or cfn.load()
        self._overrides = overrides or {}
        self._refs = {**self._template.parameter_defaults(), **refs}
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.RLock()
        self._closed = False
        self.calls: list[AwsCall] = []  # every AWS call the functions made, for IAM checks
        import boto3

        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        # The functions' clients come from the default session (composition.aws_client).
        boto3.DEFAULT_SESSION.events.register("provide-client-params", self._record)  # type: ignore[union-attr]

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        function = getattr(_running, "function", None)
        if function is not None:
            service = model.service_model.endpoint_prefix
            self.calls += aws_calls(function, service, model.name, params)

    def environment(self, logical_id: str) -> dict[str, str]:
        function = self._template.function(logical_id)
        resolved = {
            name: str(cfn.resolve(value, self._refs))
            for name, value in function.environment.items()
        }
        return {**resolved, **self._overrides}

    def _load(self, function: cfn.Function) -> Handler:
        for layer in reversed(function.layer_dirs):
            if str(layer) not in sys.path:
                sys.path.insert(0, str(layer))  # what /opt/python is for a Lambda with layers
        module_name, _, attribute = function.handler.rpartition(".")
        source = function.code_dir / (module_name.replace(".", "/") + ".py")
        spec = importlib.util.spec_from_file_location(f"lambda_{function.logical_id}", source)
        if spec is None or spec.loader is None:
            raise FileNotFoundError(source)
        module: ModuleType = importlib.util.module_from_spec(spec)
        _fresh_container()
        sys.modules[spec.name] = module  # as an import would: pydantic resolves names through it
        spec.loader.exec_module(module)
        _log_level_of_this_container(module)
        handler: Handler = getattr(module, attribute)
        return handler

    def close(self) -> None:
        """Waits for the invocation in flight, then refuses any other. A request thread the
        stack's stop did not wait for would otherwise put back, after the stop, the environment
        (endpoints included) it saw when it began: the next stack in this process would then
        talk to this one's stopped servers."""
        with self._lock:
            self._closed = True

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        function = self._template.function(logical_id)
        with self._lock:
            if self._closed:
                raise InvokerClosed(f"{logical_id} not invoked: the local stack has stopped")
            return self._invoke(function, logical_id, event)

    def _invoke(self, function: cfn.Function, logical_id: str, event: dict[str, Any]) -> Any:
        with _environment(self.environment(logical_id)):
            if logical_id not in self._handlers:
                self._handlers[logical_id] = self._load(function)
            context = LambdaContext(function_name=logical_id)
            _running.function = logical_id
            try:
                return self._handlers[logical_id](json.loads(json.dumps(event)), context)
            finally:
                _running.function = None


def function_for_event(path: Path) -> str:
    """events/<function>-<case>.json belongs to <Function>Function (oauth -> OAuthFunction)."""
    prefix = path.name.split("-", 1)[0]
    names = {name.removesuffix("Function").lower(): name for name in cfn.load().functions()}
    return names[prefix]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("function", help="logical id in template.yaml, e.g. WorkerFunction")
    parser.add_argument("-e", "--event", type=Path, required=True)
    args = parser.parse_args(argv)
    from local.stack import LocalStack

    with LocalStack() as stack:
        stack.seed_demo_reseller()
        result = stack.invoker.invoke(args.function, json.loads(args.event.read_text()))
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
