"""Ingest: S3 object-created events → idempotent work planning → claim-check messages on SQS."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from elt.config import IngestSettings
from elt.idempotency import AlreadyInProgressError, IdempotencyStore
from elt.s3_events import Ignored, ObjectRef, iter_objects
from elt.work_units import Span, WorkUnit, dataset_of, detect_format, line_aligned_spans

log = logging.getLogger(__name__)

SQS_BATCH = 10
READ_CHUNK_BYTES = 1024 * 1024


class LazyClient:
    """A boto3 client created on first use.

    Ingest needs S3 only for objects it must split (or events without size/etag); most
    invocations never call it, so they should not pay for loading the S3 model at cold start.
    """

    def __init__(self, service: str, **kwargs: Any) -> None:
        self._service, self._kwargs = service, kwargs
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(self._service, **self._kwargs)  # type: ignore[call-overload]
        return getattr(self._client, name)


class EnqueueError(RuntimeError):
    """Some work units could not be sent after retries; the object will be retried whole."""


@dataclass
class IngestResult:
    objects: int = 0  # objects seen under the bronze prefix
    units: int = 0  # work units planned
    enqueued: int = 0  # messages sent
    skipped: int = 0  # objects already processed (idempotency hit)
    ignored: int = 0  # events outside bronze, zero-byte objects, test and non-create events

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def ingest_event(
    event: dict[str, Any],
    *,
    s3: Any,
    sqs: Any,
    store: IdempotencyStore,
    settings: IngestSettings,
) -> IngestResult:
    """Plan and enqueue every new object version in ``event``. Raises so the event is retried."""
    result = IngestResult()
    for item in iter_objects(event):
        if isinstance(item, Ignored):
            log.info("ignored event: %s", item.reason, extra={"detail": item.detail})
            result.ignored += 1
            continue
        if not item.key.startswith(settings.bronze_prefix):
            log.info("ignored object outside %s", settings.bronze_prefix, extra={"uri": item.uri})
            result.ignored += 1
            continue
        if item.size is None or not item.etag:
            item = _with_head(s3, item)
        if item.size == 0:
            log.info("ignored zero-byte object", extra={"uri": item.uri})
            result.ignored += 1
            continue
        result.objects += 1
        outcome = store.claim(item.idempotency_key)
        if outcome == "completed":
            log.info("skipped: object version already ingested", extra={"pk": item.idempotency_key})
            result.skipped += 1
            continue
        if outcome == "in_progress":
            raise AlreadyInProgressError(f"{item.idempotency_key} is being ingested by another attempt")
        try:
            units = plan_units(item, s3=s3, settings=settings)
            send_units(units, sqs=sqs, queue_url=settings.queue_url, attempts=settings.send_attempts)
        except BaseException:
            store.release(item.idempotency_key)
            raise
        store.complete(item.idempotency_key, {"units": len(units)})
        log.info("enqueued work units", extra={"uri": item.uri, "units": len(units)})
        result.units += len(units)
        result.enqueued += len(units)
    return result


def _with_head(s3: Any, ref: ObjectRef) -> ObjectRef:
    head = s3.head_object(Bucket=ref.bucket, Key=ref.key, **_version_kwargs(ref))
    return replace(
        ref,
        etag=head["ETag"].strip('"'),
        size=head["ContentLength"],
        version_id=ref.version_id or head.get("VersionId"),
    )


def _version_kwargs(ref: ObjectRef) -> dict[str, str]:
    return {"VersionId": ref.version_id} if ref.version_id else {}


def plan_units(ref: ObjectRef, *, s3: Any, settings: IngestSettings, replay: str | None = None) -> list[WorkUnit]:
    """Split an object into work units.

    JSON Lines objects larger than the unit size are streamed once (one GET, one chunk in
    memory) and cut at line boundaries, counting lines so every record keeps its exact line
    number. Gzip and JSON documents cannot be split and are one unit each; so is any object no
    larger than one unit (no read needed). Oversized objects are still one unit: the transform
    quarantines them with a reason instead of losing them silently. ``replay`` names the ops
    replay that re-plans an object: its units replace the rows silver holds for them.
    """
    assert ref.size is not None
    fmt, compression = detect_format(ref.key)
    splittable = fmt == "jsonl" and compression is None
    if splittable and settings.work_unit_bytes < ref.size <= settings.max_object_bytes:
        body = s3.get_object(Bucket=ref.bucket, Key=ref.key, IfMatch=ref.etag, **_version_kwargs(ref))["Body"]
        spans = line_aligned_spans(body.iter_chunks(READ_CHUNK_BYTES), settings.work_unit_bytes)
        if not spans or spans[-1].end != ref.size:
            raise RuntimeError(f"{ref.uri}: read {spans[-1].end if spans else 0} bytes, expected {ref.size}")
    else:
        spans = [Span(0, ref.size, 1, None)]
    planned_at = datetime.now(UTC).isoformat(timespec="seconds")
    dataset = dataset_of(ref.key, settings.bronze_prefix)
    return [
        WorkUnit(
            bucket=ref.bucket,
            key=ref.key,
            etag=ref.etag,
            version_id=ref.version_id,
            size=ref.size,
            dataset=dataset,
            format=fmt,
            compression=compression,
            index=i,
            count=len(spans),
            start=span.start,
            end=span.end,
            first_line=span.first_line,
            line_count=span.line_count,
            object_time=ref.event_time,
            planned_at=planned_at,
            replay=replay,
        )
        for i, span in enumerate(spans)
    ]


def send_units(units: Iterable[WorkUnit], *, sqs: Any, queue_url: str, attempts: int) -> None:
    """SendMessageBatch in groups of 10, retrying only the entries SQS reported as failed."""
    units = list(units)
    for offset in range(0, len(units), SQS_BATCH):
        pending = {str(uuid.uuid4()): u.to_message() for u in units[offset : offset + SQS_BATCH]}
        for attempt in range(attempts):
            response = sqs.send_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": i, "MessageBody": body} for i, body in pending.items()],
            )
            failed = response.get("Failed") or []
            pending = {f["Id"]: pending[f["Id"]] for f in failed}
            if not pending:
                break
            if attempt + 1 < attempts:
                time.sleep(min(0.2 * 2**attempt, 2.0))
        if pending:
            reasons = sorted({f.get("Code", "?") for f in failed})
            raise EnqueueError(f"{len(pending)} work units not enqueued after {attempts} attempts: {reasons}")
