"""Structure-aware inputs for the differential fuzzer: records near the contracts' edges, lines
mutated the ways real producers and broken pipes mutate them, whole objects in every format
the pipeline reads (JSON Lines, JSON documents, gzip of either, damaged gzip), and the settings
that cut them (unit, block and read-chunk sizes, tiny and odd included)."""

from __future__ import annotations

import gzip
import json
from typing import Any

from hypothesis import strategies as st

from elt.devkit.differential import Config

RECORD_TYPES = ["shipments", "tracking_events", "invoice_lines", "parcels", "", None, 5]
NUMBERS: list[Any] = [
    0, -0.0, -1, 1, 0.5, 2, 2.0, 100_000, 100_000.0, 100_000.000001, 1_000_000, 1_000_001, 10_000_000,
    10_000_000.5, 1e10, 1e10 + 1, 9_007_199_254_740_993, 2**63, 2**64, -(2**63) - 1, True, False, 1e308, "2.5", None,
]  # fmt: skip
TEXTS: list[Any] = ["S1", "", " ", "Oslo", "Zürich", "東京", "\ud800", "a\udc00b", "\x00", "\u2028", "é" * 40, 0, None]
STATUSES = ["DELIVERED", "IN_TRANSIT", "delivered", "LOST", "", None, 1]
FIELDS = {
    "shipment_id": st.sampled_from(TEXTS),
    "invoice_id": st.sampled_from(TEXTS),
    "origin": st.sampled_from(TEXTS),
    "destination": st.sampled_from(TEXTS),
    "carrier": st.sampled_from(TEXTS),
    "sku": st.sampled_from(TEXTS),
    "city": st.sampled_from(TEXTS),
    "status": st.sampled_from(STATUSES),
    "weight_kg": st.one_of(st.sampled_from(NUMBERS), st.floats(-1, 200_000)),
    "quantity": st.one_of(st.sampled_from(NUMBERS), st.integers(-5, 2_000_000)),
    "unit_price": st.one_of(st.sampled_from(NUMBERS), st.floats(allow_nan=False, allow_infinity=False)),
    "line_total": st.sampled_from(NUMBERS),
    "extra": st.one_of(
        st.sampled_from(TEXTS), st.sampled_from(NUMBERS), st.just({"a": [1, {"b": None}]}), st.just([1, "x"])
    ),
}


# Strategies are built once here, not inside the composites: building one per draw costs more
# than the production run it feeds.
_ODD_TIMES = st.sampled_from([None, 1_700_000_000, "2026-01-01", "yesterday", "", "2026-01-01T00:00:00Z\n"])
_YEARS = st.sampled_from([1, 1999, 2000, 2026, 2030, 9999])
_MONTHS = st.sampled_from([1, 2, 12, 13])
_DAYS = st.sampled_from([1, 2, 28, 29, 30, 31, 0])
_HOURS = st.sampled_from([0, 1, 23, 24])
_MINUTES = st.sampled_from([0, 30, 59, 60])
_SEPARATORS = st.sampled_from("T T t")
_SECONDS = st.sampled_from([None, 0, 59, 60])
_FRACTIONS = st.sampled_from(["", ".5", ".123456", ".1234567"])
_ZONES = st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+01:00", "-01:00", "+05:30", "+0530", "+23:59"])
_BAD_ZONES = st.sampled_from(["+00:60", "+24:00", "+2360", "+01", "-99:99", "+1:00"])
_DIE = {n: st.integers(0, n) for n in (1, 5, 7, 9, 15)}
_INDEX = st.integers(0, 1 << 16)
_BOOL = st.booleans()


@st.composite
def event_times(draw: st.DrawFn) -> Any:
    """ISO-8601 strings near the window (2000-01-01 … 2030-01-02) and the format's edges."""
    if draw(_DIE[9]) == 0:
        return draw(_ODD_TIMES)
    year, month, day, hour, minute = draw(_YEARS), draw(_MONTHS), draw(_DAYS), draw(_HOURS), draw(_MINUTES)
    text = f"{year:04d}-{month:02d}-{day:02d}{draw(_SEPARATORS)}{hour:02d}:{minute:02d}"
    seconds = draw(_SECONDS)
    if seconds is not None:
        text += f":{seconds:02d}" + draw(_FRACTIONS)
    return text + draw(_BAD_ZONES if draw(_DIE[5]) == 0 else _ZONES)


