"""Work units: what ingest plans and sends to SQS as claim-check messages, and transform reads.

A unit is a pointer to bytes, never the bytes: bucket, key, object version (etag and, when the
bucket is versioned, version id), a line-aligned byte range, the number of its first line, and
its place among the object's units. Which transform batch holds a unit's rows is recorded by the
commit protocol (``elt/ledger.py``), so a redelivered unit is recognised and skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from elt.layout import OutputName, object_id

MESSAGE_VERSION = 1
Format = Literal["jsonl", "json"]


class MessageError(ValueError):
    """A queue message is not a valid work unit (poison: it fails and ends in the DLQ)."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int  # exclusive
    first_line: int
    line_count: int | None  # None: not counted (small objects are not read by ingest)


@dataclass(frozen=True)
class WorkUnit:
    bucket: str
    key: str
    etag: str
    version_id: str | None
    size: int
    dataset: str
    format: Format
    compression: Literal["gzip"] | None
    index: int
    count: int
    start: int
    end: int
    first_line: int
    line_count: int | None
    object_time: str | None
    planned_at: str
    #: Set by an ops replay (its run name): the unit's rows replace the rows silver holds for it.
    replay: str | None = None

    @property
    def source_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def version(self) -> str:
        """The object version the unit reads: its VersionId on a versioned bucket, else its ETag."""
        return self.version_id or self.etag

    @property
    def last_line(self) -> int | None:
        """The unit's last physical line (None: to the end of the object, or not counted)."""
        return None if self.line_count is None else self.first_line + self.line_count - 1

    @property
    def object_id(self) -> str:
        return object_id(self.bucket, self.key, self.etag)

    @property
    def output_name(self) -> OutputName:
        """Base name of every file this unit writes: object version + byte range."""
        return OutputName(self.object_id, self.start, self.end)

    @property
    def whole_object(self) -> bool:
        return self.start == 0 and self.end == self.size

    def to_message(self) -> str:
        return json.dumps({"v": MESSAGE_VERSION, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_message(cls, body: str) -> WorkUnit:
        try:
            payload: dict[str, Any] = json.loads(body)
            version = payload.pop("v")
        except (json.JSONDecodeError, AttributeError, KeyError, TypeError) as exc:
            raise MessageError(f"not a work-unit message: {body[:200]!r}") from exc
        if version != MESSAGE_VERSION:
            raise MessageError(f"unsupported work-unit message version {version!r}")
        try:
            unit = cls(**payload)
        except TypeError as exc:
            raise MessageError(f"work-unit message fields do not match: {exc}") from exc
        if not (0 <= unit.start <= unit.end <= unit.size) or not (0 <= unit.index < unit.count):
            raise MessageError(f"work-unit range or index out of bounds: {body[:200]!r}")
        return unit


def detect_format(key: str) -> tuple[Format, Literal["gzip"] | None]:
    """``.gz`` means gzip; ``.json`` a JSON document (array or object); anything else JSON Lines."""
    name = key.lower()
    compression: Literal["gzip"] | None = None
    if name.endswith(".gz"):
        compression, name = "gzip", name[:-3]
    return ("json" if name.endswith(".json") else "jsonl"), compression


def dataset_of(key: str, bronze_prefix: str) -> str:
    """The first path segment under the bronze prefix (``bronze/<dataset>/...``), a label only.
    A replay copy (``bronze/replay/<run>/<original key>``) is labelled like its original."""
    rest = key[len(bronze_prefix) :] if key.startswith(bronze_prefix) else key
    replayed = rest.split("/", 2)
    if len(replayed) == 3 and replayed[0] == "replay" and replayed[2].startswith(bronze_prefix):
        return dataset_of(replayed[2], bronze_prefix)
    head, sep, _ = rest.partition("/")
    return head if sep and head else "_root"


def line_aligned_spans(chunks: Iterable[bytes], target: int) -> list[Span]:
    """Cut a stream into spans of about ``target`` bytes that end just after a newline.

    Memory is one chunk; lines are counted on the way so each span knows its first line number.
    A span ends at the first newline at or after ``start + target`` (so a line is never split and
    a span is never empty); the last span ends at the end of the stream.
    """
    spans: list[Span] = []
    pos = 0  # offset of the current chunk
    unit_start, unit_first_line, unit_lines = 0, 1, 0
    last_byte = b""
    for chunk in chunks:
        if not chunk:
            continue
        seg = 0  # where counting resumes inside this chunk
        while True:
            search_from = max(unit_start + target - pos, seg)
            nl = chunk.find(b"\n", search_from) if search_from < len(chunk) else -1
            if nl < 0:
                unit_lines += chunk.count(b"\n", seg)
                break
            unit_lines += chunk.count(b"\n", seg, nl + 1)
            end = pos + nl + 1
            spans.append(Span(unit_start, end, unit_first_line, unit_lines))
            unit_start, unit_first_line, unit_lines = end, unit_first_line + unit_lines, 0
            seg = nl + 1
        pos += len(chunk)
        last_byte = chunk[-1:]
    if pos > unit_start:
        partial_last_line = 1 if last_byte != b"\n" else 0
        spans.append(Span(unit_start, pos, unit_first_line, unit_lines + partial_last_line))
    return spans
