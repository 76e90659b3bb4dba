"""The ops workflow's replay step: copy bronze objects of a time window under a new key so the
normal S3 → ingest path runs again, in bounded batches resumed from ``continue_after``.

Replay re-ingests on purpose: a copy has a new key, so a new idempotency identity, and its rows
carry the copy's ``_source_uri``. Use it to rebuild silver after a fix (e.g. a contract change);
to re-run units of the *same* object version without new rows, re-publish their claim-check
messages instead (``scripts/replay_from_s3.py``).

The request is the reference workflow's input; every field is optional and defaults to the
stack's settings. The step functions pass the whole state between steps, so each call gets the
normalized request back and bounded work per invocation is resumed from ``continue_after``.

**Bounds of one invocation.** A Lambda timeout reaches Step Functions as ``Sandbox.Timedout``,
which the workflow does not retry, so an invocation stops on its own before the timeout: at
``max_objects_per_invocation`` copies, at ``max_bytes_per_invocation`` copied bytes, or when the
time left (the Lambda context's ``get_remaining_time_in_millis``) would not cover one more copy
plus handing back. The arithmetic, for the stack's 300 s timeout (``workflow_ops``):

* a copy is estimated at ``COPY_OVERHEAD_MS`` + size / rate, with conservative rates (AWS
  publishes none for server-side copies): one ``CopyObject`` request (objects up to 5 GB) at
  ``SINGLE_COPY_MIB_PER_S`` = 25 MiB/s, so the largest takes 1 s + 5 GiB / 25 MiB/s ≈ 206 s; the
  managed multipart copy (10 parts in flight) at ``MULTIPART_COPY_MIB_PER_S`` = 100 MiB/s, so
  ingest's largest accepted object (``MAX_OBJECT_BYTES``, 16 GiB) takes 1 s + 164 s ≈ 165 s;
* ``RESERVE_MS`` = 5 s covers listing one more page of keys (≈ 1 s) and returning the state;
* an invocation copies the next object only while time left ≥ ``RESERVE_MS`` + its estimate.
  The first object of an invocation is always attempted (206 s + 5 s < 300 s, so a fresh
  invocation fits the largest copy); a window of any size therefore finishes, one bounded
  invocation after another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from elt.config import OpsSettings
from elt.ops.request import EXECUTION_NAME, InvalidRequest, OpsRequest, parse_time

MiB = 1024**2
#: Objects larger than this are copied in parts (CopyObject's single-request limit is 5 GB).
SINGLE_COPY_LIMIT = 5 * 1024**3
#: Conservative copy rates and per-copy latency for the time estimate (module docstring).
SINGLE_COPY_MIB_PER_S = 25
MULTIPART_COPY_MIB_PER_S = 100
COPY_OVERHEAD_MS = 1_000
#: Time kept back for one more list page and for returning the state.
RESERVE_MS = 5_000


@dataclass
class ReplayProgress:
    dest_prefix: str
    started_at: str
    copied: int = 0
    copied_bytes: int = 0
    scanned: int = 0
    continue_after: str | None = None
    more: bool = True
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


def replay_step(
    s3: Any,
    state: Mapping[str, Any],
    *,
    execution_name: str,
    execution_started_at: str,
    defaults: OpsSettings,
    remaining_ms: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """One bounded replay invocation. First call: ``state`` is the raw workflow input; later
    calls: the previous output, resumed after ``replay.continue_after``. ``remaining_ms`` is the
    Lambda context's ``get_remaining_time_in_millis`` (None: no time bound)."""
    if not EXECUTION_NAME.match(execution_name):
        raise InvalidRequest(f"execution name {execution_name!r} cannot be part of an S3 key")
    if "replay" in state:
        request = OpsRequest(**state["request"])
        progress = ReplayProgress(**state["replay"])
    else:
        request = OpsRequest.parse(state, defaults, parse_time("execution start", execution_started_at))
        progress = ReplayProgress(
            dest_prefix=f"{request.dest_prefix_base}{execution_name}/", started_at=execution_started_at
        )
    start, end = parse_time("start", request.start), parse_time("end", request.end)
    batch = _Batch()
    progress.more, progress.stopped_by = False, None
    for obj in _listing(s3, request, progress.continue_after):
        size = obj["Size"] if _wanted(obj, request, start, end) else None
        limit = _limit_reached(request, batch, size, remaining_ms)
        if limit:
            # continue_after stays on the previous key: the next invocation starts with this one.
            progress.more, progress.stopped_by = True, limit
            break
        if size is not None:
            _copy_one(s3, request, progress, obj["Key"], size)
            batch.objects += 1
            batch.bytes += size
        batch.touched += 1
        progress.continue_after = obj["Key"]
        progress.scanned += 1
    return {"request": asdict(request), "replay": asdict(progress)}


def _listing(s3: Any, request: OpsRequest, continue_after: str | None) -> Iterator[dict[str, Any]]:
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=request.bronze_bucket,
        Prefix=request.src_prefix,
        **({"StartAfter": continue_after} if continue_after else {}),
    )
    for page in pages:
        yield from page.get("Contents", [])


def _wanted(obj: Mapping[str, Any], request: OpsRequest, start: datetime, end: datetime) -> bool:
    # Earlier replays are not replayed again (they would nest under a new run). Empty objects
    # carry no records. S3 keeps LastModified to the second: an object written in the start's
    # second is in.
    written = obj["LastModified"].replace(microsecond=0)
    return not obj["Key"].startswith(request.dest_prefix_base) and start <= written < end and obj["Size"] > 0


def _limit_reached(
    request: OpsRequest, batch: _Batch, size: int | None, remaining_ms: Callable[[], int] | None
) -> str | None:
    """The bound that stops this invocation before the next object (``size``: its bytes if it is
    to be copied, None if it is only scanned), or None. The first object is always taken, so
    every invocation makes progress."""
    if batch.touched == 0:
        return None
    if size is not None and batch.objects >= request.max_objects_per_invocation:
        return "objects"
    if size is not None and batch.bytes + size > request.max_bytes_per_invocation:
        return "bytes"
    needed = RESERVE_MS + (copy_estimate_ms(size) if size is not None else 0)
    if remaining_ms is not None and remaining_ms() < needed:
        return "time"
    return None


def _copy_one(s3: Any, request: OpsRequest, progress: ReplayProgress, key: str, size: int) -> None:
    copy_object(s3, request.bronze_bucket, key, progress.dest_prefix + key, size)
    progress.copied += 1
    progress.copied_bytes += size
    if len(progress.sample_keys) < 5:
        progress.sample_keys.append(progress.dest_prefix + key)


def copy_object(s3: Any, bucket: str, key: str, dest_key: str, size: int) -> None:
    source = {"Bucket": bucket, "Key": key}
    if size <= SINGLE_COPY_LIMIT:
        s3.copy_object(Bucket=bucket, Key=dest_key, CopySource=source, MetadataDirective="COPY")
    else:
        s3.copy(source, bucket, dest_key)  # managed multipart copy
