"""The differential check behind ``make fuzz``: one object's bytes through the production path
(ingest's ``plan_units``, then the transform's ``validate_unit`` for every unit into one batch's
writers, against an in-memory S3) and through the reference reader (``elt.devkit.reference``), then every
difference between the two.

The in-memory S3 is deliberately small: pinned ranged GETs served in chunks of a chosen size (so
chunk boundaries are fuzzed too), and S3's 1,024-byte key limit checked on every quarantine key. Everything else
is the production code, unchanged. The commit protocol around it (claims, uploads) does not
change a line's verdict and is tested on its own (``tests/integration/test_batches.py``).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq

from elt.config import IngestSettings, TransformSettings
from elt.devkit.reference import Limits, Verdicts, Window, read_object
from elt.ingest import plan_units
from elt.layout import new_batch_id
from elt.records import Validator
from elt.s3_events import ObjectRef
from elt.silver import BatchWriters, quarantine_object_key, validate_unit
from elt.work_units import detect_format

BRONZE = "fuzz-bronze"
SILVER = "fuzz-silver"
ETAG = "etag0"
OBJECT_TIME = datetime(2030, 1, 1, tzinfo=UTC)
WINDOW = Window(datetime(2000, 1, 1, tzinfo=UTC), OBJECT_TIME + timedelta(days=1))
LIMITS = Limits(max_line_bytes=6000, max_decompressed_bytes=256 * 1024, max_json_document_bytes=64 * 1024)
_VALIDATOR = Validator()


class KeyTooLong(ValueError):
    pass


class _Body:
    def __init__(self, data: bytes, chunk_bytes: int) -> None:
        self.data, self.chunk_bytes = data, chunk_bytes

    def iter_chunks(self, _size: int) -> Any:
        for i in range(0, len(self.data), self.chunk_bytes):
            yield self.data[i : i + self.chunk_bytes]

    def read(self) -> bytes:
        return self.data


class MemoryS3:
    """The S3 calls ingest and the transform make, in memory."""

    def __init__(self, chunk_bytes: int) -> None:
        self.chunk_bytes = chunk_bytes
        self.objects: dict[tuple[str, str], bytes] = {}

    def get_object(self, *, Bucket: str, Key: str, Range: str | None = None, **_: Any) -> dict[str, Any]:
        data = self.objects[(Bucket, Key)]
        if Range is not None:
            first, last = Range.removeprefix("bytes=").split("-")
            data = data[int(first) : int(last) + 1]
        return {"Body": _Body(data, self.chunk_bytes)}


@dataclass(frozen=True)
class Config:
    """One way of cutting the same bytes: unit size (ingest), parse block size, read chunk size."""

    work_unit_bytes: int
    parse_block_bytes: int
    chunk_bytes: int


@dataclass
class Observed:
    rows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    quarantined: Counter[int | None] = field(default_factory=Counter)
    escaped: list[str] = field(default_factory=list)


def run_production(data: bytes, key: str, config: Config) -> Observed:
    s3 = MemoryS3(config.chunk_bytes)
    s3.objects[(BRONZE, key)] = data
    ref = ObjectRef(BRONZE, key, ETAG, len(data), event_time=OBJECT_TIME.isoformat())
    ingest = IngestSettings(queue_url="q", idempotency_table="t", work_unit_bytes=config.work_unit_bytes)
    transform = TransformSettings(
        silver_bucket=SILVER,
        max_line_bytes=LIMITS.max_line_bytes,
        max_decompressed_bytes=LIMITS.max_decompressed_bytes,
        max_json_document_bytes=LIMITS.max_json_document_bytes,
        parse_block_bytes=config.parse_block_bytes,
        event_time_min=WINDOW.event_time_min.date().isoformat(),
        event_time_max_future_seconds=24 * 3600,
    )
    observed = Observed()
    try:
        units = plan_units(ref, s3=s3, settings=ingest)
    except Exception as exc:
        observed.escaped.append(f"ingest: {type(exc).__name__}: {exc}")
        return observed
    entries: list[bytes] = []
    with tempfile.TemporaryDirectory(prefix="fuzz-") as workdir:
        writers = BatchWriters(_VALIDATOR.schemas, workdir, transform.row_group_rows)
        for unit in units:
            try:
                _, lines = validate_unit(unit, s3=s3, settings=transform, validator=_VALIDATOR, writers=writers)
                key = quarantine_object_key(transform, unit.dataset, new_batch_id(OBJECT_TIME))
                if len(key.encode("utf-8", "surrogatepass")) > 1024:
                    raise KeyTooLong(f"quarantine key is {len(key.encode('utf-8', 'surrogatepass'))} bytes")
                entries += lines
            except Exception as exc:
                observed.escaped.append(f"unit {unit.index} [{unit.start},{unit.end}): {type(exc).__name__}: {exc}")
        for path in writers.close().values():
            for row in pq.read_table(path).to_pylist():
                del row["_ingested_at"]  # the planning time: not a function of the bytes
                observed.rows.setdefault(row["_source_line"], []).append(row)
    for entry in entries:
        observed.quarantined[json.loads(entry)["source"]["line"]] += 1
    return observed


def reference(data: bytes, key: str) -> Verdicts:
    fmt, compression = detect_format(key)
    return read_object(
        data,
        fmt=fmt,
        gzip=compression == "gzip",
        window=WINDOW,
        limits=LIMITS,
        uri=f"s3://{BRONZE}/{key}",
        ingested_at=OBJECT_TIME,
    )


def differences(expected: Verdicts, observed: Observed) -> list[str]:
    """Every way the production outcome differs from the reference (empty: they agree)."""
    found = [f"escaped exception: {e}" for e in observed.escaped]
    lines = set(observed.rows) | {line for line in observed.quarantined if line is not None}
    for line in sorted(lines):
        outcomes = len(observed.rows.get(line, [])) + observed.quarantined.get(line, 0)
        if outcomes != 1:
            found.append(f"line {line}: {outcomes} outcomes")
    if observed.quarantined.get(None, 0) != expected.whole:
        found.append(f"whole-object entries: {observed.quarantined.get(None, 0)}, expected {expected.whole}")
    for line in sorted(set(expected.rows) - set(observed.rows)):
        found.append(f"line {line}: expected a row, got {'quarantine' if line in observed.quarantined else 'nothing'}")
    for line in sorted(set(observed.rows) - set(expected.rows)):
        found.append(f"line {line}: a row, expected {'quarantine' if line in expected.rejected else 'nothing'}")
    quarantined = {line for line in observed.quarantined if line is not None}
    for line in sorted(expected.rejected - quarantined - set(observed.rows)):
        found.append(f"line {line}: expected a quarantine entry, got nothing")
    for line in sorted(quarantined - expected.rejected - set(expected.rows)):
        found.append(f"line {line}: quarantined, expected nothing (blank)")
    for line, (record_type, row) in sorted(expected.rows.items()):
        row = {k: v for k, v in row.items() if k != "_ingested_at"} | {"_source_version": ETAG}
        got = observed.rows.get(line, [])
        if len(got) == 1 and (got[0] != row or got[0]["record_type"] != record_type):
            found.append(f"line {line}: row {got[0]!r} differs from {row!r}")
    return found


def check(data: bytes, key: str, configs: list[Config]) -> list[str]:
    """Run ``data`` under every config; returns the differences, each tagged with its config."""
    expected = reference(data, key)
    found: list[str] = []
    for config in configs:
        found += [f"{config}: {d}" for d in differences(expected, run_production(data, key, config))]
    return found