_EVENT_TIMES = event_times()
_RECORD_TYPES = st.sampled_from(RECORD_TYPES)
_FIELD_NAMES = st.lists(st.sampled_from(sorted(FIELDS)), max_size=6, unique=True)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if draw(_DIE[15]):
        record["record_type"] = draw(_RECORD_TYPES)
    if draw(_DIE[15]):
        record["event_time"] = draw(_EVENT_TIMES)
    for name in draw(_FIELD_NAMES):
        record[name] = draw(FIELDS[name])
    return record


def _render(record: dict[str, Any], ascii_only: bool, compact: bool) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(record, ensure_ascii=ascii_only, separators=separators).encode("utf-8", "surrogatepass")


MUTATIONS = [
    "none", "dup_key", "dup_unknown_key", "nan", "infinity", "huge_int", "two_objects", "bom", "pad", "cr",
    "flip", "insert", "delete", "truncate", "non_utf8", "indent",
]  # fmt: skip


_ODD_LINES = st.sampled_from(
    [b"", b" ", b"   ", b"\t \t  ", b"\r", b" \r", b"\x0b", b"\x0c", b"\xc2\xa0", b"\x00"]
) | st.sampled_from([b"[]", b"null", b"1", b'"s"', b"{}", b"\xef\xbb\xbf", b"{", b"}", b"{}{}"])
_RECORDS = records()
_MUTATIONS = st.sampled_from(MUTATIONS)
_BYTE = st.integers(0, 255)
_FEW_BYTES = st.binary(min_size=1, max_size=3)
_PAD = st.sampled_from([b"", b" ", b"\t"])
_TRAIL = st.sampled_from([b"", b" ", b" \t "])
_NON_FINITE = st.sampled_from([b"Infinity", b"-Infinity"])
_NUMBER_FIELDS = st.sampled_from([b'"x"', b'"weight_kg"', b'"unit_price"'])
_DIGITS = st.sampled_from([20, 400, 4300, 4301, 5000])
_NON_UTF8 = st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe9"])


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """One line (without its newline)."""
    if draw(_DIE[7]) == 0:
        return draw(_ODD_LINES)
    record = draw(_RECORDS)
    line = _render(record, draw(_BOOL), draw(_BOOL))
    return _mutate(draw, line, record, draw(_MUTATIONS))


def _mutate(draw: st.DrawFn, line: bytes, record: dict[str, Any], mutation: str) -> bytes:  # noqa: C901
    position = draw(_INDEX) % max(len(line), 1)
    if mutation == "dup_key" and record:
        key = sorted(record)[draw(_INDEX) % len(record)]
        return b"{" + json.dumps(key).encode() + b": " + json.dumps(record[key]).encode() + b", " + line[1:]
    if mutation == "dup_unknown_key":
        return b'{"x": 1, "x": 2, ' + line[1:] if len(line) > 2 else line
    if mutation in ("nan", "infinity"):
        token = b"NaN" if mutation == "nan" else draw(_NON_FINITE)
        field = draw(_NUMBER_FIELDS)
        return b"{" + field + b": " + token + b", " + line[1:] if len(line) > 2 else line
    if mutation == "huge_int":
        digits = draw(_DIGITS)
        return b'{"x": ' + b"7" * digits + b", " + line[1:] if len(line) > 2 else line
    if mutation == "two_objects":
        return line + draw(_PAD) + line
    if mutation == "bom":
        return b"\xef\xbb\xbf" + line
    if mutation == "pad":
        return draw(_PAD) + line + draw(_TRAIL)
    if mutation == "cr":
        return line + b"\r"
    if mutation == "flip" and line:
        return line[:position] + bytes([draw(_BYTE)]) + line[position + 1 :]
    if mutation == "insert":
        return line[:position] + draw(_FEW_BYTES) + line[position:]
    if mutation == "delete":
        return line[:position] + line[position + 1 :]
    if mutation == "truncate":
        return line[:position]
    if mutation == "non_utf8":
        return line[:position] + draw(_NON_UTF8) + line[position:]
    if mutation == "indent":
        return json.dumps(record, indent=1).encode("utf-8", "surrogatepass")  # an object over several lines
    return line


