"""The runtime that executes what Terraform declared in the emulator: Lambda invocations, SQS
event source mappings, EventBridge schedules and targets, Firehose delivery. Runs inside the
emulator process and reads the emulator's state directly (moto backends)."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from elt.devkit.events import sqs_record
from localcloud.athena_runner import AthenaRunner
from localcloud.firehose_runner import FirehoseRunner
from localcloud.glue_runner import GlueRunner
from localcloud.lambda_runtime import (
    CREDENTIAL_SECONDS,
    DEFAULT_EPHEMERAL_STORAGE_MB,
    FunctionConfig,
    InvokeResult,
    LambdaService,
    PayloadTooLarge,
    RoleCredentials,
)
from localcloud.redshift_runner import RedshiftRunner
from localcloud.settings import ACCOUNT_ID, LocalCloudSettings

log = logging.getLogger("localcloud.runtime")
#: Concurrent batches per event source mapping at most, whatever its ScalingConfig (2 cores).
MAX_POLLERS_PER_MAPPING = 2
LOG_TAIL_BYTES = 4096
#: What Lambda's SQS poller needs from the function's execution role.
SQS_POLLER_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]


def _lambda_backend(region: str) -> Any:
    from moto.awslambda.models import lambda_backends

    return lambda_backends[ACCOUNT_ID][region]


def _sqs_backend(region: str) -> Any:
    from moto.sqs.models import sqs_backends

    return sqs_backends[ACCOUNT_ID][region]


def role_credentials(config: FunctionConfig) -> RoleCredentials | None:
    """The function's execution role assumed in the emulator's STS, as Lambda does for each
    execution environment (session name: the function's name)."""
    if not config.role_arn:
        return None
    from localcloud.extensions.iam import assume_service_role

    role = assume_service_role(config.role_arn, "lambda.amazonaws.com", config.name, CREDENTIAL_SECONDS)
    expires_at = role.expiration.replace(tzinfo=UTC).timestamp()
    return RoleCredentials(role.access_key_id, role.secret_access_key, role.session_token, expires_at)


class Runtime:
    def __init__(self, settings: LocalCloudSettings) -> None:
        self.settings = settings
        self.lambdas = LambdaService(settings)
        self.lambdas.on_async_failure = self._async_failure  # type: ignore[method-assign]
        self.lambdas.credentials = role_credentials
        self.glue = GlueRunner(settings)
        self.athena = AthenaRunner(settings)
        self.redshift = RedshiftRunner(settings)
        self.firehose = FirehoseRunner(settings)
        self.stopping = threading.Event()
        self.pollers: dict[str, list[SqsPoller]] = {}
        self.schedules: dict[str, float] = {}  # rule arn → next fire time

    # ---- Lambda -------------------------------------------------------------------------

    @staticmethod
    def config_of(fn: Any) -> FunctionConfig:
        dlq = (getattr(fn, "dead_letter_config", None) or {}).get("TargetArn")
        reserved = fn.reserved_concurrency
        return FunctionConfig(
            name=fn.function_name,
            arn=fn.function_arn,
            handler=fn.handler,
            runtime=fn.run_time,
            timeout=int(fn.timeout),
            memory_mb=int(fn.memory_size),
            environment=dict(fn.environment_vars or {}),
            code_sha=fn.code_sha_256,
            reserved_concurrency=int(reserved) if reserved not in (None, "") else None,
            dead_letter_arn=dlq,
            ephemeral_storage_mb=int(getattr(fn, "ephemeral_storage", None) or DEFAULT_EPHEMERAL_STORAGE_MB),
            role_arn=fn.role or "",
        )

    def invoke(self, fn: Any, payload: bytes) -> InvokeResult:
        return self.lambdas.invoke(self.config_of(fn), lambda: fn.code_bytes, payload)

    def invoke_async(self, fn: Any, payload: bytes) -> None:
        self.lambdas.invoke_async(self.config_of(fn), lambda: fn.code_bytes, payload)

    def log_tail(self, function_name: str) -> str:
        path = self.settings.logs_dir / f"{function_name}.log"
        if not path.exists():
            return ""
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
            return f.read().decode(errors="replace")

    def _async_failure(self, config: FunctionConfig, payload: bytes, result: InvokeResult) -> None:
        if config.dead_letter_arn and ":sqs:" in config.dead_letter_arn:
            queue_name = config.dead_letter_arn.rsplit(":", 1)[-1]
            try:
                _sqs_backend(self.settings.region).send_message(queue_name, payload.decode())
            except Exception:  # e.g. over the queue's MaximumMessageSize: lost, as on AWS
                log.exception("async event for %s not sent to its dead-letter queue %s", config.name, queue_name)
                return
            log.warning("async event for %s sent to its dead-letter queue %s", config.name, queue_name)

    # ---- EventBridge targets --------------------------------------------------------------

    def deliver_event(self, target: dict[str, Any], event: dict[str, Any]) -> None:
        payload = self._target_input(target, event)
        arn = target["Arn"]
        if ":lambda:" in arn:
            try:
                self.invoke_async(_lambda_backend(self.settings.region).get_function(arn), payload.encode())
            except PayloadTooLarge as exc:
                log.error("EventBridge event for %s dropped: %s", arn, exc)
        elif ":states:" in arn:
            threading.Thread(target=self._start_execution, args=(arn, payload), daemon=True).start()

    @staticmethod
    def _target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
        if "Input" in target:
            return str(target["Input"])
        if "InputTransformer" in target:
            from moto.events.utils import EventTemplateParser  # moto's own transformer, as for SQS targets

            transformer = target["InputTransformer"]
            return json.dumps(
                EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"),
                    input_paths_map=transformer.get("InputPathsMap", {}),
                    event=event,  # type: ignore[arg-type]
                )
            )
        path = target.get("InputPath")
        value: Any = event
        if path and path != "$":
            for part in path.removeprefix("$.").split("."):
                value = value.get(part) if isinstance(value, dict) else None
        return json.dumps(value)

    def _start_execution(self, arn: str, payload: str) -> None:
        try:
            self.settings.client("stepfunctions").start_execution(stateMachineArn=arn, input=payload)
        except Exception:
            log.exception("could not start %s for an EventBridge rule", arn)

    def fire_rule(self, name: str) -> int:
        """Deliver a scheduled event to every target of rule ``name`` now; returns the target count."""
        from moto.events.models import events_backends

        rule = events_backends[ACCOUNT_ID][self.settings.region].describe_rule(name, None)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.settings.region,
            "resources": [rule.arn],
            "detail": {},
        }
        for target in rule.targets:
            self.deliver_event(target, event)
        return len(rule.targets)

    def _tick_schedules(self) -> None:
        from moto.events.models import events_backends

        now = time.time()
        for bus in list(events_backends[ACCOUNT_ID][self.settings.region].event_buses.values()):
            for rule in list(bus.rules.values()):
                seconds = rate_seconds(rule.scheduled_expression or "")
                if not seconds or rule.state != "ENABLED":
                    self.schedules.pop(rule.arn, None)
                    continue
                due = self.schedules.setdefault(rule.arn, now + seconds)
                if now >= due:
                    self.schedules[rule.arn] = now + seconds
                    self.fire_rule(rule.name)

    # ---- SQS event source mappings ----------------------------------------------------------

    def _sync_pollers(self) -> None:
        backend = _lambda_backend(self.settings.region)
        mappings = {u: m for u, m in backend._event_source_mappings.items() if ":sqs:" in (m.event_source_arn or "")}
        for esm_id in list(self.pollers):
            if esm_id not in mappings:
                for poller in self.pollers.pop(esm_id):
                    poller.stop.set()
        for esm_id, esm in mappings.items():
            if esm_id in self.pollers:
                continue
            scaling = (esm.scaling_config or {}).get("MaximumConcurrency") or MAX_POLLERS_PER_MAPPING
            count = max(1, min(int(scaling), MAX_POLLERS_PER_MAPPING))
            self.pollers[esm_id] = [SqsPoller(self, esm_id) for _ in range(count)]
            for poller in self.pollers[esm_id]:
                poller.start()

    def _supervise(self) -> None:
        while not self.stopping.wait(1.0):
            try:
                self._sync_pollers()
                self._tick_schedules()
            except Exception:
                log.exception("runtime supervisor error")

    def start(self) -> None:
        self.lambdas.start()
        threading.Thread(target=self._supervise, daemon=True, name="runtime-supervisor").start()
        self.firehose.start()

    def stop(self) -> None:
        self.stopping.set()
        for pollers in self.pollers.values():
            for poller in pollers:
                poller.stop.set()
        self.firehose.stop()  # first: its last objects still notify ingest
        self.athena.stop()
        self.redshift.stop()
        self.lambdas.close()


