"""Seeded fault injection into boto3 clients through botocore's event hooks.

Three kinds of fault, each decided by one seeded RNG so a run is reproducible:

* **service errors** (``before-send``): the call fails before the service sees it, with the
  error code AWS uses for throttling or a 5xx (``ThrottlingException``, ``SlowDown``,
  ``InternalError``, ``ServiceUnavailable``, ...). Nothing happened server side.
* **lost responses** (``after-call``): the service did the work but the caller sees a read
  timeout, the nastiest transient fault (a message was sent, an item written, the caller thinks
  it was not and retries).
* **crashes and timeouts** of a whole invocation: from a chosen point on every call of that
  invocation raises ``SimulatedCrash``. A killed process makes no more calls, so a
  ``finally``/``except`` clean-up cannot run either: its calls fail the same way. The points:

  - *ingest crash*: after the first ``SendMessageBatch`` of an ingest, before it marks the object
    done;
  - *crash after upload, before commit*: a transform killed after the n-th upload of its batch's
    files (n drawn from 1 to the number of files its ``prepare`` lists, plus one), before the
    ``UpdateItem`` that commits the batch — the batch stays ``OPEN`` with files in silver until
    its lease runs out; when n is past the last file, *crash after commit*: killed right after
    the commit, before the messages are acknowledged;
  - *crash after retraction*: a transform killed right after its first rewrite (or delete) of a
    committed batch's file without the rows a replay or an overwrite takes over, before its
    claims swap;
  - *takeover crash after abort* / *after delete*: a transform that takes over a dead batch (its
    ``UpdateItem`` marks a batch past its lease ``ABORTED``) killed right after that update, or
    after the ``DeleteObjects`` of the dead batch's files, before its own claims are swapped;
  - *lambda timeout*: at an arbitrary call (the first to the 25th).

The injector reads the parameters of the calls it sees (``before-parameter-build``) to tell a
batch's ``prepare``, uploads, commit and takeover apart from its other calls, and counts where each
transform crash landed (before ``prepare``, between ``prepare`` and commit, after commit).

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
    #: Share of transform invocations that crash after uploading some of their batch's files,
    #: before committing it.
    transform_crash_rate: float = 0.1
    #: Share of invocations killed by the Lambda timeout at an arbitrary call.
    timeout_rate: float = 0.05
    #: Share of takeovers (a dead batch aborted by another invocation) that crash the taking
    #: invocation right after the abort or after deleting the dead batch's files.
    takeover_crash_rate: float = 0.25
    #: Share of invocations that retract rows (rewrite a committed batch's file without the rows a
    #: replay or an overwrite takes over) killed right after their first rewrite.
    retraction_crash_rate: float = 0.1

    @classmethod
    def none(cls) -> FaultPlan:
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


UPLOAD_CRASH = "crash after upload, before commit"
COMMIT_CRASH = "crash after commit, before acknowledgement"
RETRACTION_CRASH = "crash after retraction, before swap"
TAKEOVER_CRASH_AFTER_ABORT = "takeover crash after abort"
TAKEOVER_CRASH_AFTER_DELETE = "takeover crash after delete"
#: Every crash kind, as counted in ``FaultInjector.counts``.
CRASHES = (
    "ingest crash",
    RETRACTION_CRASH,
    UPLOAD_CRASH,
    COMMIT_CRASH,
    TAKEOVER_CRASH_AFTER_ABORT,
    TAKEOVER_CRASH_AFTER_DELETE,
    "lambda timeout",
)


@dataclass
class _Invocation:
    kind: str
    #: (operation, n): die after the n-th successful call of ``operation`` ("*" = before any call n).
    crash_at: tuple[str, int] | None
    reason: str = ""
    calls: Counter[str] = field(default_factory=Counter)
    dead: bool = False
    #: Transform: where the batch is — "claim" (claims, retractions, takeovers, validation),
    #: "upload" (after ``prepare`` listed its files), "committed".
    phase: str = "claim"
    upload_crash: bool = False  # armed: die after upload ``upload_target`` (drawn at prepare)
    upload_target: int = 0
    uploads: int = 0
    crash_after_delete: bool = False  # a takeover's crash waits for the DeleteObjects
    retracted: bool = False  # the invocation has rewritten a file for a retraction


@dataclass
class FaultInjector:
    """Attach to clients with ``instrument``; wrap each handler call in ``invocation``."""

    plan: FaultPlan
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)
    #: Protocol events seen on the way (not faults): takeovers, batches committed, ...
    events: Counter[str] = field(default_factory=Counter)
    #: Transform crashes by the phase of the batch they landed in.
    crash_phases: Counter[str] = field(default_factory=Counter)
    _current: _Invocation | None = field(default=None, init=False, repr=False)

    def instrument(self, client: Any) -> Any:
        client.meta.events.register("before-parameter-build", self._label)
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
        upload_crash = False
        if roll < crash_rate and kind == "ingest":
            # After the first batch of units is on the queue: before marking success.
            crash_at, reason = ("SendMessageBatch", 1), "ingest crash"
        elif roll < crash_rate:
            # After some of the batch's files are uploaded, before the commit (drawn at prepare).
            upload_crash, reason = True, UPLOAD_CRASH
        elif roll < crash_rate + self.plan.timeout_rate:
            crash_at, reason = ("*", self.rng.randint(1, 25)), "lambda timeout"
        state = _Invocation(kind, crash_at, reason, upload_crash=upload_crash)
        self._current = state
        try:
            yield state
        finally:
            self._current = None

    def _die(self, state: _Invocation, reason: str | None = None) -> SimulatedCrash:
        if not state.dead:
            state.dead = True
            state.reason = reason or state.reason
            self.counts[state.reason] += 1
            if state.kind == "transform":
                self.crash_phases[state.phase] += 1
        return SimulatedCrash(f"{state.reason}: the {state.kind} invocation was killed")

    @staticmethod
    def _label(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        """Name the protocol step a call is (``context`` travels with the call to after-call)."""
        update = str(params.get("UpdateExpression", ""))
        if model.name == "UpdateItem" and update.startswith("SET files"):
            context["chaos_step"] = "prepare"
            context["chaos_files"] = len(params["ExpressionAttributeValues"][":f"]["L"])
        elif model.name == "UpdateItem" and ":committed" in update:
            context["chaos_step"] = "commit"
        elif model.name == "UpdateItem" and ":aborted" in update:
            own = "lease_until" not in str(params.get("ConditionExpression", ""))
            context["chaos_step"] = "own abort" if own else "takeover"
        else:
            context["chaos_step"] = model.name

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

    def _after_call(
        self, event_name: str, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        state = self._current
        if state is None or http_response.status_code >= 300:
            return
        _prefix, service, operation = event_name.split(".", 2)
        state.calls[operation] += 1
        if state.crash_at and state.crash_at[0] == operation and state.calls[operation] >= state.crash_at[1]:
            raise self._die(state)
        if state.kind == "transform":
            self._transform_step(state, str(context.get("chaos_step", operation)), parsed, context)
        if self.rng.random() < self.plan.lost_response_rate:
            self.counts["lost response"] += 1
            raise ReadTimeoutError(endpoint_url=f"https://{service}.amazonaws.com (injected: response lost)")

    def _transform_step(self, state: _Invocation, step: str, parsed: dict[str, Any], context: dict[str, Any]) -> None:
        """Follow the batch's protocol steps; crash at the armed points."""
        if step == "prepare":
            state.phase = "upload"
            if state.upload_crash:  # past the last file: after the commit
                state.upload_target = self.rng.randint(1, int(context.get("chaos_files", 0)) + 1)
        elif step == "commit":
            state.phase = "committed"
            self.events["batches committed"] += 1
            if state.upload_crash:
                raise self._die(state, COMMIT_CRASH)
        elif step == "PutObject" and state.phase == "upload":
            state.uploads += 1
            if state.upload_crash and state.uploads >= state.upload_target:
                raise self._die(state, UPLOAD_CRASH)
        elif step in ("PutObject", "DeleteObject"):  # before prepare: a retraction's rewrite
            self._retraction(state)
        elif step == "takeover":
            self._takeover(state, parsed)
        elif step == "DeleteObjects" and state.crash_after_delete:
            raise self._die(state, TAKEOVER_CRASH_AFTER_DELETE)

    def _retraction(self, state: _Invocation) -> None:
        """The first rewrite of an invocation decides whether it crashes right after it."""
        self.events["retraction rewrites"] += 1
        if not state.retracted:
            state.retracted = True
            if self.rng.random() < self.plan.retraction_crash_rate:
                raise self._die(state, RETRACTION_CRASH)

    def _takeover(self, state: _Invocation, parsed: dict[str, Any]) -> None:
        self.events["takeovers"] += 1
        if self.rng.random() < self.plan.takeover_crash_rate:
            has_files = bool(parsed.get("Attributes", {}).get("files", {}).get("L"))
            if has_files and self.rng.random() < 0.5:
                state.crash_after_delete = True
            else:
                raise self._die(state, TAKEOVER_CRASH_AFTER_ABORT)
