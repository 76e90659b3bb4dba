"""The ops workflow's replay step: recompute silver for the bronze objects of a time window, in
bounded batches resumed from ``continue_after``.

**Recompute (the default).** For each object in the window the step plans its work units with
ingest's own code (``elt.ingest.plan_units``, so every unit has the byte range ingest gave it)
with ``replay`` set to the execution name, and sends them to the work queue. The transform then
finds each unit's rows held by an earlier batch and, because the unit names a replay, retracts
them from that batch and writes them again, computed with the current contracts
(``elt/ledger.py``). Silver is recomputed in place for the window's current object versions and
never appended to: N replays of unchanged bronze leave it row-for-row identical but for
``_ingested_at`` (the computation time). A unit silver does not hold yet is simply written.

Each unit carries the object version ingest would have read: ListObjectsV2 gives the key, ETag
(quotes stripped) and size; on a versioned bucket the unit also needs the current VersionId
(the ledger registers ``VersionId or ETag`` per key, and a unit of another version is taken for
an old one and skipped). ListObjectsV2 does not return it, so the step asks
``GetBucketVersioning`` once per invocation and HEADs each object only when versioning is (or
was: ``Suspended``) on — an unversioned bucket costs no request per object. If the role may not
ask (AccessDenied), every object is HEADed: correct either way, one request more per object.
The HEAD answers the current version as a whole (ETag, size, VersionId, LastModified); an object
deleted since the listing is passed over. ``event_time`` (what bounds the records' accepted
``event_time``, as an S3 event's ``eventTime`` does) is the object's LastModified, which S3 keeps
to the second: at most one second earlier than the notification's time.

**Copies (``"reingest_as_new_copies": true``).** The former behaviour: each object is copied to
``<dest_prefix_base><execution>/<key>``; a copy is a new key, so a new object to ingest, and its
rows land in silver again — next to the originals, with the copy's ``_source_uri``. Only for
when new copies are what you want; to rebuild silver, use the default.

Either way, earlier copies (keys under ``dest_prefix_base``) and empty objects are left out.

The request is the reference workflow's input; every field is optional and defaults to the
stack's settings. The step functions pass the whole state between steps, so each call gets the
normalized request back and bounded work per invocation is resumed from ``continue_after``.

**Bounds of one invocation.** A Lambda timeout reaches Step Functions as ``Sandbox.Timedout``,
which the workflow does not retry, so an invocation stops on its own before the timeout: at
``max_objects_per_invocation`` objects, at ``max_bytes_per_invocation`` bytes of objects replayed
(planned or copied), or when the time left (the Lambda context's ``get_remaining_time_in_millis``)
would not cover one more object plus handing back. The arithmetic, for the stack's 300 s timeout
and 256 MB (``workflow_ops``):

* planning an object is estimated at ``PLAN_OVERHEAD_MS`` = 1 s (the HEAD of a versioned
  bucket, the GET's first byte) + ``SEND_BATCH_MS`` = 0.2 s per SendMessageBatch of 10 units +
  the read. Small objects (at most ``WORK_UNIT_BYTES``), gzip and JSON documents, and objects
  over ``MAX_OBJECT_BYTES`` are one unit each and are not read: 1.2 s. A larger JSON Lines
  object is read once to cut it at line boundaries, at ``READ_MIB_PER_S`` = 64 MiB/s. That rate
  is conservative: ``make bench`` measured planning at 0.93 CPU-s per GiB, ≈ 160 MiB/s at
  256 MB's 0.145 vCPU, and the bench's sizing of ingest's timeout (210 s for the largest
  object, docs/performance.md) assumes ≥ 78 MiB/s; AWS publishes no per-stream GET rate. So
  the largest splittable object (``MAX_OBJECT_BYTES`` = 16 GiB: 128 units of 128 MiB, 13
  sends) takes 1 s + 2.6 s + 256 s ≈ 260 s;
* a copy is estimated at ``COPY_OVERHEAD_MS`` + size / rate, with conservative rates (AWS
  publishes none for server-side copies): one ``CopyObject`` request (objects up to 5 GB) at
  ``SINGLE_COPY_MIB_PER_S`` = 25 MiB/s, so the largest takes 1 s + 5 GiB / 25 MiB/s ≈ 206 s; the
  managed multipart copy (10 parts in flight) at ``MULTIPART_COPY_MIB_PER_S`` = 100 MiB/s, so
  ingest's largest accepted object (16 GiB) takes 1 s + 164 s ≈ 165 s;
* ``RESERVE_MS`` = 5 s covers listing one more page of keys (≈ 1 s) and returning the state;
* an invocation takes the next object only while time left ≥ ``RESERVE_MS`` + its estimate.
  The first object of an invocation is always attempted (260 s + 5 s and 206 s + 5 s < 300 s, so
  a fresh invocation fits the largest object of either mode); a window of any size therefore
  finishes, one bounded invocation after another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from elt.config import IngestSettings, OpsSettings, SettingsError
from elt.ingest import plan_units, send_units
from elt.ops.request import EXECUTION_NAME, InvalidRequest, OpsRequest, parse_time
from elt.s3_events import ObjectRef
from elt.work_units import detect_format

log = logging.getLogger(__name__)

MiB = 1024**2
RECOMPUTE, COPY = "recompute", "copy"
#: Objects larger than this are copied in parts (CopyObject's single-request limit is 5 GB).
SINGLE_COPY_LIMIT = 5 * 1024**3
#: Conservative copy rates and per-copy latency for the time estimate (module docstring).
SINGLE_COPY_MIB_PER_S = 25
MULTIPART_COPY_MIB_PER_S = 100
COPY_OVERHEAD_MS = 1_000
#: Conservative planning costs for the time estimate (module docstring).
PLAN_OVERHEAD_MS = 1_000
SEND_BATCH_MS = 200
READ_MIB_PER_S = 64
SQS_BATCH = 10
#: Time kept back for one more list page and for returning the state.
RESERVE_MS = 5_000
#: Stands in for the idempotency table, which replay never touches (IngestSettings requires a name).
NO_TABLE = "(not used: replay does not claim objects)"


@dataclass
class ReplayProgress:
    started_at: str
    #: "recompute" (work units with ``replay`` set) or "copy" (``reingest_as_new_copies``).
    mode: str = RECOMPUTE
    #: Where copies land (copy mode only).
    dest_prefix: str | None = None
    #: Objects replayed: their units sent (recompute) or copied (copy).
    objects: int = 0
    #: Work units sent to the queue (recompute).
    units_sent: int = 0
    #: Bytes of the objects whose units were sent (recompute; read only for large JSONL objects).
    bytes_planned: int = 0
    #: Bytes copied (copy mode).
    bytes_copied: int = 0
    #: Objects listed and passed (replayed, or left out by the window and filters).
    scanned: int = 0
    continue_after: str | None = None
    more: bool = True
    #: Up to 5 keys replayed: the objects recomputed, or the copies written.
    sample_keys: list[str] = field(default_factory=list)
    #: Why the last invocation stopped early: "objects", "bytes" or "time" (None: window done).
    stopped_by: str | None = None


@dataclass
class _Batch:
    """What this invocation has done so far."""

    objects: int = 0
    bytes: int = 0
    touched: int = 0


def copy_estimate_ms(size: int) -> int:
    """Conservative time one copy of ``size`` bytes takes (the arithmetic in the module docstring)."""
    rate = SINGLE_COPY_MIB_PER_S if size <= SINGLE_COPY_LIMIT else MULTIPART_COPY_MIB_PER_S
    return COPY_OVERHEAD_MS + -(-size * 1000 // (rate * MiB))


def reads_to_plan(key: str, size: int, settings: IngestSettings) -> bool:
    """Whether planning reads the object (``plan_units``: a JSON Lines object larger than one unit
    and within the size limit is read once to cut it at line boundaries)."""
    fmt, compression = detect_format(key)
    return fmt == "jsonl" and compression is None and settings.work_unit_bytes < size <= settings.max_object_bytes


def plan_estimate_ms(key: str, size: int, settings: IngestSettings) -> int:
    """Conservative time planning and sending one object's units takes (module docstring)."""
    if not reads_to_plan(key, size, settings):
        return PLAN_OVERHEAD_MS + SEND_BATCH_MS
    units = -(-size // settings.work_unit_bytes)
    sends = -(-units // SQS_BATCH)
    return PLAN_OVERHEAD_MS + SEND_BATCH_MS * sends + -(-size * 1000 // (READ_MIB_PER_S * MiB))


def ingest_settings(defaults: OpsSettings) -> IngestSettings:
    """The planning settings ingest uses (``WORK_UNIT_BYTES`` and ``MAX_OBJECT_BYTES`` must be
    ingest's, so units have the ranges silver holds), sending to the work queue."""
    settings = IngestSettings(
        queue_url=defaults.queue_url,
        idempotency_table=NO_TABLE,
        bronze_prefix=defaults.bronze_prefix,
        work_unit_bytes=defaults.work_unit_bytes,
        max_object_bytes=defaults.max_object_bytes,
        send_attempts=defaults.send_attempts,
    )
    settings.validate()
    return settings


def replay_step(
    s3: Any,
    state: Mapping[str, Any],
    *,
    execution_name: str,
    execution_started_at: str,
    defaults: OpsSettings,
    sqs: Any = None,
    remaining_ms: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """One bounded replay invocation. First call: ``state`` is the raw workflow input; later
    calls: the previous output, resumed after ``replay.continue_after``. ``sqs`` sends the work
    units (recompute mode); ``remaining_ms`` is the Lambda context's
    ``get_remaining_time_in_millis`` (None: no time bound)."""
    if not EXECUTION_NAME.match(execution_name):
        raise InvalidRequest(f"execution name {execution_name!r} cannot be part of an S3 key")
    if "replay" in state:
        request = OpsRequest(**state["request"])
        progress = _load_progress(state["replay"])
    else:
        request = OpsRequest.parse(state, defaults, parse_time("execution start", execution_started_at))
        progress = ReplayProgress(started_at=execution_started_at)
        if request.reingest_as_new_copies:
            progress.mode, progress.dest_prefix = COPY, f"{request.dest_prefix_base}{execution_name}/"
    settings = ingest_settings(defaults)
    if progress.mode == RECOMPUTE:
        if not defaults.queue_url or sqs is None:
            raise SettingsError("QUEUE_URL is not set: recompute sends work units to the work queue")
        take: Callable[[dict[str, Any]], bool] = _Recompute(s3, sqs, request, settings, execution_name, progress)
        estimate: Callable[[str, int], int] = lambda key, size: plan_estimate_ms(key, size, settings)  # noqa: E731
    else:
        take = lambda obj: _copy_one(s3, request, progress, obj["Key"], obj["Size"])  # noqa: E731
        estimate = lambda key, size: copy_estimate_ms(size)  # noqa: E731
    start, end = parse_time("start", request.start), parse_time("end", request.end)
    batch = _Batch()
    progress.more, progress.stopped_by = False, None
    for obj in _listing(s3, request, progress.continue_after):
        size = obj["Size"] if _wanted(obj, request, start, end) else None
        limit = _limit_reached(request, batch, size, remaining_ms, estimate, obj["Key"])
        if limit:
            # continue_after stays on the previous key: the next invocation starts with this one.
            progress.more, progress.stopped_by = True, limit
            break
        if size is not None and take(obj):
            batch.objects += 1
            batch.bytes += size
        batch.touched += 1
        progress.continue_after = obj["Key"]
        progress.scanned += 1
    return {"request": asdict(request), "replay": asdict(progress)}


def _load_progress(raw: Mapping[str, Any]) -> ReplayProgress:
    """The previous invocation's progress; one written before recompute existed (``copied_bytes``,
    always copies) resumes as the copy run it started as."""
    values = dict(raw)
    if "copied_bytes" in values:
        values = {
            **{k: v for k, v in values.items() if k not in ("copied", "copied_bytes")},
            "mode": COPY,
            "objects": values.get("copied", 0),
            "bytes_copied": values["copied_bytes"],
        }
    return ReplayProgress(**values)


def _listing(s3: Any, request: OpsRequest, continue_after: str | None) -> Iterator[dict[str, Any]]:
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=request.bronze_bucket,
        Prefix=request.src_prefix,
        **({"StartAfter": continue_after} if continue_after else {}),
    )
    for page in pages:
        yield from page.get("Contents", [])


def _wanted(obj: Mapping[str, Any], request: OpsRequest, start: datetime, end: datetime) -> bool:
    # Earlier copies are not replayed again (they would nest under a new run). Empty objects
    # carry no records. S3 keeps LastModified to the second: an object written in the start's
    # second is in.
    written = obj["LastModified"].replace(microsecond=0)
    return not obj["Key"].startswith(request.dest_prefix_base) and start <= written < end and obj["Size"] > 0


def _limit_reached(
    request: OpsRequest,
    batch: _Batch,
    size: int | None,
    remaining_ms: Callable[[], int] | None,
    estimate: Callable[[str, int], int],
    key: str,
) -> str | None:
    """The bound that stops this invocation before the next object (``size``: its bytes if it is
    to be replayed, None if it is only scanned), or None. The first object is always taken, so
    every invocation makes progress."""
    if batch.touched == 0:
        return None
    if size is not None and batch.objects >= request.max_objects_per_invocation:
        return "objects"
    if size is not None and batch.bytes + size > request.max_bytes_per_invocation:
        return "bytes"
    needed = RESERVE_MS + (estimate(key, size) if size is not None else 0)
    if remaining_ms is not None and remaining_ms() < needed:
        return "time"
    return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Recompute:
    """Plans one listed object's units with ``replay`` set and sends them (module docstring)."""

    def __init__(
        self, s3: Any, sqs: Any, request: OpsRequest, settings: IngestSettings, run: str, progress: ReplayProgress
    ) -> None:
        self.s3, self.sqs, self.request, self.settings = s3, sqs, request, settings
        self.run, self.progress = run, progress
        self._head: bool | None = None  # HEAD each object for its VersionId (decided once)

    def __call__(self, obj: dict[str, Any]) -> bool:
        ref = self._ref(obj)
        if ref is None:
            return False
        units = plan_units(ref, s3=self.s3, settings=self.settings, replay=self.run)
        send_units(units, sqs=self.sqs, queue_url=self.settings.queue_url, attempts=self.settings.send_attempts)
        self.progress.objects += 1
        self.progress.units_sent += len(units)
        self.progress.bytes_planned += ref.size or 0
        if len(self.progress.sample_keys) < 5:
            self.progress.sample_keys.append(ref.key)
        return True

    def head_each_object(self) -> bool:
        """Whether objects need a HEAD for their VersionId: asked once per invocation."""
        if self._head is None:
            try:
                status = self.s3.get_bucket_versioning(Bucket=self.request.bronze_bucket).get("Status")
                self._head = status in ("Enabled", "Suspended")
            except ClientError as exc:
                log.warning("GetBucketVersioning failed (%s): every object is HEADed for its version", exc)
                self._head = True
        return self._head

    def _ref(self, obj: Mapping[str, Any]) -> ObjectRef | None:
        bucket, key = self.request.bronze_bucket, obj["Key"]
        if not self.head_each_object():
            return ObjectRef(bucket, key, obj["ETag"].strip('"'), obj["Size"], None, _iso(obj["LastModified"]))
        try:
            head = self.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                log.info("passed over s3://%s/%s: deleted since the listing", bucket, key)
                return None
            raise
        if head["ContentLength"] == 0:
            return None
        version = head.get("VersionId")
        return ObjectRef(
            bucket,
            key,
            head["ETag"].strip('"'),
            head["ContentLength"],
            None if version in (None, "null") else version,
            _iso(head["LastModified"]),
        )


def _copy_one(s3: Any, request: OpsRequest, progress: ReplayProgress, key: str, size: int) -> bool:
    assert progress.dest_prefix is not None
    copy_object(s3, request.bronze_bucket, key, progress.dest_prefix + key, size)
    progress.objects += 1
    progress.bytes_copied += size
    if len(progress.sample_keys) < 5:
        progress.sample_keys.append(progress.dest_prefix + key)
    return True


def copy_object(s3: Any, bucket: str, key: str, dest_key: str, size: int) -> None:
    source = {"Bucket": bucket, "Key": key}
    if size <= SINGLE_COPY_LIMIT:
        s3.copy_object(Bucket=bucket, Key=dest_key, CopySource=source, MetadataDirective="COPY")
    else:
        s3.copy(source, bucket, dest_key)  # managed multipart copy
