"""The ops workflow's replay step: copy bronze objects of a time window under a new key so the
normal S3 → ingest path runs again, in bounded batches resumed from ``continue_after``.

Replay re-ingests on purpose: a copy has a new key, so a new idempotency identity, and its rows
carry the copy's ``_source_uri``. Use it to rebuild silver after a fix (e.g. a contract change);
to re-run units of the *same* object version without new rows, re-publish their claim-check
messages instead (``scripts/replay_from_s3.py``).

The request is the reference workflow's input; every field is optional and defaults to the
stack's settings. The step functions pass the whole state between steps, so each call gets the
normalized request back and bounded work per invocation is resumed from ``continue_after``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from elt.config import OpsSettings
from elt.ops.request import EXECUTION_NAME, InvalidRequest, OpsRequest, parse_time

#: Objects larger than this are copied in parts (CopyObject's single-request limit is 5 GB).
SINGLE_COPY_LIMIT = 5 * 1024**3


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


def replay_step(
    s3: Any,
    state: Mapping[str, Any],
    *,
    execution_name: str,
    execution_started_at: str,
    defaults: OpsSettings,
) -> dict[str, Any]:
    """One bounded replay invocation. First call: ``state`` is the raw workflow input; later
    calls: the previous output, resumed after ``replay.continue_after``."""
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
    budget = request.max_objects_per_invocation
    copied_now = 0
    paginator = s3.get_paginator("list_objects_v2")
    pages = paginator.paginate(
        Bucket=request.bronze_bucket,
        Prefix=request.src_prefix,
        **({"StartAfter": progress.continue_after} if progress.continue_after else {}),
    )
    progress.more = False
    for page in pages:
        for obj in page.get("Contents", []):
            key = obj["Key"]
            progress.continue_after = key
            progress.scanned += 1
            # Earlier replays are not replayed again (they would nest under a new run).
            # S3 keeps LastModified to the second: an object written in the start's second is in.
            written = obj["LastModified"].replace(microsecond=0)
            if key.startswith(request.dest_prefix_base) or not (start <= written < end):
                continue
            if obj["Size"] == 0:
                continue
            copy_object(s3, request.bronze_bucket, key, progress.dest_prefix + key, obj["Size"])
            progress.copied += 1
            progress.copied_bytes += obj["Size"]
            if len(progress.sample_keys) < 5:
                progress.sample_keys.append(progress.dest_prefix + key)
            copied_now += 1
            if copied_now >= budget:
                progress.more = True
                break
        if progress.more:
            break
    return {"request": asdict(request), "replay": asdict(progress)}


def copy_object(s3: Any, bucket: str, key: str, dest_key: str, size: int) -> None:
    source = {"Bucket": bucket, "Key": key}
    if size <= SINGLE_COPY_LIMIT:
        s3.copy_object(Bucket=bucket, Key=dest_key, CopySource=source, MetadataDirective="COPY")
    else:
        s3.copy(source, bucket, dest_key)  # managed multipart copy
