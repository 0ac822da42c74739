"""The processes and servers a local stack is made of, each usable alone (the tests and
benchmarks start them one by one): DynamoDB Local as a Java subprocess, a WSGI app on a loopback
port, and the tables of template.yaml."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from local import template as cfn

DYNAMODB_DIR = cfn.ROOT / ".local" / "dynamodb"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, seconds: float = 60, alive: Callable[[], bool] = lambda: True) -> None:
    """Wait until something answers at url. Any request error (refused, reset, a read timeout
    while a JVM warms up) means "not yet"; a process that died means "never"."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the process meant to answer at {url} exited")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:  # a read timeout too, while the JVM warms up
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url} within {seconds} s")


class DynamoDBLocal:
    """Amazon's DynamoDB Local, in memory, as a Java subprocess."""

    def __init__(self, port: int | None = None, wait_seconds: float = 60) -> None:
        self.port = port or free_port()
        self._wait_seconds = wait_seconds
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> DynamoDBLocal:
        jar = DYNAMODB_DIR / "DynamoDBLocal.jar"
        if not jar.exists():
            raise FileNotFoundError(f"{jar} is missing: run `make setup` first")
        java = shutil.which("java")
        if java is None:
            raise FileNotFoundError("DynamoDB Local needs java on PATH")
        command = [
            java,
            f"-Djava.library.path={DYNAMODB_DIR / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-inMemory",
            "-port",
            str(self.port),
            "-disableTelemetry",
        ]
        self._process = subprocess.Popen(  # noqa: S603 - fixed command line
            command, cwd=DYNAMODB_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_for(self.endpoint, self._wait_seconds, alive=self.running)
        except BaseException:
            self.stop()  # a failed start leaves no Java behind
            raise
        return self

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def dynamodb_client(endpoint: str) -> Any:
    """A DynamoDB client for DynamoDB Local (which takes any credentials)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local's placeholder
    )


class LoopbackServer:
    """A WSGI app on a loopback port, served from a thread."""

    def __init__(
        self,
        app: Any,
        port: int | None = None,
        request_handler: type[WSGIRequestHandler] | None = None,
    ) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", self.port, app, threaded=True, request_handler=request_handler
        )
        # A stop waits for the serving loop's next poll: 50 ms, not the default half second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()  # the listening socket too, not one left per stack


def create_tables(client: Any, prefix: str, template: cfn.Template) -> dict[str, str]:
    """Every AWS::DynamoDB::Table of the template, with its keys and indexes; logical id -> name."""
    names = {}
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        name = f"{prefix}-{logical_id}"
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        client.create_table(**request)
        names[logical_id] = name
    return names
