"""The ops workflow's two steps: replay (copy bronze objects of a time window under a new key so
the normal S3 → ingest path runs again) and progress (poll silver until the replayed data landed).

Replay re-ingests on purpose: a copy has a new key, so a new idempotency identity, and its rows
carry the copy's ``_source_uri``. Use it to rebuild silver after a fix (e.g. a contract change);
to re-run units of the *same* object version without new rows, re-publish their claim-check
messages instead (``scripts/replay_from_s3.py``).

The request is the reference workflow's input; every field is optional and defaults to the
stack's settings. The step functions pass the whole state between steps, so each call gets the
normalized request back and bounded work per invocation is resumed from ``continue_after``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from elt.config import OpsSettings

#: Objects larger than this are copied in parts (CopyObject's single-request limit is 5 GB).
SINGLE_COPY_LIMIT = 5 * 1024**3
_EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


class InvalidRequest(ValueError):
    """The workflow input is wrong; the message says which field and why (not retried)."""


def _parse_time(name: str, raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise InvalidRequest(f"{name} must be an ISO-8601 string, got {raw!r}")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{name}={raw!r} is not ISO-8601 (e.g. 2024-06-01T00:00:00Z)") from None
    if value.tzinfo is None:
        raise InvalidRequest(f"{name}={raw!r} has no time zone (add Z or an offset)")
    return value.astimezone(UTC)


def _positive_int(request: Mapping[str, Any], name: str, default: int) -> int:
    raw = request.get(name, default)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidRequest(f"{name} must be a positive integer, got {raw!r}")
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1 or value != float(raw):
        raise InvalidRequest(f"{name} must be a positive integer, got {raw!r}")
    return value


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class OpsRequest:
    bronze_bucket: str
    src_prefix: str
    dest_prefix_base: str
    start: str
    end: str
    silver_bucket: str
    silver_prefix: str
    record_type: str | None
    min_parquet_objects: int
    poll_interval_seconds: int
    max_attempts: int
    max_objects_per_invocation: int

    @classmethod
    def parse(cls, request: Mapping[str, Any], defaults: OpsSettings, now: datetime) -> OpsRequest:
        unknown = set(request) - {f for f in cls.__dataclass_fields__} - {"window_hours"}
        if unknown:
            raise InvalidRequest(f"unknown input fields: {', '.join(sorted(unknown))}")
        bronze_bucket = request.get("bronze_bucket") or defaults.bronze_bucket
        silver_bucket = request.get("silver_bucket") or defaults.silver_bucket
        if not bronze_bucket or not silver_bucket:
            raise InvalidRequest("bronze_bucket and silver_bucket are required (no stack default is set)")
        src_prefix = request.get("src_prefix") or defaults.bronze_prefix
        if not src_prefix.startswith(defaults.bronze_prefix):
            raise InvalidRequest(f"src_prefix={src_prefix!r} must start with {defaults.bronze_prefix!r}")
        dest = (request.get("dest_prefix_base") or defaults.replay_prefix).rstrip("/") + "/"
        if not dest.startswith(defaults.bronze_prefix):
            # Only keys under the bronze prefix reach the ingest function.
            raise InvalidRequest(f"dest_prefix_base={dest!r} must start with {defaults.bronze_prefix!r}")
        if src_prefix.startswith(dest):
            raise InvalidRequest(f"src_prefix={src_prefix!r} lies inside dest_prefix_base={dest!r}")
        if "start" in request or "end" in request:
            if "window_hours" in request:
                raise InvalidRequest("give either window_hours or start/end, not both")
            end = _parse_time("end", request["end"]) if "end" in request else now
            if "start" not in request:
                raise InvalidRequest("start is required with end")
            start = _parse_time("start", request["start"])
        else:
            end = now
            start = end - timedelta(hours=_positive_int(request, "window_hours", 24))
        if start >= end:
            raise InvalidRequest(f"start {_iso(start)} must be before end {_iso(end)}")
        record_type = request.get("record_type") or None
        if record_type is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", record_type):
            raise InvalidRequest(f"record_type={record_type!r} is not a dataset name")
        return cls(
            bronze_bucket=bronze_bucket,
            src_prefix=src_prefix,
            dest_prefix_base=dest,
            start=_iso(start),
            end=_iso(end),
            silver_bucket=silver_bucket,
            silver_prefix=(request.get("silver_prefix") or defaults.silver_prefix).strip("/"),
            record_type=record_type,
            min_parquet_objects=_positive_int(request, "min_parquet_objects", 1),
            poll_interval_seconds=_positive_int(request, "poll_interval_seconds", 15),
            max_attempts=_positive_int(request, "max_attempts", 40),
            max_objects_per_invocation=_positive_int(request, "max_objects_per_invocation", 500),
        )


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
    if not _EXECUTION_NAME.match(execution_name):
        raise InvalidRequest(f"execution name {execution_name!r} cannot be part of an S3 key")
    if "replay" in state:
        request = OpsRequest(**state["request"])
        progress = ReplayProgress(**state["replay"])
    else:
        request = OpsRequest.parse(state, defaults, _parse_time("execution start", execution_started_at))
        progress = ReplayProgress(
            dest_prefix=f"{request.dest_prefix_base}{execution_name}/", started_at=execution_started_at
        )
    start, end = _parse_time("start", request.start), _parse_time("end", request.end)
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


def progress_step(
    s3: Any, sqs: Any, state: Mapping[str, Any], *, quarantine_prefix: str, queue_url: str, dlq_url: str
) -> dict[str, Any]:
    """One poll: count silver Parquet objects written since the workflow started (under
    ``silver_prefix[/record_type]``), quarantine files since then, and the queue depths."""
    request = OpsRequest(**state["request"])
    # S3 keeps LastModified to the second: compare from the start of the start's second.
    since = _parse_time("started_at", state["replay"]["started_at"]).replace(microsecond=0)
    previous = state.get("progress") or {}
    prefix = f"{request.silver_prefix}/" + (f"{request.record_type}/" if request.record_type else "")
    new_parquet = _count_new(s3, request.silver_bucket, prefix, since, suffix=".parquet")
    new_quarantine = _count_new(s3, request.silver_bucket, f"{quarantine_prefix}/", since, suffix=".jsonl")
    attempt = int(previous.get("attempt", 0)) + 1
    progress = {
        "attempt": attempt,
        "new_parquet_objects": new_parquet,
        "target": request.min_parquet_objects,
        "new_quarantine_objects": new_quarantine,
        "queue_depth": queue_depth(sqs, queue_url),
        "dlq_depth": queue_depth(sqs, dlq_url) if dlq_url else 0,
        "satisfied": new_parquet >= request.min_parquet_objects,
        "exhausted": attempt >= request.max_attempts,
        "checked_prefix": f"s3://{request.silver_bucket}/{prefix}",
    }
    return {**state, "progress": progress}


def _count_new(s3: Any, bucket: str, prefix: str, since: datetime, suffix: str) -> int:
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(suffix) and obj["LastModified"] >= since:
                count += 1
    return count


def queue_depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
