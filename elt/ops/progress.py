"""The ops workflow's progress step: one poll of silver (Parquet and quarantine files written since
the workflow started) and of the queue depths."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from elt.ops.request import OpsRequest, parse_time
from elt.queues import queue_depth


def progress_step(
    s3: Any, sqs: Any, state: Mapping[str, Any], *, quarantine_prefix: str, queue_url: str, dlq_url: str
) -> dict[str, Any]:
    """One poll: count silver Parquet objects written since the workflow started (under
    ``silver_prefix[/record_type]``), quarantine files since then, and the queue depths."""
    request = OpsRequest(**state["request"])
    # S3 keeps LastModified to the second: compare from the start of the start's second.
    since = parse_time("started_at", state["replay"]["started_at"]).replace(microsecond=0)
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
        "queue_depth": queue_depth(sqs, queue_url).total,
        "dlq_depth": queue_depth(sqs, dlq_url).total if dlq_url else 0,
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
