"""Parse and validate JSON records against the dataset contracts.

Two paths, one verdict:

* the **per-line path** (``Validator.validate_line``) is the ground truth: JSON parse, contract
  model, time window; every rejection gets a precise reason;
* the **columnar fast path** parses a whole block with Arrow's NDJSON reader and checks the rules
  derived from the same models as vectorized expressions. Rows it cannot accept are re-checked
  one by one on the per-line path, and a block Arrow cannot read at all (a malformed line, a
  wrong JSON type, a duplicate key) or might read differently (see ``_fast_path_can_read``) is
  handed to the per-line path whole.

So clean data runs at Arrow speed and dirty data still gets per-record reasons; a property test
checks both paths agree on arbitrary records.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from pydantic import ValidationError

from elt.contracts import CONTRACTS, RecordContract
from elt.contracts.base import ISO_DATETIME_PATTERN, ZONE_SUFFIX_PATTERN
from elt.contracts.spec import FieldSpec, field_specs

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "timestamp": UTC_TIMESTAMP,
}
LINEAGE_FIELDS = [
    pa.field("_source_uri", pa.string(), nullable=False),
    #: The source object version: its S3 VersionId on a versioned bucket, else its ETag.
    pa.field("_source_version", pa.string(), nullable=False),
    pa.field("_source_line", pa.int64(), nullable=True),
    pa.field("_ingested_at", UTC_TIMESTAMP, nullable=False),
]
_PLACEHOLDER_TIME = "2000-01-01T00:00:00Z"
#: A line with more opening brackets than this goes to the per-line path, whose parser has a
#: nesting limit (Arrow's has none): both paths must give a line the same verdict.
MAX_FAST_PATH_BRACKETS = 256
#: Blank lines are empty or JSON whitespace only (what ``json.loads`` skips around a value).
JSON_WHITESPACE = b" \t\r"
#: Bytes the per-line path rejects and Arrow's reader accepts when they sit in a field the
#: contract ignores: NaN/Infinity, integers longer than Python converts (``int`` refuses more
#: than ``sys.get_int_max_str_digits()`` digits), a UTF-8 BOM. A block holding one is read line
#: by line; in a string value they are harmless, only slower. Substring tests, not one regex over
#: the block: a regex alternation scans every byte in Python's engine (about 3x the cost of Arrow's
#: whole parse), ``bytes.__contains__`` runs at memory speed.
_RISKY_TOKENS = (b"NaN", b"Infinity", b"\xef\xbb\xbf")
_MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
_LONG_INTEGER = re.compile(rb"[0-9]{%d}" % _MAX_INT_DIGITS)


def arrow_schema(model: type[RecordContract]) -> pa.Schema:
    """Silver Parquet schema of a dataset: contract columns then lineage columns."""
    return pa.schema(
        [pa.field(s.name, ARROW_TYPES[s.kind], nullable=not s.required) for s in field_specs(model)] + LINEAGE_FIELDS
    )


@dataclass(frozen=True)
class SourceContext:
    """Where records come from and the unit-level rules (deterministic for a given unit)."""

    bucket: str
    key: str
    etag: str
    ingested_at: datetime
    event_time_min: datetime
    event_time_max: datetime | None
    max_line_bytes: int
    version: str = ""  # the object version id, or the etag on an unversioned bucket (default: etag)

    def __post_init__(self) -> None:
        if not self.version:
            object.__setattr__(self, "version", self.etag)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Rejection:
    line: int | None
    record_type: str | None
    reason: str
    raw: bytes
    segment: int = 0  # which source of a shared block (``Validator.parse_segments``) it came from


@dataclass
class ParsedBlock:
    tables: dict[str, list[pa.Table]] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    blank_lines: int = 0
    fast_path: bool = False

    def add_table(self, record_type: str, table: pa.Table) -> None:
        if table.num_rows:
            self.tables.setdefault(record_type, []).append(table)

    @property
    def rows(self) -> int:
        return sum(t.num_rows for ts in self.tables.values() for t in ts)


class _DuplicateKey(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _DuplicateKey(f"duplicate key {dup!r}")
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (non-finite numbers are not allowed)")


def loads_strict(text: str | bytes) -> Any:
    """``json.loads`` that rejects duplicate keys and NaN/Infinity (ValueError), for lines and
    ``.json`` documents alike. Bytes must be UTF-8 (``json.loads`` would guess UTF-16/32)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant)


