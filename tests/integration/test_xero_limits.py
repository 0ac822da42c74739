"""Xero's limits kept across concurrent workers, 429s honoured, 5xx retried, lost replies
replayed: the governed client against the emulator, on DynamoDB Local, on a virtual clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from cbxero.adapters.governor import DynamoRateGovernor, XeroLimits
from cbxero.domain.errors import RateLimited
from cbxero.domain.xero import Contact
from cbxero.ports import Clock
from local.records import XeroRecords
from local.stack import LoopbackServer
from local.xero_emulator import XeroEmulator
from tests.conftest import LocalTables


class VirtualClock(Clock):
    """Time moves only when someone sleeps; shared by governor, client and emulator.

    per_thread: each worker thread keeps its own time, moved only by its own sleeps (so a
    worker that never waited is caught sending early); the emulator sees the latest time.
    """

    def __init__(self, *, per_thread: bool = False) -> None:
        self._start = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
        self._shared = 0.0
        self._latest = 0.0
        self._own = threading.local()
        self._per_thread = per_thread
        self._lock = threading.Lock()
        self.slept = 0.0

    def _offset(self) -> float:
        return getattr(self._own, "offset", 0.0) if self._per_thread else self._shared

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=self._offset())

    def latest(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=max(self._latest, self._shared))

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept += seconds
            if self._per_thread:
                self._own.offset = getattr(self._own, "offset", 0.0) + seconds
                self._latest = max(self._latest, self._own.offset)
            else:
                self._shared += seconds


Event = tuple[str, datetime, float, int]
_asked = threading.local()


class Wire(requests.Session):
    """Logs each request as it is sent, with the log position where its permit was asked for."""

    lock = threading.Lock()

    def __init__(self, clock: VirtualClock, log: list[Event]) -> None:
        super().__init__()
        self.clock, self.log = clock, log

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        with self.lock:
            self.log.append(("send", self.clock.now(), 0.0, _asked.position))
        return super().send(request, **kwargs)


class RecordingGovernor(DynamoRateGovernor):
    """Logs when a permit is asked for and when a pause is recorded."""

    log: list[Event]

    def acquire(self, tenant_id: str) -> Any:
        with Wire.lock:
            _asked.position = len(self.log)
            self.log.append(("ask", self._clock.now(), 0.0, -1))
        return super().acquire(tenant_id)

    def pause(self, tenant_id: str, seconds: float) -> None:
        super().pause(tenant_id, seconds)
        with Wire.lock:
            self.log.append(("pause", self._clock.now(), seconds, -1))


@pytest.fixture
def per_thread_time() -> bool:
    return False


@pytest.fixture
def world(local_tables: LocalTables, per_thread_time: bool) -> Iterator[dict[str, Any]]:
    client, tables = local_tables.client, local_tables.names
    clock = VirtualClock(per_thread=per_thread_time)
    wire: list[Event] = []
    emulator = XeroEmulator()
    emulator.clock = clock.latest
    server = LoopbackServer(emulator.app).start()
    org = emulator.organisation()
    token = "test-access-token"
    from local.xero_emulator import Grant

    emulator.access_tokens[token] = Grant(
        "local-client", [org.tenant_id], "", datetime(2100, 1, 1, tzinfo=UTC)
    )

    def new_client(**options: Any) -> XeroRecords:
        # Waiting for a slot moves the virtual clock too, far faster than real calls end; a
        # long lease keeps live holders from looking crashed (lease expiry is tested apart).
        governor = RecordingGovernor(
            client,
            tables["RateLimitsTable"],
            clock=clock,
            sleep=clock.sleep,
            limits=XeroLimits(lease=timedelta(hours=1)),
        )
        governor.log = wire
        return XeroRecords(
            api_url=server.url,
            tenant_id=org.tenant_id,
            access_token=token,
            http=Wire(clock, wire),
            governor=governor,
            sleep=clock.sleep,
            **options,
        )

    try:
        yield {
            "emulator": emulator,
            "org": org,
            "clock": clock,
            "client": new_client,
            "wire": wire,
        }
    finally:
        server.stop()


def call_until_done(client: XeroRecords, clock: VirtualClock, calls: int) -> int:
    """A worker: makes its calls; a RateLimited job is 'redelivered' after its wait."""
    done = 0
    while done < calls:
        try:
            client.find_contact_by_number("nobody")
        except RateLimited as wait:
            clock.sleep(wait.retry_after)
            continue
        done += 1
    return done


def test_five_workers_never_exceed_five_in_flight_or_sixty_a_minute(world: dict[str, Any]) -> None:
    clock = world["clock"]
    with ThreadPoolExecutor(5) as pool:
        done = list(pool.map(lambda _: call_until_done(world["client"](), clock, 40), range(5)))
    org = world["org"]
    assert sum(done) == 200
    assert sum(org.calls_by_minute.values()) == 200
    assert org.most_in_flight <= 5
    assert max(org.calls_by_minute.values()) <= 60
    assert len(org.calls_by_minute) >= 4  # 200 calls at 60 a minute need four minutes
    assert org.refused == {}


def test_twelve_callers_never_have_more_than_five_calls_in_flight(world: dict[str, Any]) -> None:
    world["emulator"].latency = 0.05  # calls overlap at the emulator
    clock = world["clock"]
    with ThreadPoolExecutor(12) as pool:
        done = list(pool.map(lambda _: call_until_done(world["client"](), clock, 4), range(12)))
    assert sum(done) == 48
    assert 2 <= world["org"].most_in_flight <= 5  # calls did overlap, never past the limit
    assert world["org"].refused == {}


@pytest.mark.parametrize("per_thread_time", [True])
@pytest.mark.parametrize("retry_after", [3, 45], ids=["slept", "redelivered"])
def test_a_429_storm_sends_nothing_before_retry_after(
    world: dict[str, Any], retry_after: int
) -> None:
    emulator, clock = world["emulator"], world["clock"]
    emulator.fault_retry_after = retry_after
    # One worker is refused; the others' next calls must wait for the pause it records.
    emulator.faults.extend(["429", "pass", "pass"] * 3)
    with ThreadPoolExecutor(3) as pool:
        done = list(pool.map(lambda _: call_until_done(world["client"](), clock, 10), range(3)))
    assert sum(done) == 30  # every job eventually done
    assert len(emulator.refusals) == 3
    wire = world["wire"]
    pauses = [(n, at, wait) for n, (kind, at, wait, _) in enumerate(wire) if kind == "pause"]
    assert len(pauses) == 3
    for position, paused_at, wait in pauses:
        # Requests that asked for their permit after the pause was recorded, yet were sent
        # before it ended. (Requests already holding a permit are in flight; Xero refuses
        # them too and they are retried: at most five, by the in-flight limit.)
        early = [
            at
            for kind, at, _, asked in wire
            if kind == "send" and asked > position and at < paused_at + timedelta(seconds=wait)
        ]
        assert early == [], f"{len(early)} call(s) sent within {wait} s of a 429"


def test_a_crashed_callers_slot_is_taken_back_after_its_lease(local_tables: LocalTables) -> None:
    clock = VirtualClock()
    governor = DynamoRateGovernor(
        local_tables.client,
        local_tables.names["RateLimitsTable"],
        clock=clock,
        sleep=clock.sleep,
        limits=XeroLimits(longest_sleep=1.0),
    )
    for _ in range(5):
        governor.acquire("org")  # five callers that never release: they crashed
    with pytest.raises(RateLimited) as limited:
        governor.acquire("org")
    # What the task and the Action Log show a finance team: once "Xero limits for <tenant
    # uuid>: wait 0 s", as if the person had to wait and knew which organisation that was.
    assert limited.value.message == (
        "Xero's call limits for the organisation were reached: retried automatically, "
        "not before 1 s"
    )
    clock.sleep(61)  # past the 60-second lease
    assert governor.acquire("org").tenant_id == "org"


def test_server_errors_are_retried_with_backoff(world: dict[str, Any]) -> None:
    world["emulator"].faults.extend(["500", "500"])
    client = world["client"]()
    assert client.find_contact_by_number("nobody") is None
    assert world["clock"].slept > 0


def test_a_lost_reply_is_replayed_not_done_twice(world: dict[str, Any]) -> None:
    world["emulator"].faults.append("commit_then_drop")
    client = world["client"]()
    created = client.create_contact(Contact(name="Only Once Ltd"), "cbxero:r1:c1:contact")
    assert created.contact_id is not None
    assert [c["Name"] for c in world["org"].contacts.values()] == ["Only Once Ltd"]


def test_a_timed_out_write_is_retried_and_done_once(world: dict[str, Any]) -> None:
    emulator = world["emulator"]
    emulator.fault_delay = 0.6
    emulator.faults.append("timeout")
    client = world["client"](timeout=(1.0, 0.3))
    created = client.create_contact(Contact(name="Slow Ltd"), "cbxero:r1:c2:contact")
    time.sleep(0.5)  # let the abandoned first request finish at the emulator
    assert created.contact_id is not None
    assert [c["Name"] for c in world["org"].contacts.values()] == ["Slow Ltd"]
    assert len(emulator.arrivals) == 2  # the first, abandoned, and the retry


def test_a_long_retry_after_becomes_rate_limited(world: dict[str, Any]) -> None:
    emulator = world["emulator"]
    emulator.limits = type(emulator.limits)(per_day=1)
    client = world["client"]()
    client.find_contact_by_number("first")
    with pytest.raises(RateLimited) as limited:
        client.find_contact_by_number("second")
    assert limited.value.retry_after > 3600


def test_the_days_budget_counts_the_calls_made_today(world: dict[str, Any]) -> None:
    client = world["client"]()
    org = world["org"]
    governor = client._governor
    assert governor.budget(org.tenant_id).used == 0
    call_until_done(client, world["clock"], 7)
    budget = governor.budget(org.tenant_id)
    assert (budget.used, budget.limit, budget.left) == (7, 5000, 4993)
