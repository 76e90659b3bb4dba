"""Silver as a reader gets it through the S3 API, and the checks that it holds every record once.

``SilverReader`` lists every ``<silver prefix>/**.parquet`` of the silver bucket and GETs each
(a file is read again only when its ETag changed: a batch's file is rewritten when rows are
retracted from it). ``Silver.audit()`` counts what a query over all of it would see:

* **rows** and **files**;
* **duplicate identities**: rows beyond the first with the same record identity
  (``_source_uri``, ``_source_version``, ``_source_line``): one source line landed twice;
* **business duplicates**: rows beyond the first of their record type with the same value in
  every column but the lineage ones (the identity and ``_ingested_at``): the same record landed
  twice under two identities, e.g. a replay that appended copies instead of recomputing.

Used by ``make demo`` (before and after its ops replay) and the e2e tests of the commit protocol
(``tests/e2e/test_silver_readers.py``).
"""

from __future__ import annotations

import io
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from elt import layout
from elt.queues import queue_depth

IDENTITY = ("_source_uri", "_source_version", "_source_line")
#: Columns that say where and when a row was computed, not what the record is.
LINEAGE = frozenset({*IDENTITY, "_ingested_at"})


@dataclass(frozen=True)
class SilverPart:
    """One Parquet file of silver, read whole."""

    key: str
    record_type: str
    dt: str
    table: pa.Table

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


@dataclass(frozen=True)
class SilverAudit:
    rows: int
    files: int
    duplicate_identities: int
    business_duplicates: int

    @property
    def rows_per_file(self) -> float:
        return self.rows / self.files if self.files else 0.0

    def problems(self, before: SilverAudit | None = None) -> list[str]:
        """What is wrong with silver: duplicates, or (given the audit before a replay) growth."""
        found = []
        if before is not None and self.rows > before.rows:
            found.append(f"silver grew from {before.rows:,} to {self.rows:,} rows (+{self.rows - before.rows:,})")
        if self.duplicate_identities:
            found.append(f"{self.duplicate_identities:,} rows repeat a record identity ({', '.join(IDENTITY)})")
        if self.business_duplicates:
            found.append(f"{self.business_duplicates:,} rows repeat another row in every non-lineage column")
        return found


@dataclass(frozen=True)
class Silver:
    parts: tuple[SilverPart, ...]

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)

    def only(self, *, record_type: str | None = None, uris: Collection[str] | None = None) -> Silver:
        """The rows of one record type and/or of the bronze objects ``uris`` (``s3://bucket/key``);
        files left without a row are dropped."""
        parts = [p for p in self.parts if record_type is None or p.record_type == record_type]
        if uris is not None:
            wanted = pa.array(sorted(uris), pa.string())
            parts = [SilverPart(p.key, p.record_type, p.dt, p.table.filter(pc.is_in(_uri(p), wanted))) for p in parts]
        return Silver(tuple(p for p in parts if p.rows))

    def tables(self) -> dict[str, pa.Table]:
        """One table per record type: its files concatenated."""
        grouped: dict[str, list[pa.Table]] = {}
        for part in self.parts:
            grouped.setdefault(part.record_type, []).append(part.table)
        return {rt: pa.concat_tables(tables, promote_options="default") for rt, tables in grouped.items()}

    def column(self, name: str) -> list[Any]:
        return [value for part in self.parts for value in part.table.column(name).to_pylist()]

    def audit(self) -> SilverAudit:
        tables = self.tables()
        identities = [t.select(list(IDENTITY)) for t in tables.values()]
        duplicate_identities = _excess(pa.concat_tables(identities), list(IDENTITY)) if identities else 0
        business = sum(_excess(t, [c for c in t.column_names if c not in LINEAGE]) for t in tables.values())
        return SilverAudit(self.rows, len(self.parts), duplicate_identities, business)


def _uri(part: SilverPart) -> pa.ChunkedArray:
    return part.table.column("_source_uri")


def _excess(table: pa.Table, columns: list[str]) -> int:
    """Rows beyond the first of each distinct combination of ``columns`` (nulls equal nulls)."""
    if not table.num_rows:
        return 0
    distinct = table.select(columns).group_by(columns).aggregate([]).num_rows
    return int(table.num_rows - distinct)


class SilverReader:
    """Reads every Parquet file under ``<prefix>/`` of ``bucket`` with ``s3`` (any client: moto, the
    local cloud, AWS), keeping each file until its ETag changes or it is gone."""

    def __init__(self, s3: Any, bucket: str, prefix: str = layout.SILVER_PREFIX) -> None:
        self.s3, self.bucket, self.prefix = s3, bucket, prefix.strip("/")
        self._cache: dict[str, tuple[str, SilverPart]] = {}

    def read(self) -> Silver:
        listed: dict[str, str] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/"):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".parquet"):
                    listed[obj["Key"]] = obj["ETag"]
        self._cache = {k: v for k, v in self._cache.items() if listed.get(k) == v[0]}
        parts = []
        for key, etag in sorted(listed.items()):
            if key not in self._cache:
                part = self._get(key)
                if part is None:
                    continue  # deleted between the listing and the GET (a retraction emptied it)
                self._cache[key] = (etag, part)
            parts.append(self._cache[key][1])
        return Silver(tuple(parts))

    def _get(self, key: str) -> SilverPart | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        path = key.removeprefix(f"{self.prefix}/").split("/")
        record_type = path[0]
        dt = next((p.removeprefix("dt=") for p in path[1:-1] if p.startswith("dt=")), "")
        return SilverPart(key, record_type, dt, pq.read_table(io.BytesIO(body)))


def wait_until_drained(sqs: Any, queue_url: str, timeout: float, settle: float = 2.0) -> bool:
    """Wait until the queue has held no message, visible or in flight, for ``settle`` seconds: every
    unit sent before the call was processed (deleted) or is on its way to the DLQ. False on timeout."""
    deadline, empty_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if queue_depth(sqs, queue_url).total:
            empty_since = None
        elif empty_since is None:
            empty_since = time.monotonic()
        elif time.monotonic() - empty_since >= settle:
            return True
        time.sleep(0.5)
    return False