def _format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        if err["type"] == "missing":
            parts.append(f"{loc}: required field is missing")
            continue
        got = repr(err.get("input"))
        parts.append(f"{loc}: {err['msg']} (got {got[:80]})")
    return "; ".join(parts)


class Validator:
    """Validation for a set of contracts; build once per process (it precomputes schemas)."""

    def __init__(self, contracts: dict[str, type[RecordContract]] | None = None) -> None:
        self.contracts = dict(CONTRACTS if contracts is None else contracts)
        self.specs: dict[str, list[FieldSpec]] = {rt: field_specs(m) for rt, m in self.contracts.items()}
        self.schemas: dict[str, pa.Schema] = {rt: arrow_schema(m) for rt, m in self.contracts.items()}
        self._parse_options = self._union_parse_options()

    def _union_parse_options(self) -> pj.ParseOptions | None:
        """Arrow parse schema over all datasets' fields (event_time as text, parsed afterwards).

        If two datasets disagree on a field's type the fast path is disabled (None): the
        per-line path still validates each record against its own contract.
        """
        types: dict[str, pa.DataType] = {}
        for specs in self.specs.values():
            for s in specs:
                t = pa.string() if s.kind == "timestamp" else ARROW_TYPES[s.kind]
                if types.setdefault(s.name, t) != t:
                    return None
        # "infer", not "ignore": Arrow reports a duplicate key only in a field it builds a column
        # for, and the per-line path rejects duplicates in any field. Fields of other types across
        # rows make Arrow fail the block, which then goes to the per-line path.
        return pj.ParseOptions(
            explicit_schema=pa.schema(list(types.items())),
            unexpected_field_behavior="infer",
            newlines_in_values=False,
        )

    # ---- per-line path -------------------------------------------------------------------

    def validate_line(
        self, raw: bytes, line: int | None, ctx: SourceContext
    ) -> tuple[str, dict[str, Any]] | Rejection | None:
        """Validate one line. Returns (record_type, row) or a Rejection; None for a blank line."""
        if len(raw) > ctx.max_line_bytes:
            return Rejection(
                line, None, f"line is {len(raw)} bytes, over the MAX_LINE_BYTES limit of {ctx.max_line_bytes}", raw
            )
        if not raw.strip(JSON_WHITESPACE):
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejection(line, None, f"invalid UTF-8 at byte {exc.start}: {exc.reason}", raw)
        try:
            obj = loads_strict(text)
        except json.JSONDecodeError as exc:
            return Rejection(line, None, f"invalid JSON: {exc.msg} at column {exc.colno}", raw)
        except RecursionError:
            return Rejection(line, None, "invalid JSON: nested too deeply", raw)
        except ValueError as exc:  # duplicate keys, NaN/Infinity, integers too long to convert
            return Rejection(line, None, f"invalid JSON: {exc}", raw)
        return self.validate_object(obj, line, raw, ctx)

    def validate_object(
        self, obj: Any, line: int | None, raw: bytes, ctx: SourceContext
    ) -> tuple[str, dict[str, Any]] | Rejection:
        if not isinstance(obj, dict):
            return Rejection(
                line,
                None,
                f"JSON value is {type(obj).__name__ if obj is not None else 'null'}, expected an object",
                raw,
            )
        record_type = obj.get("record_type")
        if record_type is None:
            return Rejection(line, None, "record_type: required field is missing", raw)
        if not isinstance(record_type, str):
            return Rejection(line, None, f"record_type: must be a string (got {record_type!r:.80})", raw)
        model = self.contracts.get(record_type)
        if model is None:
            known = ", ".join(sorted(self.contracts))
            return Rejection(line, record_type, f"unknown record_type {record_type!r:.80} (known: {known})", raw)
        try:
            record = model.model_validate(obj)
        except ValidationError as exc:
            return Rejection(line, record_type, _format_validation_error(exc), raw)
        except Exception as exc:  # containment: whatever one record raises must not fail its unit
            return Rejection(line, record_type, f"record cannot be validated: {type(exc).__name__}: {exc}", raw)
        event_time: datetime = record.event_time
        window_error = self._window_error(event_time, ctx)
        if window_error:
            return Rejection(line, record_type, window_error, raw)
        row = record.model_dump()
        row.update(_source_uri=ctx.uri, _source_version=ctx.version, _source_line=line, _ingested_at=ctx.ingested_at)
        return record_type, row

    @staticmethod
    def _window_error(event_time: datetime, ctx: SourceContext) -> str | None:
        if event_time < ctx.event_time_min:
            return f"event_time {event_time.isoformat()} is before EVENT_TIME_MIN {ctx.event_time_min.isoformat()}"
        if ctx.event_time_max is not None and event_time > ctx.event_time_max:
            return (
                f"event_time {event_time.isoformat()} is after {ctx.event_time_max.isoformat()}"
                " (later than the object's write time plus EVENT_TIME_MAX_FUTURE_SECONDS)"
            )
        return None

    def rows_to_tables(self, rows: dict[str, list[dict[str, Any]]], into: ParsedBlock) -> None:
        for record_type, items in rows.items():
            into.add_table(record_type, pa.Table.from_pylist(items, schema=self.schemas[record_type]))

    def parse_lines(self, block: bytes, first_line: int, ctx: SourceContext) -> ParsedBlock:
        """The per-line path over a whole block."""
        result = ParsedBlock()
        rows: dict[str, list[dict[str, Any]]] = {}
        lines = block.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()  # the terminating newline does not start a line
        for offset, raw in enumerate(lines):
            outcome = self.validate_line(raw, first_line + offset, ctx)
            if outcome is None:
                result.blank_lines += 1
            elif isinstance(outcome, Rejection):
                result.rejections.append(outcome)
            else:
                rows.setdefault(outcome[0], []).append(outcome[1])
        self.rows_to_tables(rows, result)
        return result

    # ---- columnar fast path --------------------------------------------------------------

    def parse_block(self, block: bytes, first_line: int, ctx: SourceContext) -> ParsedBlock:
        """Validate a block of complete lines (the last one may lack its newline)."""
        fast = self._parse_block_fast(block, Lineage([Segment(ctx, first_line, physical_line_count(block))]))
        return fast if fast is not None else self.parse_lines(block, first_line, ctx)

    def parse_segments(self, segments: list[tuple[bytes, int, SourceContext]]) -> ParsedBlock:
        """Validate several sources' blocks (each whole lines, from its ``first_line``) in one
        columnar pass: many small objects cost one parse, not one each. A line's verdict is the
        one ``parse_block`` gives it alone — the shared pass only changes where rows come from,
        and a group the fast path cannot read goes back to one ``parse_block`` per source.
        Rejections carry their source's index in ``segment``."""
        blocks = [b if b.endswith(b"\n") or not b else b + b"\n" for b, _, _ in segments]
        lineage = Lineage(
            [Segment(ctx, first, physical_line_count(b)) for b, (_, first, ctx) in zip(blocks, segments, strict=True)]
        )
        fast = self._parse_block_fast(b"".join(blocks), lineage) if len(segments) > 1 else None
        if fast is not None:
            return fast
        merged = ParsedBlock()
        for index, (block, first_line, ctx) in enumerate(segments):
            parsed = self.parse_block(block, first_line, ctx)
            for record_type, tables in parsed.tables.items():
                merged.tables.setdefault(record_type, []).extend(tables)
            merged.rejections += [replace(r, segment=index) for r in parsed.rejections]
            merged.blank_lines += parsed.blank_lines
            merged.fast_path = merged.fast_path or parsed.fast_path
        return merged

    def _parse_block_fast(self, block: bytes, lineage: Lineage) -> ParsedBlock | None:
        if self._parse_options is None or not block:
            return None
        starts, ends = _line_bounds(block)
        if not _fast_path_can_read(block, starts, ends, lineage.max_line_bytes):
            return None
        try:
            table = pj.read_json(
                pa.BufferReader(block),
                read_options=pj.ReadOptions(block_size=max(4 << 20, 2 * lineage.max_line_bytes)),
                parse_options=self._parse_options,
            )
            times, time_ok = _parse_times(table.column("event_time"))
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return None
        if table.num_rows != len(starts) or table.num_rows != lineage.rows:
            return None  # e.g. two JSON objects on one line
        window_ok = pc.greater_equal(times, pa.scalar(lineage.event_time_min, UTC_TIMESTAMP))
        window_ok = pc.and_(window_ok, pc.fill_null(pc.less_equal(times, lineage.event_time_max()), True))
        base_ok = pc.and_(time_ok, window_ok)
        record_types = table.column("record_type")
        accepted = pa.repeat(False, table.num_rows)
        result = ParsedBlock(fast_path=True)
        for record_type, specs in self.specs.items():
            ok = pc.and_(pc.fill_null(pc.equal(record_types, record_type), False), base_ok)
            for spec in specs[2:]:  # record_type and event_time are checked above
                ok = pc.and_(ok, _rule_mask(table.column(spec.name), spec))
            accepted = pc.or_(accepted, ok)
            if not pc.any(ok).as_py():
                continue
            sub = table.filter(ok)
            columns = [sub.column("record_type"), times.filter(ok)]
            columns += [sub.column(s.name) for s in specs[2:]]
            columns += lineage.columns(ok)
            result.add_table(record_type, pa.Table.from_arrays(columns, schema=self.schemas[record_type]))
        rejected = pc.indices_nonzero(pc.invert(accepted)).to_pylist()
        if rejected:
            self._recheck_lines(block, starts, ends, rejected, lineage, result)
        return result

    def _recheck_lines(
        self,
        block: bytes,
        starts: pa.Array,
        ends: pa.Array,
        indices: list[int],
        lineage: Lineage,
        result: ParsedBlock,
    ) -> None:
        """Lines the vectorized rules did not accept, judged on the per-line path (which gives the reason)."""
        rows: dict[str, list[dict[str, Any]]] = {}
        for i in indices:
            segment, line = lineage.locate(i)
            ctx = lineage.segments[segment].ctx
            outcome = self.validate_line(block[starts[i].as_py() : ends[i].as_py()], line, ctx)
            if isinstance(outcome, Rejection):
                result.rejections.append(replace(outcome, segment=segment))
            elif outcome is not None:
                rows.setdefault(outcome[0], []).append(outcome[1])
        self.rows_to_tables(rows, result)


