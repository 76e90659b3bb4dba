"""Remove rows of given source object versions from a committed batch's files, in place.

A replay or an overwrite takes a unit's rows away from the batch that holds them before its own
batch writes them again (``elt/ledger.py``). The rows are found by their lineage columns
(``_source_uri``, ``_source_version``, ``_source_line``; a quarantine entry's ``source``), in the
files the batch record lists and in any file a replace-mode compaction wrote into the same
partitions (``compacted-*``), so compaction does not hide rows from a later replay.

Each file is rewritten with one PutObject (atomic for readers: the old or the new content) or
deleted when nothing is left, under a lease on its directory so that two batches retracting
different rows from one file cannot lose each other's change.
"""

from __future__ import annotations

import io
import json
import logging
import posixpath
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

from elt.layout import COMPACTED_FILE_PREFIX
from elt.ledger import Ledger, Retraction

log = logging.getLogger(__name__)

#: How long a batch waits for another to finish rewriting a directory before giving up (its
#: units are then retried later).
LEASE_WAIT_SECONDS = 30


def retract(
    s3: Any, ledger: Ledger, bucket: str, holder: str, retractions: dict[str, list[Retraction]]
) -> dict[str, int]:
    """Remove the rows of ``retractions`` (batch → rows) from each batch's files; returns the
    number of rows and entries removed per file changed."""
    by_directory: dict[str, set[str]] = {}
    wanted: dict[str, list[Retraction]] = {}
    for batch_id, rows in retractions.items():
        for key in ledger.batch(batch_id)["files"]:
            directory = posixpath.dirname(key) + "/"
            by_directory.setdefault(directory, set()).add(key)
            wanted.setdefault(directory, []).extend(rows)
    removed: dict[str, int] = {}
    for directory in sorted(by_directory):
        ledger.acquire_lease(directory, holder, LEASE_WAIT_SECONDS)
        try:
            keys = set(by_directory[directory])
            if any(key.endswith(".parquet") for key in keys):  # only silver partitions are compacted
                keys |= set(_compacted_files(s3, bucket, directory))
            for key in sorted(keys):
                n = rewrite_without(s3, bucket, key, wanted[directory])
                if n:
                    removed[key] = n
        finally:
            ledger.release_lease(directory, holder)
    if removed:
        log.info("retracted rows", extra={"files": removed})
    return removed


def delete_files(s3: Any, bucket: str, keys: Sequence[str]) -> None:
    """Delete an aborted batch's files (absent ones are fine: it may have died before uploading)."""
    for offset in range(0, len(keys), 1000):
        chunk = keys[offset : offset + 1000]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
        if response.get("Errors"):
            raise RuntimeError(f"could not delete an aborted batch's files: {response['Errors'][:3]}")


def _compacted_files(s3: Any, bucket: str, directory: str) -> Iterable[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=directory + COMPACTED_FILE_PREFIX)
    for page in pages:
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(".parquet"):
                yield obj["Key"]


def rewrite_without(s3: Any, bucket: str, key: str, rows: Sequence[Retraction]) -> int:
    """Rewrite one silver or quarantine file without ``rows``; returns how many were removed."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return 0  # already emptied and deleted by an earlier retraction
        raise
    if key.endswith(".parquet"):
        kept, removed, new_body = _without_rows(body, rows)
    else:
        kept, removed, new_body = _without_entries(body, rows)
    if not removed:
        return 0
    if kept:
        s3.put_object(Bucket=bucket, Key=key, Body=new_body)
    else:
        s3.delete_object(Bucket=bucket, Key=key)
    return removed


def _without_rows(body: bytes, rows: Sequence[Retraction]) -> tuple[int, int, bytes]:
    table = pq.read_table(io.BytesIO(body))
    uri, version, line = (table.column(c) for c in ("_source_uri", "_source_version", "_source_line"))
    drop = pa.repeat(False, table.num_rows)
    for r in rows:
        match = pc.and_(pc.equal(uri, r.uri), pc.equal(version, r.version))
        in_range = pc.greater_equal(line, r.first_line)
        if r.last_line is not None:
            in_range = pc.and_(in_range, pc.less_equal(line, r.last_line))
        drop = pc.or_(drop, pc.and_(match, pc.fill_null(in_range, True)))
    removed = pc.sum(drop).as_py() or 0
    if not removed:
        return table.num_rows, 0, body
    kept = table.filter(pc.invert(drop))
    out = io.BytesIO()
    pq.write_table(kept, out, compression="snappy")
    return kept.num_rows, removed, out.getvalue()


def _without_entries(body: bytes, rows: Sequence[Retraction]) -> tuple[int, int, bytes]:
    kept: list[bytes] = []
    removed = 0
    for raw in body.splitlines(keepends=True):
        source = json.loads(raw)["source"]
        uri = f"s3://{source['bucket']}/{source['key']}"
        version = source.get("version") or source["etag"]
        if any(r.covers(uri, version, source.get("line")) for r in rows):
            removed += 1
        else:
            kept.append(raw)
    return len(kept), removed, b"".join(kept)