_LINE_LISTS = st.lists(lines(), max_size=25)
_TAILS = st.sampled_from([b" " * 200 + b"\n", b"x" * 7000, b"\n" * 3])  # long lines, trailing blanks


@st.composite
def jsonl_bodies(draw: st.DrawFn) -> bytes:
    body = draw(_LINE_LISTS)
    newline = b"\r\n" if draw(_DIE[9]) == 0 else b"\n"
    data = newline.join(body)
    if draw(_BOOL) and body:
        data += newline
    if draw(_DIE[7]) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(_DIE[15]) == 0:
        data += draw(_TAILS)
    return data


_JSONL_BODIES = jsonl_bodies()
_DOCUMENT_KINDS = st.sampled_from(["array", "object", "lines", "mutated"])
_RECORD_LISTS = st.lists(_RECORDS, max_size=10)
_DOCUMENT_MUTATIONS = st.sampled_from(["flip", "insert", "delete", "truncate", "non_utf8", "bom"])


@st.composite
def json_documents(draw: st.DrawFn) -> bytes:
    kind = draw(_DOCUMENT_KINDS)
    recs = draw(_RECORD_LISTS)
    if kind == "array":
        return _render_any(recs, draw(_BOOL))
    if kind == "object":
        return _render_any(recs[0] if recs else {}, draw(_BOOL))
    if kind == "lines":
        return draw(_JSONL_BODIES)
    return _mutate(draw, _render_any(recs, True), {}, draw(_DOCUMENT_MUTATIONS))


def _render_any(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


_CUTS = st.lists(_INDEX, max_size=3)
_DAMAGES = st.sampled_from(["none", "none", "zeros", "garbage", "truncate", "flip", "zeros_then_garbage"])
_GARBAGE = st.binary(min_size=1, max_size=20)


def gzipped(draw: st.DrawFn, content: bytes) -> bytes:
    """``content`` as gzip: one or several members, then maybe padding, garbage or damage."""
    cuts = sorted(c % (len(content) + 1) for c in draw(_CUTS))
    pieces = [content[a:b] for a, b in zip([0, *cuts], [*cuts, len(content)], strict=True)]
    data = b"".join(gzip.compress(p, mtime=0) for p in pieces)
    damage = draw(_DAMAGES)
    if damage == "zeros":
        data += b"\0" * (1 + draw(_INDEX) % 600)
    elif damage == "garbage":
        data += draw(_GARBAGE)
    elif damage == "zeros_then_garbage":
        data += b"\0" * (1 + draw(_INDEX) % 20) + b"junk"
    elif damage == "truncate":
        data = data[: draw(_INDEX) % (len(data) + 1)]
    elif damage == "flip":
        i = draw(_INDEX) % len(data)
        data = data[:i] + bytes([data[i] ^ (1 << draw(_INDEX) % 8)]) + data[i + 1 :]
    return data


_SUFFIXES = st.sampled_from([".jsonl", ".jsonl", ".json", ".jsonl.gz", ".json.gz", ".txt"])
_DOCUMENTS = json_documents()
_PREFIXES = st.sampled_from(["bronze/fuzz/", "bronze/" + "d" * 980 + "/", "bronze/ü/"])


@st.composite
def objects(draw: st.DrawFn) -> tuple[str, bytes]:
    """A key (its suffix picks the format) and the object's bytes."""
    suffix = draw(_SUFFIXES)
    content = draw(_DOCUMENTS if suffix in (".json", ".json.gz") else _JSONL_BODIES)
    data = gzipped(draw, content) if suffix.endswith(".gz") else content
    return draw(_PREFIXES) + "o" + suffix, data


WORK_UNIT_BYTES = [1, 2, 7, 64, 333, 1 << 30]
PARSE_BLOCK_BYTES = [1, 3, 17, 256, 4097, 8 << 20]
CHUNK_BYTES = [1, 5, 64, 4096, 1 << 20]
#: Always run: the production defaults (one unit, one block, 1 MiB reads).
DEFAULT = Config(1 << 30, 8 << 20, 1 << 20)

configs = st.builds(
    Config, st.sampled_from(WORK_UNIT_BYTES), st.sampled_from(PARSE_BLOCK_BYTES), st.sampled_from(CHUNK_BYTES)
)