@dataclass(frozen=True)
class Segment:
    """One source's lines in a shared block: its context, first line number and line count."""

    ctx: SourceContext
    first_line: int
    lines: int


class Lineage:
    """Which source and line each row of a shared block comes from, as Arrow columns."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.offsets = [0]
        for segment in segments:
            self.offsets.append(self.offsets[-1] + segment.lines)
        self.rows = self.offsets[-1]
        self.max_line_bytes = max(s.ctx.max_line_bytes for s in segments)
        self.event_time_min = max(s.ctx.event_time_min for s in segments)  # one setting: all equal

    def _per_row(self, values: list[Any], kind: pa.DataType) -> pa.Array:
        """One value per segment, repeated for each of its rows (a run-end decode)."""
        if len(self.segments) == 1:
            return pa.repeat(pa.scalar(values[0], kind), self.rows)
        runs = [(end, v) for end, v, s in zip(self.offsets[1:], values, self.segments, strict=True) if s.lines]
        encoded = pa.RunEndEncodedArray.from_arrays(
            pa.array([end for end, _ in runs], pa.int64()), pa.array([v for _, v in runs], kind)
        )
        return pc.run_end_decode(encoded)

    def event_time_max(self) -> pa.Array:
        return self._per_row([s.ctx.event_time_max for s in self.segments], UTC_TIMESTAMP)

    @functools.cached_property
    def _decoded(self) -> list[pa.Array]:
        """The lineage columns of every row, decoded once: a block shared by several record types
        is masked once per type."""
        first = self._per_row(
            [s.first_line - o for s, o in zip(self.segments, self.offsets[:-1], strict=True)], pa.int64()
        )
        lines = pc.add(first, pc.subtract(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), self.rows)), 1))
        return [
            self._per_row([s.ctx.uri for s in self.segments], pa.string()),
            self._per_row([s.ctx.version for s in self.segments], pa.string()),
            lines,
            self._per_row([s.ctx.ingested_at for s in self.segments], UTC_TIMESTAMP),
        ]

    def columns(self, mask: pa.Array) -> list[pa.Array]:
        """The lineage columns (_source_uri, _source_version, _source_line, _ingested_at) of the
        rows ``mask`` selects."""
        return [column.filter(mask) for column in self._decoded]

    def locate(self, row: int) -> tuple[int, int]:
        """(segment index, line number) of a row of the shared block."""
        segment = bisect.bisect_right(self.offsets, row) - 1
        return segment, self.segments[segment].first_line + row - self.offsets[segment]


def physical_line_count(block: bytes) -> int:
    """Lines in ``block``: its newlines, plus a last line without one."""
    return block.count(b"\n") + (0 if not block or block.endswith(b"\n") else 1)


def _fast_path_can_read(block: bytes, starts: pa.Array, ends: pa.Array, max_line_bytes: int) -> bool:
    """Whether Arrow's reader sees exactly the lines the per-line path sees and judges them alike;
    if not, the block goes to the per-line path whole.

    Arrow's row count alone proves nothing: a line with two objects gives two rows and a blank
    line none, so rows can match lines in number but not one to one. A line that starts with
    ``{`` and ends with ``}`` (CR allowed) gives at least one row and cannot continue into the
    next line (a string cannot span a newline; after ``}`` a ``{`` is a syntax error), so with
    such lines only, equal counts mean row *i* is line *i*.
    """
    lengths = pc.subtract(ends, starts)
    if pc.max(lengths).as_py() > max_line_bytes or not _lines_are_single_objects(block, starts, ends):
        return False
    if _has_risky_bytes(block, starts, ends, lengths):
        return False
    if not _is_utf8(block):
        return False  # Arrow's JSON reader does not validate UTF-8; the per-line path rejects it
    deep = pc.indices_nonzero(pc.greater(lengths, MAX_FAST_PATH_BRACKETS)).to_pylist()
    # maybe nested deeper than the per-line parser goes: its verdict decides
    return not any(_brackets(block, starts[i].as_py(), ends[i].as_py()) > MAX_FAST_PATH_BRACKETS for i in deep)


def _has_risky_bytes(block: bytes, starts: pa.Array, ends: pa.Array, lengths: pa.Array) -> bool:
    """Whether the block holds a token of ``_RISKY_TOKENS`` or a digit run too long for ``int``
    (only a line at least that long can hold one: digits never span a newline)."""
    if any(token in block for token in _RISKY_TOKENS):
        return True
    long_lines = pc.indices_nonzero(pc.greater_equal(lengths, _MAX_INT_DIGITS)).to_pylist()
    return any(_LONG_INTEGER.search(block, starts[i].as_py(), ends[i].as_py()) for i in long_lines)


def _lines_are_single_objects(block: bytes, starts: pa.Array, ends: pa.Array) -> bool:
    """Every line's first byte is ``{`` and its last (before an optional CR) is ``}``."""
    data = pa.Array.from_buffers(pa.uint8(), len(block), [None, pa.py_buffer(block)])
    if pc.any(pc.equal(starts, ends)).as_py():
        return False  # an empty line
    if not pc.all(pc.equal(pc.take(data, starts), ord("{"))).as_py():
        return False
    last = pc.take(data, pc.subtract(ends, 1))
    carriage = pc.equal(last, ord("\r"))
    if pc.any(carriage).as_py():
        before = pc.subtract(ends, pc.if_else(carriage, 2, 1))
        if pc.any(pc.less(before, starts)).as_py():
            return False  # a line that is just CR
        last = pc.take(data, before)
    return bool(pc.all(pc.equal(last, ord("}"))).as_py())