_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")


def rate_seconds(expression: str) -> int | None:
    """Seconds between firings of a ``rate(...)`` schedule; None for cron or no schedule
    (cron schedules are fired on demand: ``make fire-schedule RULE=...``)."""
    match = _RATE.match(expression.strip())
    if not match:
        return None
    unit = match.group(2).rstrip("s")
    return int(match.group(1)) * {"minute": 60, "hour": 3600, "day": 86400}[unit]


#: Lambda's limit on a synchronous invocation's request payload ("6 MB"): a mapping's batch stops
#: growing before its event would exceed it.
MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
#: A mapping without BatchSize reads 10 messages per batch, as Lambda's default for SQS.
DEFAULT_SQS_BATCH_SIZE = 10


class SqsPoller(threading.Thread):
    """One concurrent poller of an SQS event source mapping, as Lambda's pollers behave: a batch
    grows until it holds BatchSize messages, MaximumBatchingWindowInSeconds have passed since its
    first message was received, or its event would exceed the 6 MB invocation payload limit (the
    message that does not fit opens the next batch; a single message over the limit goes alone).
    Without a window the batch is one receive (at most 10). The function is invoked synchronously;
    what succeeded is deleted (all, or all but the reported batchItemFailures); failures stay in
    flight until the visibility timeout, and the queue's redrive policy moves them to the DLQ.
    BatchSize and the window are read for every batch, so an update of the mapping applies to the
    next one."""

    def __init__(self, runtime: Runtime, esm_id: str) -> None:
        super().__init__(daemon=True, name=f"sqs-poller-{esm_id[:8]}")
        self.runtime = runtime
        self.esm_id = esm_id
        self.stop = threading.Event()
        #: Received messages that did not fit the last batch's payload, with their records.
        self.carried: list[tuple[Any, str]] = []
        #: The role's missing permissions to poll, as last seen.
        self.missing: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set() and not self.runtime.stopping.is_set():
            try:
                if not self._poll_once():
                    time.sleep(0.2)
            except Exception:
                log.exception("poller %s failed; retrying", self.esm_id)
                time.sleep(1.0)

    def _poll_once(self) -> bool:
        region = self.runtime.settings.region
        esm = _lambda_backend(region)._event_source_mappings.get(self.esm_id)
        if esm is None:
            self.stop.set()
            return False
        if not esm.enabled or not self._role_may_poll(esm, region):
            return False
        batch = self._gather(esm, region)
        if not batch:
            return False
        messages = [message for message, _ in batch]
        queue_name = esm.event_source_arn.rsplit(":", 1)[-1]
        fn = _lambda_backend(region).get_function(esm.function_arn)
        result = self.runtime.invoke(fn, event_payload([record for _, record in batch]))
        if result.failed:
            log.warning(
                "batch of %d from %s failed in %s: %s", len(messages), queue_name, fn.function_name, result.error
            )
            return True
        failed = self._reported_failures(result, esm, {m.id for m in messages})
        sqs = _sqs_backend(region)
        for message in messages:
            if message.id not in failed:
                sqs.delete_message(queue_name, message.receipt_handle)
        return True

    def _role_may_poll(self, esm: Any, region: str) -> bool:
        """Lambda polls with the function's execution role: without sqs:ReceiveMessage,
        DeleteMessage and GetQueueAttributes on the queue the mapping does not poll (on AWS it
        fails with "The function execution role does not have permissions to call ReceiveMessage
        on SQS"). Logged when the set of missing permissions changes."""
        from localcloud.extensions.iam import missing_permissions

        role_arn = _lambda_backend(region).get_function(esm.function_arn).role
        missing = missing_permissions(role_arn, SQS_POLLER_ACTIONS, esm.event_source_arn)
        if missing != self.missing:
            self.missing = missing
            if missing:
                log.error("mapping %s does not poll: %s may not %s", self.esm_id, role_arn, ", ".join(missing))
        return not missing

    def _gather(self, esm: Any, region: str) -> list[tuple[Any, str]]:
        """One batch: (message, its event record as JSON) in receive order."""
        queue_name = esm.event_source_arn.rsplit(":", 1)[-1]
        sqs = _sqs_backend(region)
        queue = sqs.get_queue(queue_name)
        batch_size = int(esm.batch_size or DEFAULT_SQS_BATCH_SIZE)
        window = float(esm.max_batch_window or 0)
        batch: list[tuple[Any, str]] = []
        size = len(event_payload([]))
        pending, self.carried = self.carried, []

        def receive(count: int) -> list[tuple[Any, str]]:
            # Non-blocking, with the queue's visibility timeout read at receive time: a long poll
            # would apply a value read before it started waiting.
            received = sqs.receive_message(queue_name, min(count, 10), 0, int(queue.visibility_timeout or 30))
            return [(m, json.dumps(self._record(m, esm.event_source_arn, region))) for m in received]

        def take(items: list[tuple[Any, str]]) -> bool:
            """Add ``items`` to the batch; False when the batch is full (count or payload)."""
            nonlocal size
            for i, (message, record) in enumerate(items):
                grown = size + len(record) + (2 if batch else 0)  # ", " between records
                if batch and (len(batch) >= batch_size or grown > MAX_SYNC_PAYLOAD_BYTES):
                    self.carried = items[i:]
                    return False
                batch.append((message, record))
                size = grown
            return len(batch) < batch_size

        first = pending + receive(batch_size - len(pending)) if len(pending) < batch_size else pending
        if not take(first) or not batch:
            return batch
        deadline = time.monotonic() + window
        while time.monotonic() < deadline:
            more = receive(batch_size - len(batch))
            if not more:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
            elif not take(more):
                break
        return batch

    @staticmethod
    def _reported_failures(result: InvokeResult, esm: Any, ids: set[str]) -> set[str]:
        if "ReportBatchItemFailures" not in (esm.function_response_types or []):
            return set()
        try:
            response = json.loads(result.payload or b"null")
            items = (response or {}).get("batchItemFailures") or []
            failed = {item["itemIdentifier"] for item in items}
        except (ValueError, TypeError, KeyError, AttributeError):
            return ids  # an unreadable response fails the whole batch, as Lambda does
        return failed if failed <= ids else ids

    @staticmethod
    def _record(message: Any, source_arn: str, region: str) -> dict[str, Any]:
        return sqs_record(
            message_id=message.id,
            receipt_handle=message.receipt_handle,
            body=message.body,
            md5_of_body=message.body_md5,
            source_arn=source_arn,
            region=region,
            attributes={
                "ApproximateReceiveCount": str(message.approximate_receive_count),
                "SentTimestamp": str(message.sent_timestamp),
                "SenderId": message.sender_id,
                "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
            },
        )


def event_payload(records: list[str]) -> bytes:
    """The event of an SQS batch from its records' JSON: what ``json.dumps`` gives for the event."""
    return ('{"Records": [' + ", ".join(records) + "]}").encode()
