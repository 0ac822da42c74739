"""Starting the local stack (`make dev`, `make demo`, the tests) survives a slow DynamoDB Local,
and a start that fails stops every process it started: no Java left running without a parent."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from typing import Any

import pytest
import requests

from local import stack as stack_module
from local.invoke import InvokerClosed
from local.stack import DynamoDBLocal, LocalStack


class _Recorder:
    """subprocess.Popen, remembering every process started."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.started: list[subprocess.Popen[bytes]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = self.real(*args, **kwargs)
        self.started.append(process)
        return process


@pytest.fixture
def popen(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    recorder = _Recorder(subprocess.Popen)
    monkeypatch.setattr("local.servers.subprocess.Popen", recorder)
    return recorder


def _timeouts_first(monkeypatch: pytest.MonkeyPatch, times: int) -> list[str]:
    """requests.get answers ReadTimeout `times` times (a JVM still warming up), then works."""
    real_get = requests.get
    seen: list[str] = []

    def get(url: str, **kwargs: Any) -> requests.Response:
        seen.append(url)
        if len(seen) <= times:
            raise requests.ReadTimeout(f"read timed out ({url})")
        return real_get(url, **kwargs)

    monkeypatch.setattr("local.servers.requests.get", get)
    return seen


def test_a_read_timeout_while_waiting_does_not_kill_the_start(
    monkeypatch: pytest.MonkeyPatch, popen: _Recorder
) -> None:
    seen = _timeouts_first(monkeypatch, times=2)
    engine = DynamoDBLocal().start()
    try:
        assert len(seen) >= 3  # two timeouts, then an answer
        assert engine.running()
    finally:
        engine.stop()
    assert all(process.poll() is not None for process in popen.started)


def test_a_failed_wait_stops_the_java_it_started(
    monkeypatch: pytest.MonkeyPatch, popen: _Recorder
) -> None:
    def never(url: str, **kwargs: Any) -> requests.Response:
        raise requests.ReadTimeout(f"read timed out ({url})")

    monkeypatch.setattr("local.servers.requests.get", never)
    with pytest.raises(TimeoutError, match="within"):
        DynamoDBLocal(wait_seconds=1.5).start()
    assert popen.started, "no Java process was started"
    assert all(process.poll() is not None for process in popen.started), "Java left running"


def test_a_failed_stack_start_stops_everything_it_started(
    monkeypatch: pytest.MonkeyPatch, popen: _Recorder
) -> None:
    started_servers: list[stack_module.LoopbackServer] = []
    real_start = stack_module.LoopbackServer.start

    def start(self: stack_module.LoopbackServer) -> stack_module.LoopbackServer:
        started_servers.append(self)
        return real_start(self)

    def broken(*_args: Any, **_kwargs: Any) -> dict[str, str]:
        raise RuntimeError("injected: table creation failed")

    monkeypatch.delenv("CBXERO_DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.setattr(stack_module.LoopbackServer, "start", start)
    monkeypatch.setattr(stack_module, "create_tables", broken)
    with pytest.raises(RuntimeError, match="injected"), LocalStack(quiet=True):
        pass
    assert popen.started, "the stack did not start its own DynamoDB Local"
    assert all(process.poll() is not None for process in popen.started), "Java left running"
    for server in started_servers:
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url, timeout=2)


def test_a_later_stack_logs_at_its_own_level_to_the_output_of_now(
    dynamodb_local: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Powertools keeps a service logger set up earlier in the process: after a quiet stack, or
    one whose output went elsewhere (a finished test's capture), a later stack logged nothing
    where its test reads, so the `stack` fixture's scan for secrets in logs read nothing."""
    import contextlib
    import io

    elsewhere = io.StringIO()
    with (
        contextlib.redirect_stdout(elsewhere),
        LocalStack(dynamodb_endpoint=dynamodb_local, quiet=True) as earlier,
    ):
        assert earlier.api("GET", "/tasks/nope-1").status_code == 404
    capfd.readouterr()
    with LocalStack(dynamodb_endpoint=dynamodb_local) as later:
        assert later.api("GET", "/tasks/nope-2").status_code == 404
    out, _ = capfd.readouterr()
    assert '"message":"request refused"' in out and '"level":"INFO"' in out
    assert "request refused" not in elsewhere.getvalue()  # the quiet stack's level held there


def test_a_local_stack_stops_in_well_under_a_second(dynamodb_local: str) -> None:
    # A stack is started and stopped around every e2e and integration test: its stop is paid
    # some 200 times a run (four servers, each waiting for its serving loop to notice, in turn).
    running = LocalStack(dynamodb_endpoint=dynamodb_local).__enter__()
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 0.75  # now some 0.05 s; 1.5 s every time before


def test_an_invocation_in_flight_at_the_stop_leaves_no_endpoint_of_the_stopped_stack(
    dynamodb_local: str,
) -> None:
    # A browser test's last poll was still being answered when its stack stopped: the
    # invocation then put back the environment it began with, and the next stack in that
    # process sent its KMS calls to the stopped stack's moto (connection refused).
    before = os.environ.get("AWS_ENDPOINT_URL_KMS")
    running = LocalStack(dynamodb_endpoint=dynamodb_local, quiet=True).__enter__()
    entered, release = threading.Event(), threading.Event()

    def slow_handler(_event: object, _context: object) -> dict[str, object]:
        entered.set()
        release.wait(5)
        return {"statusCode": 200}

    running.invoker._handlers["SettingsFunction"] = slow_handler
    in_flight = threading.Thread(target=running.invoker.invoke, args=("SettingsFunction", {}))
    in_flight.start()
    assert entered.wait(5)
    threading.Timer(0.3, release.set).start()
    running.stop()
    in_flight.join(5)
    assert os.environ.get("AWS_ENDPOINT_URL_KMS") == before
    with pytest.raises(InvokerClosed):
        running.invoker.invoke("SettingsFunction", {})