def _is_utf8(block: bytes) -> bool:
    """Whether ``block`` is valid UTF-8 (checked by Arrow in place, without decoding a copy)."""
    offsets = pa.array([0, len(block)], pa.int64()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(block)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _brackets(block: bytes, start: int, end: int) -> int:
    """Opening brackets in ``block[start:end]`` (a line): an upper bound of its nesting depth."""
    return block.count(b"[", start, end) + block.count(b"{", start, end)


def _line_bounds(block: bytes) -> tuple[pa.Array, pa.Array]:
    """Start and end (exclusive, without the newline) offsets of every line in ``block``."""
    data = pa.Array.from_buffers(pa.uint8(), len(block), [None, pa.py_buffer(block)])
    # A uint8 scalar: an untyped 10 would make Arrow widen all the block's bytes to int64 first.
    newlines = pc.indices_nonzero(pc.equal(data, pa.scalar(10, pa.uint8()))).cast(pa.int64())
    ends = newlines
    if not block.endswith(b"\n"):
        ends = pa.concat_arrays([newlines, pa.array([len(block)], pa.int64())])
    starts = pa.concat_arrays([pa.array([0], pa.int64()), pc.add(ends.slice(0, len(ends) - 1), 1)])
    return starts, ends


def _parse_times(text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Parse ISO-8601 strings to UTC timestamps; returns (timestamps, well-formed mask).

    Malformed values get a placeholder so the cast never fails on them; their rows are
    rejected by the mask. A value that matches the pattern but is not a real date (Feb 30)
    makes the cast raise, which sends the block to the per-line path.
    """
    well_formed = pc.fill_null(pc.match_substring_regex(text, ISO_DATETIME_PATTERN), False)
    has_zone = pc.fill_null(pc.match_substring_regex(text, ZONE_SUFFIX_PATTERN), False)
    zoned = pc.if_else(has_zone, text, pc.binary_join_element_wise(text, "Z", ""))
    safe = pc.if_else(well_formed, zoned, _PLACEHOLDER_TIME)
    return pc.cast(safe, UTC_TIMESTAMP), well_formed


def _rule_mask(column: pa.ChunkedArray, spec: FieldSpec) -> pa.ChunkedArray:
    """True where the value satisfies the spec (nulls pass unless the field is required)."""
    ok = pc.is_valid(column) if spec.required else pa.repeat(True, len(column))
    checks = []
    if spec.kind == "float":
        checks.append(pc.is_finite(column))
    for op, bound in (("greater_equal", spec.ge), ("greater", spec.gt), ("less_equal", spec.le), ("less", spec.lt)):
        if bound is not None:
            checks.append(getattr(pc, op)(column, bound))
    if spec.min_length is not None:
        checks.append(pc.greater_equal(pc.utf8_length(column), spec.min_length))
    if spec.allowed is not None:
        checks.append(pc.or_(pc.is_null(column), pc.is_in(column, pa.array(spec.allowed))))
    for check in checks:
        ok = pc.and_(ok, pc.fill_null(check, True))
    return ok
