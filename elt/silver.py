"""Read and validate work units into one batch's silver Parquet files and quarantine entries.

Every row's content is a function of its unit's bytes (pinned to the planned object version) and
the message, so recomputing a unit gives the same rows. Which batch's files hold a unit's rows,
and when they become silver, is the commit protocol's business (``elt/batch.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

from elt.config import TransformSettings
from elt.layout import SilverFile, quarantine_key
from elt.records import ParsedBlock, Rejection, SourceContext, Validator, loads_strict, physical_line_count
from elt.work_units import WorkUnit

log = logging.getLogger(__name__)

READ_CHUNK_BYTES = 1024 * 1024
#: Silver files up to this size go up in one PutObject; larger ones as a multipart upload. A
#: single PUT is one request and skips the transfer manager's thread pool (~1 ms CPU per file).
SINGLE_PUT_MAX_BYTES = 64 * 1024 * 1024
RAW_LIMIT = 64 * 1024
S3_MAX_KEY_BYTES = 1024
UTF8_BOM = b"\xef\xbb\xbf"


class UnitReadError(RuntimeError):
    """The unit's bytes cannot be read as planned. ``gone``: the planned version no longer
    exists (overwritten or deleted since), so the unit is superseded rather than failed."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


class ContentError(ValueError):
    """The object's content cannot be decoded from here on (not gzip, bomb, truncated)."""


@dataclass(frozen=True)
class OversizedLine:
    line_offset: int  # physical lines before it within the unit
    prefix: bytes
    length: int


# ---- reading ------------------------------------------------------------------------------


def read_unit(s3: Any, unit: WorkUnit) -> Iterator[bytes]:
    """Stream the unit's raw bytes, pinned to the planned object version."""
    kwargs: dict[str, Any] = {"Bucket": unit.bucket, "Key": unit.key}
    if unit.version_id:
        kwargs["VersionId"] = unit.version_id
    else:
        kwargs["IfMatch"] = unit.etag
    if not unit.whole_object:
        kwargs["Range"] = f"bytes={unit.start}-{unit.end - 1}"
    try:
        body = s3.get_object(**kwargs)["Body"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"NoSuchKey", "NoSuchVersion", "404"}:
            raise UnitReadError(f"{unit.source_uri} no longer exists (version {unit.version})", gone=True) from exc
        if code in {"PreconditionFailed", "412"}:
            raise UnitReadError(
                f"{unit.source_uri} changed after planning: etag is no longer {unit.etag}", gone=True
            ) from exc
        # Anything else (AccessDenied, throttling, a 5xx) concerns this object alone: the unit
        # fails and its message is retried, the batch's other units go on.
        message = exc.response.get("Error", {}).get("Message", "")
        raise UnitReadError(f"{unit.source_uri} cannot be read: {code or 'error'}: {message}") from exc
    yield from body.iter_chunks(READ_CHUNK_BYTES)


#: Inflate output per call: memory stays bounded whatever the compression ratio.
INFLATE_OUT_BYTES = 1024 * 1024


