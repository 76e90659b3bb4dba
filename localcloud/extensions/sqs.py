"""SQS: RedriveAllowPolicy, DLQ redrive (message move tasks), message sizes as SQS counts them, and
event source mappings left to the runtime's pollers."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from moto.core.responses import ActionResult
from moto.sqs.exceptions import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    InvalidBatchEntryId,
    InvalidParameterValue,
    SQSException,
    TooManyEntriesInBatchRequest,
)
from moto.sqs.models import Queue, SQSBackend
from moto.sqs.responses import SQSResponse

if TYPE_CHECKING:
    from localcloud.runtime import Runtime

log = logging.getLogger("localcloud.extensions")
#: SendMessageBatch: the entries' sizes together at most 1 MiB, whatever the queue's MaximumMessageSize.
MAX_BATCH_BYTES = 1_048_576


def redrive_allow_policy() -> None:
    """Gaps: SQS RedriveAllowPolicy is not stored (the provider then waits forever for it to read
    back), SetQueueAttributes without a Policy erases the queue's policy, and RedrivePolicy reads
    back with whitespace that AWS does not add."""
    from moto.sqs.models import Queue

    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES.append("RedriveAllowPolicy")
    Queue.redrive_allow_policy = None  # type: ignore[attr-defined]
    original_attributes = Queue.attributes.fget  # type: ignore[attr-defined]
    original_set = Queue._set_attributes

    def attributes(self: Queue) -> dict[str, Any]:
        result = original_attributes(self)
        if result.get("RedriveAllowPolicy") is None:
            result.pop("RedriveAllowPolicy", None)
        if self.redrive_policy:  # compact, as SQS returns it (else a whitespace diff on every plan)
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        policy = getattr(self, "policy", None)
        original_set(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = policy

    Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]
    Queue._set_attributes = _set_attributes  # type: ignore[method-assign]


def receive_in_linear_time() -> None:
    """Speed, not behaviour: for every message it receives, moto reads the queue's
    MessageRetentionPeriod by computing all the queue's attributes — counting every message — so
    draining a queue of n messages costs O(n²) (a 1,000-message queue: 40 s of 56 in the
    benchmark's drain). Read the one attribute; the answer is the same."""
    from moto.core.utils import unix_time

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Any) -> bool:
        retention = int(getattr(self.get_queue(queue_name), "message_retention_period"))  # noqa: B009
        return retention + message.sent_timestamp / 1000 > unix_time()

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]


def message_size(body: str, attributes: dict[str, Any] | None) -> int:
    """A message's size as SQS counts it against MaximumMessageSize: the body's UTF-8 bytes plus, for
    every message attribute, its name, data type and value."""

    def size(value: Any, binary: bool = False) -> int:
        if isinstance(value, bytes | bytearray):
            return len(value)
        if binary:  # a BinaryValue as the query protocol hands it over: base64 of the bytes
            try:
                return len(base64.b64decode(value, validate=True))
            except ValueError:
                pass
        return len(str(value).encode("utf-8", errors="surrogatepass"))

    total = size(body)
    for name, attribute in (attributes or {}).items():
        total += size(name) + size(attribute.get("DataType") or "")
        if attribute.get("StringValue") is not None:
            total += size(attribute["StringValue"])
        if attribute.get("BinaryValue") is not None:
            total += size(attribute["BinaryValue"], binary=True)
    return total


def _too_long(limit: int) -> str:
    return f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."


