"""The door of every accounting call: the token and tenant checked, Xero's rate limits counted
(per organisation per minute and per day, calls in flight, the app per minute) with its 429
answers, and the faults a test queued. The calls it lets in, and their order, are recorded."""

from __future__ import annotations

import time

from flask import Response, g, request

from local.xero_emulator.identity import Identity
from local.xero_emulator.replies import forbidden, problem
from local.xero_emulator.state import EmulatorState, Organisation


class Gate:
    def __init__(self, state: EmulatorState, identity: Identity) -> None:
        self.state = state
        self.identity = identity

    def admit(self) -> Organisation | Response:
        """The organisation the call may use, or the answer that refuses it."""
        state = self.state
        grant = self.identity.bearer()
        if grant is None:
            return problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        tenant_id = request.headers.get("xero-tenant-id", "")
        if tenant_id not in grant.tenant_ids:
            return forbidden()
        org = state.organisations[tenant_id]
        with state.lock:
            state.arrivals.append(state.clock())
            if state.faults and state.faults[0] == "429":
                state.faults.popleft()
                return self._refuse(org, "minute", state.fault_retry_after)
            refused = self._over_limit(org)
            if refused is not None:
                return refused
            state.calls.append((request.method, request.path))
            org.in_flight += 1
            org.most_in_flight = max(org.most_in_flight, org.in_flight)
            g.org = org
            fault = state.faults.popleft() if state.faults else None
        if fault == "500":
            return problem(500, "InternalError", "injected fault")
        if fault == "timeout":
            time.sleep(state.fault_delay)  # real time: the client's own timeout must fire
        elif state.latency:
            time.sleep(state.latency)
        g.drop = fault == "commit_then_drop"
        return org

    def _over_limit(self, org: Organisation) -> Response | None:
        """Count the call against Xero's limits, or answer 429 as Xero does."""
        state, limits = self.state, self.state.limits
        now = state.clock()
        minute, day = now.strftime("%Y%m%d%H%M"), now.strftime("%Y%m%d")
        next_minute = 60 - now.second
        refusal, retry_after = None, 0
        if org.in_flight >= limits.in_flight:
            refusal, retry_after = "concurrent", 1
        elif org.calls_by_minute.get(minute, 0) >= limits.per_minute:
            refusal, retry_after = "minute", next_minute
        elif org.calls_by_day.get(day, 0) >= limits.per_day:
            refusal, retry_after = "day", 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
        elif state.app_calls_by_minute.get(minute, 0) >= limits.app_per_minute:
            refusal, retry_after = "appminute", next_minute
        if refusal is not None:
            return self._refuse(org, refusal, retry_after)
        org.calls_by_minute[minute] = org.calls_by_minute.get(minute, 0) + 1
        org.calls_by_day[day] = org.calls_by_day.get(day, 0) + 1
        state.app_calls_by_minute[minute] = state.app_calls_by_minute.get(minute, 0) + 1
        return None

    def _refuse(self, org: Organisation, refusal: str, retry_after: int) -> Response:
        state = self.state
        org.refused[refusal] = org.refused.get(refusal, 0) + 1
        state.refusals.append((state.clock(), retry_after, len(state.arrivals) - 1))
        response = problem(429, "RateLimitExceeded", f"{refusal} rate limit exceeded")
        response.headers["Retry-After"] = str(retry_after)
        response.headers["X-Rate-Limit-Problem"] = refusal
        return response

    def after_call(self, response: Response) -> Response:
        """The call is out of flight; the answer carries what is left of each limit (or is lost,
        when a test queued commit_then_drop)."""
        org: Organisation | None = g.pop("org", None)
        if org is None:
            return response
        state, limits = self.state, self.state.limits
        now = state.clock()
        minute, day = now.strftime("%Y%m%d%H%M"), now.strftime("%Y%m%d")
        with state.lock:
            org.in_flight -= 1
            used_minute = org.calls_by_minute.get(minute, 0)
            used_day = org.calls_by_day.get(day, 0)
            used_app = state.app_calls_by_minute.get(minute, 0)
        response.headers["X-MinLimit-Remaining"] = str(max(0, limits.per_minute - used_minute))
        response.headers["X-DayLimit-Remaining"] = str(max(0, limits.per_day - used_day))
        response.headers["X-AppMinLimit-Remaining"] = str(max(0, limits.app_per_minute - used_app))
        if g.pop("drop", False):
            return problem(504, "GatewayTimeout", "the answer was lost (injected fault)")
        return response