def gunzip(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """Decompress gzip incrementally, never producing more than ``limit`` bytes in all and
    ``INFLATE_OUT_BYTES`` per call.

    As ``gzip -d`` does: members back to back are one stream, and zero bytes after a complete
    member are padding. Anything else — corrupt data, a stream cut short, garbage after the last
    member, more than ``limit`` bytes — raises ``ContentError`` after yielding every byte that
    decodes before the damaged spot, the same bytes whatever the chunking.
    """
    inflater = _Inflater(limit)
    for chunk in chunks:
        yield from inflater.feed(chunk)
    inflater.finish()


class _Inflater:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.produced = 0
        self.members = 0  # complete members so far
        self.decoder: Any = zlib.decompressobj(wbits=31)  # None between members

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        full = False  # the last call filled its output: more may be pending without input
        while chunk or full:
            if self.decoder is None:
                chunk = chunk.lstrip(b"\0")  # padding after a member
                if not chunk:
                    return
                self.decoder = zlib.decompressobj(wbits=31)
            before = self.decoder.copy()
            try:
                out = self.decoder.decompress(chunk, INFLATE_OUT_BYTES)
            except zlib.error as exc:
                for piece in _salvage(before, chunk):
                    yield from self._emit(piece)
                raise ContentError(self._damage(f"{exc}")) from exc
            full = len(out) == INFLATE_OUT_BYTES
            yield from self._emit(out)
            if self.decoder.eof:
                chunk, self.decoder, full = self.decoder.unused_data, None, False
                self.members += 1
            else:
                chunk = self.decoder.unconsumed_tail

    def _emit(self, out: bytes) -> Iterator[bytes]:
        room = self.limit - self.produced
        if len(out) > room:
            self.produced = self.limit
            if room:
                yield out[:room]
            raise ContentError(f"decompressed size exceeds MAX_DECOMPRESSED_BYTES ({self.limit} bytes)")
        self.produced += len(out)
        if out:
            yield out

    def _damage(self, detail: str) -> str:
        if not self.members and not self.produced:
            return f"not a valid gzip stream: {detail}"
        return f"gzip stream is damaged after {self.produced} decompressed bytes: {detail}"

    def finish(self) -> None:
        if self.decoder is not None:  # a member (or the first one) never ended
            raise ContentError("gzip stream is truncated")


def _salvage(decoder: Any, data: bytes) -> Iterator[bytes]:
    """What ``decoder`` decodes from ``data`` before the byte where it fails (a copy taken before
    the failing call): one byte at a time, so it does not depend on where chunks were cut."""
    out = bytearray()
    for i in range(len(data)):
        try:
            out += decoder.decompress(data[i : i + 1])
        except zlib.error:
            break
        if len(out) >= INFLATE_OUT_BYTES:
            yield bytes(out)
            out.clear()
    yield bytes(out)


def strip_bom(chunks: Iterator[bytes], seen: Any = None) -> Iterator[bytes]:
    """Drop a UTF-8 byte-order mark at the start of an object (an encoding artifact, not data),
    also when it arrives split over chunks; sets ``seen.bom_stripped`` when it does."""
    it = iter(chunks)
    head = b""
    try:
        while len(head) < len(UTF8_BOM):
            chunk = next(it, None)
            if chunk is None:
                break
            head += chunk
    except ContentError:
        if head:
            yield head
        raise
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
        if seen is not None:
            seen.bom_stripped = True
    yield head
    yield from it


@dataclass(frozen=True)
class DamagedTail:
    """Where the content became undecodable: the line it falls in (``line_offset`` physical
    lines into the unit; None when nothing decoded at all), the part of that line decoded
    before the damage, and why."""

    line_offset: int | None
    prefix: bytes
    reason: str


def line_blocks(
    chunks: Iterator[bytes], block_bytes: int, max_line_bytes: int
) -> Iterator[tuple[int, bytes] | OversizedLine | DamagedTail]:
    """Regroup a byte stream into blocks of whole lines, ~``block_bytes`` each.

    Yields ``(line_offset, block)`` (physical lines before the block) and, for a line longer
    than ``max_line_bytes``, an ``OversizedLine`` instead: such a line is skipped in constant
    memory, keeping only its first 64 KiB for the quarantine entry. When the stream fails
    (``ContentError``), every complete line decoded before is still yielded, then one
    ``DamagedTail`` for the rest: the same lines at every block size.
    """
    splitter = _LineSplitter(block_bytes, max_line_bytes)
    try:
        for chunk in chunks:
            yield from splitter.feed(chunk)
    except ContentError as exc:
        yield from splitter.damaged(str(exc))
        return
    yield from splitter.finish()


class _LineSplitter:
    def __init__(self, block_bytes: int, max_line_bytes: int) -> None:
        self.block_bytes = block_bytes
        self.max_line_bytes = max_line_bytes
        self.buf = bytearray()
        self.offset = 0
        self.oversized: OversizedLine | None = None
        self.seen = False  # any byte at all

    def feed(self, chunk: bytes) -> Iterator[tuple[int, bytes] | OversizedLine]:
        self.seen = self.seen or bool(chunk)
        if self.oversized is not None:
            nl = chunk.find(b"\n")
            over = self.oversized
            if nl < 0:
                self.oversized = OversizedLine(over.line_offset, over.prefix, over.length + len(chunk))
                return
            yield OversizedLine(over.line_offset, over.prefix, over.length + nl)
            self.oversized, self.offset, chunk = None, self.offset + 1, chunk[nl + 1 :]
        buf = self.buf
        buf += chunk
        if len(buf) >= self.block_bytes:
            yield from self._complete_lines()
        if len(buf) > self.max_line_bytes and b"\n" not in buf:
            self.oversized = OversizedLine(self.offset, bytes(buf[:RAW_LIMIT]), len(buf))
            buf.clear()

    def _complete_lines(self) -> Iterator[tuple[int, bytes]]:
        cut = self.buf.rfind(b"\n")
        if cut >= 0:
            block = bytes(self.buf[: cut + 1])
            del self.buf[: cut + 1]
            yield self.offset, block
            self.offset += block.count(b"\n")

    def finish(self) -> Iterator[tuple[int, bytes] | OversizedLine]:
        if self.oversized is not None:
            yield self.oversized
        elif self.buf:
            yield self.offset, bytes(self.buf)

    def damaged(self, reason: str) -> Iterator[tuple[int, bytes] | DamagedTail]:
        if self.oversized is not None:
            yield DamagedTail(self.oversized.line_offset, self.oversized.prefix, reason)
            return
        yield from self._complete_lines()
        yield DamagedTail(self.offset if self.seen else None, bytes(self.buf[:RAW_LIMIT]), reason)


# ---- writing ------------------------------------------------------------------------------


class BatchWriters:
    """One Parquet file per (record_type, dt) for a whole batch, spooled to local disk in row
    groups. Tables are buffered per record type and split by day only when a row group is
    flushed, so a batch of many small units pays one split per row group, not one per unit."""

    def __init__(self, schemas: dict[str, pa.Schema], workdir: str, row_group_rows: int) -> None:
        self.schemas = schemas
        self.workdir = workdir
        self.row_group_rows = row_group_rows
        self._pending: dict[str, list[pa.Table]] = {}
        self._buffered = 0
        self._writers: dict[tuple[str, str], pq.ParquetWriter] = {}
        self.rows: dict[tuple[str, str], int] = {}

    def add(self, tables: dict[str, list[pa.Table]]) -> None:
        for record_type, parts in tables.items():
            self._pending.setdefault(record_type, []).extend(parts)
            self._buffered += sum(t.num_rows for t in parts)
        if self._buffered >= self.row_group_rows:
            self.flush()

    def flush(self) -> None:
        for record_type, parts in sorted(self._pending.items()):
            table = pa.concat_tables(parts)
            day = pc.strftime(table.column("event_time"), format="%Y-%m-%d")
            for dt in sorted(pc.unique(day).to_pylist()):
                self._write((record_type, dt), table.filter(pc.equal(day, dt)))
        self._pending.clear()
        self._buffered = 0

    def _path(self, key: tuple[str, str]) -> str:
        return os.path.join(self.workdir, f"{key[0]}.{key[1]}.parquet")

    def _write(self, key: tuple[str, str], table: pa.Table) -> None:
        if key not in self._writers:
            self._writers[key] = pq.ParquetWriter(self._path(key), self.schemas[key[0]], compression="snappy")
        self._writers[key].write_table(table, row_group_size=max(table.num_rows, 1))
        self.rows[key] = self.rows.get(key, 0) + table.num_rows

    def close(self) -> dict[tuple[str, str], str]:
        self.flush()
        for writer in self._writers.values():
            writer.close()
        return {key: self._path(key) for key in self._writers}


def put_file(s3: Any, path: str, bucket: str, key: str) -> int:
    """Upload a local file (one PutObject up to SINGLE_PUT_MAX_BYTES); returns its size."""
    size = os.path.getsize(path)
    if size <= SINGLE_PUT_MAX_BYTES:
        with open(path, "rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    else:
        s3.upload_file(path, bucket, key)
    return size


def quarantine_entry(unit: WorkUnit, rejection: Rejection) -> dict[str, Any]:
    raw = rejection.raw[:RAW_LIMIT]
    return {
        "source": {
            "bucket": unit.bucket,
            "key": unit.key,
            "etag": unit.etag,
            "version": unit.version,
            "line": rejection.line,
        },
        "record_type": rejection.record_type,
        "reason": rejection.reason,
        "raw": raw.decode("utf-8", errors="backslashreplace"),
        "raw_truncated": len(rejection.raw) > RAW_LIMIT,
        "dataset": unit.dataset,
        "unit": {"index": unit.index, "count": unit.count, "start": unit.start, "end": unit.end},
        "planned_at": unit.planned_at,
    }


#: Characters ``str.splitlines`` breaks lines at that JSON leaves unescaped: escaped in
#: quarantine files so a reader that splits decoded text still sees one entry per line.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def entry_line(entry: dict[str, Any]) -> bytes:
    text = json.dumps(entry, ensure_ascii=False).translate(_LINE_BREAKS) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (say, in record_type): written as a \u escape
        return (json.dumps(entry) + "\n").encode("ascii")


def quarantine_object_key(settings: TransformSettings, dataset: str, batch_id: str) -> str:
    """A batch's quarantine key for one dataset, within S3's 1,024-byte limit: the dataset label
    is the bronze key's first segment and can itself be nearly 1,024 bytes, so a long one is cut
    and made unique again with a hash (the entries name the full source key)."""
    key = quarantine_key(settings.quarantine_prefix, dataset, batch_id)
    if len(key.encode("utf-8", "surrogatepass")) <= S3_MAX_KEY_BYTES:
        return key
    digest = hashlib.sha256(dataset.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    room = S3_MAX_KEY_BYTES - len(quarantine_key(settings.quarantine_prefix, "", batch_id)) - len(digest) - 1
    label = dataset.encode("utf-8", "surrogatepass")[: max(room, 0)].decode("utf-8", "ignore")
    return quarantine_key(settings.quarantine_prefix, f"{label}~{digest}", batch_id)


# ---- one unit -----------------------------------------------------------------------------


def source_context(unit: WorkUnit, settings: TransformSettings) -> SourceContext:
    ingested_at = datetime.fromisoformat(unit.planned_at)
    event_time_max = None
    if unit.object_time:
        written = datetime.fromisoformat(unit.object_time.replace("Z", "+00:00"))
        event_time_max = written + timedelta(seconds=settings.event_time_max_future_seconds)
    return SourceContext(
        bucket=unit.bucket,
        key=unit.key,
        etag=unit.etag,
        ingested_at=ingested_at,
        event_time_min=datetime.combine(date.fromisoformat(settings.event_time_min), datetime.min.time(), UTC),
        event_time_max=event_time_max,
        max_line_bytes=settings.max_line_bytes,
        version=unit.version,
    )


def silver_key(settings: TransformSettings, record_type: str, dt: str, batch_id: str) -> str:
    return SilverFile(record_type, dt, batch_id).key(settings.silver_prefix)


@dataclass
class UnitResult:
    rows: int = 0
    quarantined: int = 0
    blank_lines: int = 0
    fast_path_blocks: int = 0
    slow_path_blocks: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _UnitRun:
    """Validating one unit: its rows are staged here and handed to the batch's writers only when
    the unit succeeds, so a unit that fails leaves nothing in the batch — unless it is large
    enough to have spilled a row group already (``spilled``), and then its batch fails too."""

    unit: WorkUnit
    settings: TransformSettings
    validator: Validator
    ctx: SourceContext
    writers: BatchWriters
    result: UnitResult = field(default_factory=UnitResult)
    rejections: list[Rejection] = field(default_factory=list)
    staged: dict[str, list[pa.Table]] = field(default_factory=dict)
    staged_rows: int = 0
    spilled: bool = False
    bom_stripped: bool = False

    def take(self, parsed: ParsedBlock) -> None:
        for record_type, tables in parsed.tables.items():
            self.staged.setdefault(record_type, []).extend(tables)
        self.staged_rows += parsed.rows
        self.result.rows += parsed.rows
        self.rejections.extend(parsed.rejections)
        self.result.blank_lines += parsed.blank_lines
        if parsed.fast_path:
            self.result.fast_path_blocks += 1
        else:
            self.result.slow_path_blocks += 1
        if self.staged_rows >= self.settings.row_group_rows:
            self.hand_over()
            self.spilled = True

    def hand_over(self) -> None:
        self.writers.add(self.staged)
        self.staged, self.staged_rows = {}, 0

    def reject(self, line: int | None, reason: str, raw: bytes = b"") -> None:
        self.rejections.append(Rejection(line, None, reason, raw))

    def validate(self, s3: Any) -> int:
        """Feed the unit's content to the validator; returns the number of physical lines seen."""
        unit, settings = self.unit, self.settings
        if unit.size > settings.max_object_bytes:
            self.reject(
                None, f"object is {unit.size} bytes, over the MAX_OBJECT_BYTES limit of {settings.max_object_bytes}"
            )
            return 0 if unit.line_count is None else unit.line_count
        chunks: Iterator[bytes] = read_unit(s3, unit)
        if unit.compression == "gzip":
            chunks = gunzip(chunks, settings.max_decompressed_bytes)
        if unit.start == 0:
            chunks = strip_bom(chunks, self)
        return self._validate_document(chunks) if unit.format == "json" else self._validate_lines(chunks)

    def _validate_lines(self, chunks: Iterator[bytes]) -> int:
        first_line, settings = self.unit.first_line, self.settings
        lines = 0
        for item in line_blocks(chunks, settings.parse_block_bytes, settings.max_line_bytes):
            if isinstance(item, OversizedLine):
                reason = f"line is {item.length} bytes, over the MAX_LINE_BYTES limit of {settings.max_line_bytes}"
                self.reject(first_line + item.line_offset, reason, item.prefix)
                lines = item.line_offset + 1
            elif isinstance(item, DamagedTail):
                line = None if item.line_offset is None else first_line + item.line_offset
                self.reject(line, f"{item.reason}; content from here on was not read", item.prefix)
                lines = 0 if item.line_offset is None else item.line_offset + 1
            else:
                offset, block = item
                self.take(self.validator.parse_block(block, first_line + offset, self.ctx))
                lines = offset + physical_line_count(block)
        if not lines and self.bom_stripped:
            self.result.blank_lines += 1  # the object was a BOM alone: one line, blank once it is dropped
            lines = 1
        return lines

    def _validate_document(self, chunks: Iterator[bytes]) -> int:
        """A ``.json`` object: one JSON array of records, one record, or (mislabelled) JSON Lines."""
        limit = self.settings.max_json_document_bytes
        data = bytearray()
        try:
            for chunk in chunks:
                data += chunk
                if len(data) > limit:
                    reason = f"JSON document exceeds MAX_JSON_DOCUMENT_BYTES ({limit}); write JSON Lines instead"
                    self.reject(None, reason, bytes(data[:RAW_LIMIT]))
                    return 0
        except ContentError as exc:  # a .json.gz that does not decompress: the document is lost whole
            self.reject(None, f"{exc}; the document was not read", bytes(data[:RAW_LIMIT]))
            return 0
        raw = bytes(data)
        try:
            document = loads_strict(raw)  # as strict as a JSON Lines line
        except (ValueError, RecursionError) as exc:
            stripped = raw.strip()
            if stripped.startswith(b"{") and b"\n" in stripped:
                self.take(self.validator.parse_block(raw, 1, self.ctx))  # JSON Lines in a .json file
                return physical_line_count(raw)
            self.reject(None, f"document is not valid JSON: {exc}", raw)
            return 0
        items = document if isinstance(document, list) else [document]
        parsed = ParsedBlock()
        rows: dict[str, list[dict[str, Any]]] = {}
        for position, obj in enumerate(items, start=1):
            # surrogatepass: a lone \ud800 escape is valid JSON; its element is judged, not fatal
            element_raw = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
            outcome = self.validator.validate_object(obj, position, element_raw, self.ctx)
            if isinstance(outcome, Rejection):
                parsed.rejections.append(outcome)
            else:
                rows.setdefault(outcome[0], []).append(outcome[1])
        self.validator.rows_to_tables(rows, parsed)
        self.take(parsed)
        return len(items)


def validate_unit(
    unit: WorkUnit, *, s3: Any, settings: TransformSettings, validator: Validator, writers: BatchWriters
) -> tuple[UnitResult, list[bytes]]:
    """Validate one unit into the batch's writers; returns its counters and quarantine lines.

    Raises ``UnitReadError`` when the bytes cannot be read as planned; if the unit had spilled
    rows into the writers by then, the error is wrapped in ``BatchSpoiled`` (the batch must not
    be committed)."""
    run = _UnitRun(unit, settings, validator, source_context(unit, settings), writers)
    try:
        lines_seen = run.validate(s3)
        if unit.line_count is not None and lines_seen != unit.line_count:
            raise UnitReadError(
                f"{unit.source_uri} bytes {unit.start}-{unit.end}: read {lines_seen} lines, planned {unit.line_count}"
            )
    except Exception as exc:
        if run.spilled:
            raise BatchSpoiled(f"{unit.source_uri}: failed after part of its rows were written: {exc}") from exc
        raise
    run.hand_over()
    run.result.quarantined = len(run.rejections)
    return run.result, [entry_line(quarantine_entry(unit, r)) for r in run.rejections]


#: Whole, uncompressed JSON Lines objects up to this size are read whole and validated together
#: (``Validator.parse_segments``): one columnar pass per ``PARSE_BLOCK_BYTES`` of small objects
#: instead of one per object, which is most of the cost of many small objects. Larger units
#: stream through ``validate_unit``.
SHARED_PARSE_MAX_BYTES = 1024 * 1024


def shares_parse(unit: WorkUnit, settings: TransformSettings) -> bool:
    """Whether a unit is read whole and validated together with others. Not larger than
    ``MAX_LINE_BYTES`` either, so none of its lines can be oversized."""
    small = unit.size <= min(SHARED_PARSE_MAX_BYTES, settings.max_line_bytes, settings.max_object_bytes)
    return unit.format == "jsonl" and unit.compression is None and unit.whole_object and small


def validate_small_units(
    units: list[WorkUnit],
    *,
    s3: Any,
    settings: TransformSettings,
    validator: Validator,
    writers: BatchWriters,
    counts: UnitResult,
    quarantine: dict[str, list[bytes]],
) -> dict[int, UnitReadError]:
    """Validate small whole objects (``shares_parse``) in shared blocks into the batch's writers,
    adding to ``counts`` and ``quarantine`` (dataset → entry lines). Returns the units that could
    not be read (by index); they add nothing."""
    failed: dict[int, UnitReadError] = {}
    group: list[tuple[WorkUnit, bytes]] = []

    def validate_group() -> None:
        parsed = validator.parse_segments([(body, 1, source_context(u, settings)) for u, body in group])
        writers.add(parsed.tables)
        counts.rows += parsed.rows
        counts.blank_lines += parsed.blank_lines
        counts.quarantined += len(parsed.rejections)
        counts.fast_path_blocks += parsed.fast_path
        counts.slow_path_blocks += not parsed.fast_path
        for rejection in parsed.rejections:
            unit = group[rejection.segment][0]
            quarantine.setdefault(unit.dataset, []).append(entry_line(quarantine_entry(unit, rejection)))
        group.clear()

    for index, unit in enumerate(units):
        seen = SimpleNamespace(bom_stripped=False)
        try:
            body = b"".join(strip_bom(read_unit(s3, unit), seen))
        except UnitReadError as exc:
            failed[index] = exc
            continue
        if not body and seen.bom_stripped:
            counts.blank_lines += 1  # the object was a BOM alone: one line, blank once it is dropped
        group.append((unit, body))
        if sum(len(b) for _, b in group) >= settings.parse_block_bytes:
            validate_group()
    if group:
        validate_group()
    return failed


class BatchSpoiled(RuntimeError):
    """A unit failed after handing rows to the batch's writers: the whole batch must be retried."""
