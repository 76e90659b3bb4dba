"""Seeded fault injection into boto3 clients through botocore's event hooks.

Three kinds of fault, each decided by one seeded RNG so a run is reproducible:

* **service errors** (``before-send``): the call fails before the service sees it, with the
  error code AWS uses for throttling or a 5xx (``ThrottlingException``, ``SlowDown``,
  ``InternalError``, ``ServiceUnavailable``, ...). Nothing happened server side.
* **lost responses** (``after-call``): the service did the work but the caller sees a read
  timeout, the nastiest transient fault (a message was sent, an item written, the caller thinks
  it was not and retries).
* **crashes and timeouts** of a whole invocation: from a chosen point on (after the n-th
  ``PutObject`` of a transform, after the n-th ``SendMessageBatch`` of an ingest, or at a random
  call for a Lambda timeout) every call of that invocation raises ``SimulatedCrash``. A killed
  process makes no more calls, so a ``finally``/``except`` clean-up cannot run either: its
  calls fail the same way.

The SDK's own retries are left to the client's configuration; the harness turns them off
(``AWS_MAX_ATTEMPTS=1``) so every injected fault reaches the pipeline's own retry paths.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

# Error code per service for "slow down" and "try again" (what the real services answer).
THROTTLE_CODES = {"s3": "SlowDown", "sqs": "ThrottlingException", "dynamodb": "ProvisionedThroughputExceededException"}
SERVER_ERROR_CODES = {"s3": "InternalError", "sqs": "ServiceUnavailable", "dynamodb": "InternalServerError"}


class SimulatedCrash(Exception):
    """The invocation died here (process killed, out of memory, Lambda timeout).

    An ``Exception`` rather than a ``BaseException`` so it travels through the threads of the
    S3 transfer manager like any error; the driver knows the invocation is dead from the
    injector, not from how the handler reported it.
    """


@dataclass(frozen=True)
class FaultPlan:
    """How often each fault strikes. Rates are per AWS call or per invocation, as named."""

    #: Share of calls that fail with a throttling or 5xx error before reaching the service.
    error_rate: float = 0.03
    #: Share of calls whose response is lost after the service acted (a read timeout).
    lost_response_rate: float = 0.02
    #: Share of ingest invocations that crash after enqueueing units, before marking success.
    ingest_crash_rate: float = 0.1
    #: Share of transform invocations that crash after writing some partitions.
    transform_crash_rate: float = 0.1
    #: Share of invocations killed by the Lambda timeout at an arbitrary call.
    timeout_rate: float = 0.05

    @classmethod
    def none(cls) -> FaultPlan:
        return cls(0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass
class _Invocation:
    kind: str
    #: (operation, n): die after the n-th successful call of ``operation`` ("*" = before any call n).
    crash_at: tuple[str, int] | None
    reason: str = ""
    calls: Counter[str] = field(default_factory=Counter)
    dead: bool = False


@dataclass
class FaultInjector:
    """Attach to clients with ``instrument``; wrap each handler call in ``invocation``."""

    plan: FaultPlan
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)
    _current: _Invocation | None = field(default=None, init=False, repr=False)

    def instrument(self, client: Any) -> Any:
        client.meta.events.register_first("before-send", self._before_send)
        client.meta.events.register("after-call", self._after_call)
        return client

    @contextmanager
    def invocation(self, kind: str) -> Iterator[_Invocation]:
        """One Lambda invocation of ``kind`` ("ingest" or "transform"); yields its state."""
        crash_at: tuple[str, int] | None = None
        reason = ""
        roll = self.rng.random()
        crash_rate = self.plan.ingest_crash_rate if kind == "ingest" else self.plan.transform_crash_rate
        if roll < crash_rate and kind == "ingest":
            # After the first batch of units is on the queue: before marking success.
            crash_at, reason = ("SendMessageBatch", 1), "ingest crash"
        elif roll < crash_rate:
            # After one to three partition files are written: before returning.
            crash_at, reason = ("PutObject", self.rng.randint(1, 3)), "transform crash"
        elif roll < crash_rate + self.plan.timeout_rate:
            crash_at, reason = ("*", self.rng.randint(1, 25)), "lambda timeout"
        state = _Invocation(kind, crash_at, reason)
        self._current = state
        try:
            yield state
        finally:
            self._current = None

    def _die(self, state: _Invocation) -> SimulatedCrash:
        if not state.dead:
            state.dead = True
            self.counts[state.reason] += 1
        return SimulatedCrash(f"{state.reason}: the {state.kind} invocation was killed")

    def _before_send(self, event_name: str, **_: Any) -> None:
        state = self._current
        if state is None:
            return
        if state.dead:
            raise self._die(state)
        _prefix, service, operation = event_name.split(".", 2)
        state.calls["*"] += 1
        if state.crash_at and state.crash_at[0] == "*" and state.calls["*"] >= state.crash_at[1]:
            raise self._die(state)
        if self.rng.random() >= self.plan.error_rate:
            return
        if self.rng.random() < 0.5:
            code, status, label = THROTTLE_CODES.get(service, "Throttling"), 400, "throttled"
        else:
            code, status, label = SERVER_ERROR_CODES.get(service, "InternalError"), 500, "5xx"
        self.counts[label] += 1
        raise ClientError(
            {
                "Error": {"Code": code, "Message": f"injected fault ({label})"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            operation,
        )

    def _after_call(self, event_name: str, http_response: Any, **_: Any) -> None:
        state = self._current
        if state is None or http_response.status_code >= 300:
            return
        _prefix, service, operation = event_name.split(".", 2)
        state.calls[operation] += 1
        if state.crash_at and state.crash_at[0] == operation and state.calls[operation] >= state.crash_at[1]:
            raise self._die(state)
        if self.rng.random() < self.plan.lost_response_rate:
            self.counts["lost response"] += 1
            raise ReadTimeoutError(endpoint_url=f"https://{service}.amazonaws.com (injected: response lost)")