def message_size_limits() -> None:
    """Gap: moto compares a message's body length in characters, without its attributes, with the
    queue's MaximumMessageSize, and fails a whole SendMessageBatch when one entry is too long. SQS
    counts the body's UTF-8 bytes plus every attribute's name, type and value: SendMessage over the
    limit is InvalidParameterValue, a SendMessageBatch entry over it a failed entry (the others are
    sent), and a batch whose entries exceed 1 MiB together is BatchRequestTooLong. Our Terraform's
    queues have the provider's default MaximumMessageSize, 262,144 bytes."""
    original_send = SQSBackend.send_message
    original_batch = SQSBackend.send_message_batch

    def send_message(
        self: SQSBackend,
        queue_name: str,
        message_body: str,
        message_attributes: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        limit = int(self.get_queue(queue_name).maximum_message_size)  # type: ignore[attr-defined]
        if message_size(message_body, message_attributes) > limit:
            raise InvalidParameterValue(_too_long(limit))
        return original_send(self, queue_name, message_body, message_attributes, *args, **kwargs)

    def send_message_batch(
        self: SQSBackend, queue_name: str, entries: dict[str, dict[str, Any]]
    ) -> tuple[list[Any], list[dict[str, Any]]]:
        limit = int(self.get_queue(queue_name).maximum_message_size)  # type: ignore[attr-defined]
        ids = [e["Id"] for e in entries.values()]
        if any(not re.fullmatch(r"[\w-]{1,80}", i) for i in ids):  # moto's order of checks, over every entry
            raise InvalidBatchEntryId()
        sizes = {k: message_size(e["MessageBody"], e.get("MessageAttributes")) for k, e in entries.items()}
        if sum(sizes.values()) > MAX_BATCH_BYTES:
            raise BatchRequestTooLong(sum(sizes.values()))
        duplicate = next((i for n, i in enumerate(ids) if i in ids[:n]), None)
        if duplicate is not None:
            raise BatchEntryIdsNotDistinct(duplicate)
        if len(entries) > 10:
            raise TooManyEntriesInBatchRequest(len(entries))
        failed = [
            {"Id": entries[k]["Id"], "SenderFault": True, "Code": "InvalidParameterValue", "Message": _too_long(limit)}
            for k, n in sizes.items()
            if n > limit
        ]
        fitting = {k: e for k, e in entries.items() if sizes[k] <= limit}
        if not fitting:
            return [], failed
        messages, other_failures = original_batch(self, queue_name, fitting)
        return messages, other_failures + failed

    SQSBackend.send_message = send_message  # type: ignore[method-assign]
    SQSBackend.send_message_batch = send_message_batch  # type: ignore[method-assign]


class MoveTaskError(SQSException):
    code = "InvalidParameterValue"

    def __init__(self, message: str, code: str = "InvalidParameterValue") -> None:
        super().__init__(code, message)


class MoveTask:
    """One DLQ redrive: moves the messages visible in ``source`` when it starts to ``destination``."""

    def __init__(self, source: Queue, destination: Queue, rate: int | None) -> None:
        self.handle = base64.b64encode(
            json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source.queue_arn}).encode()
        ).decode()
        self.source, self.destination, self.rate = source, destination, rate
        self.status = "RUNNING"
        self.moved = 0
        self.to_move = len(source.messages)
        self.failure_reason: str | None = None
        self.started_ms = int(time.time() * 1000)
        self.cancelled = threading.Event()

    def run(self, backend: SQSBackend) -> None:
        try:
            while self.moved < self.to_move and not self.cancelled.is_set():
                if not self._move_one(backend):
                    break
                if self.rate:
                    time.sleep(1 / self.rate)
            self.status = "CANCELLED" if self.cancelled.is_set() else "COMPLETED"
        except Exception as exc:  # the task fails with a reason, as on AWS; the thread ends
            self.status, self.failure_reason = "FAILED", f"{type(exc).__name__}: {exc}"[:500]

    def _move_one(self, backend: SQSBackend) -> bool:
        with self.source._messages_lock:
            visible = self.source.messages
            if not visible:
                return False
            message = visible[0]
            self.source._messages.remove(message)
        try:
            backend.send_message(
                self.destination.name,
                message.body,
                message_attributes=message.message_attributes or None,
                deduplication_id=message.deduplication_id,
                group_id=message.group_id,
            )
        except Exception:  # e.g. over the destination's MaximumMessageSize: the message stays in the DLQ
            with self.source._messages_lock:
                self.source._messages.insert(0, message)
            raise
        self.moved += 1
        return True

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source.queue_arn,
            "DestinationArn": self.destination.queue_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            result["TaskHandle"] = self.handle
        if self.rate:
            result["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure_reason:
            result["FailureReason"] = self.failure_reason
        return result


def _tasks_of(backend: SQSBackend) -> list[MoveTask]:
    if not hasattr(backend, "message_move_tasks"):
        backend.message_move_tasks = []  # type: ignore[attr-defined]
    return backend.message_move_tasks  # type: ignore[attr-defined,no-any-return]


def _queue_by_arn(backend: SQSBackend, arn: str, role: str) -> Queue:
    queue = backend.queues.get(arn.rsplit(":", 1)[-1])
    if queue is None or queue.queue_arn != arn:
        raise MoveTaskError(f"{role} queue {arn} does not exist", "ResourceNotFoundException")
    return queue


def _destination(backend: SQSBackend, source: Queue, destination_arn: str | None) -> Queue:
    """DestinationArn, or else the DLQ's one source queue."""
    sources = backend.list_dead_letter_source_queues(source.name)
    if not sources:
        raise MoveTaskError("Source queue must be configured as a Dead Letter Queue.")
    if destination_arn:
        return _queue_by_arn(backend, destination_arn, "destination")
    if len(sources) == 1:
        return sources[0]
    raise MoveTaskError(
        f"{source.name} is the dead-letter queue of {len(sources)} queues: the local cloud does not "
        "remember each message's source queue, so pass DestinationArn"
    )


def _start_message_move_task(self: SQSResponse) -> ActionResult:
    backend = self.sqs_backend
    source = _queue_by_arn(backend, self._get_param("SourceArn"), "source")
    destination = _destination(backend, source, self._get_param("DestinationArn"))
    tasks = _tasks_of(backend)
    if any(t.source is source and t.status == "RUNNING" for t in tasks):
        raise MoveTaskError(f"a message move task is already running for {source.queue_arn}")
    rate = self._get_param("MaxNumberOfMessagesPerSecond")
    task = MoveTask(source, destination, int(rate) if rate else None)
    tasks.append(task)
    threading.Thread(target=task.run, args=(backend,), name=f"sqs-move-{source.name}", daemon=True).start()
    return ActionResult({"TaskHandle": task.handle})


def _list_message_move_tasks(self: SQSResponse) -> ActionResult:
    backend = self.sqs_backend
    source = _queue_by_arn(backend, self._get_param("SourceArn"), "source")
    limit = int(self._get_param("MaxResults") or 1)
    if not 1 <= limit <= 10:
        raise MoveTaskError("MaxResults must be between 1 and 10")
    newest_first = [t for t in reversed(_tasks_of(backend)) if t.source is source][:limit]
    return ActionResult({"Results": [t.as_dict() for t in newest_first]})


def _cancel_message_move_task(self: SQSResponse) -> ActionResult:
    handle = self._get_param("TaskHandle")
    task = next((t for t in _tasks_of(self.sqs_backend) if t.handle == handle), None)
    if task is None:
        raise MoveTaskError(f"no message move task with handle {handle}", "ResourceNotFoundException")
    if task.status != "RUNNING":
        raise MoveTaskError(f"the task is {task.status}, only a RUNNING task can be cancelled")
    task.status = "CANCELLING"
    task.cancelled.set()
    return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})


def message_move_tasks() -> None:
    """Gap: the DLQ redrive API (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask)
    is not implemented. A task moves the messages visible in the DLQ when it starts to DestinationArn
    or, without one, to the DLQ's source queue, at MaxNumberOfMessagesPerSecond, in a background
    thread; each moved message starts over with a receive count of 0, as on AWS. AWS remembers each
    message's source queue; moto does not, so a DLQ that several queues share needs DestinationArn."""
    SQSResponse.start_message_move_task = _start_message_move_task  # type: ignore[attr-defined]
    SQSResponse.list_message_move_tasks = _list_message_move_tasks  # type: ignore[attr-defined]
    SQSResponse.cancel_message_move_task = _cancel_message_move_task  # type: ignore[attr-defined]


def lambda_triggers_are_polled(runtime: Runtime) -> None:
    """moto delivers each SendMessage to mapped functions inline (no batching window, visibility
    or partial failures). Disable that; the runtime's pollers implement the event source mapping."""
    from moto.sqs.models import Queue

    def _get(self: Queue) -> dict[str, Any]:
        return {}

    def _set(self: Queue, value: dict[str, Any]) -> None:
        pass

    Queue.lambda_event_source_mappings = property(_get, _set)  # type: ignore[assignment,method-assign]
