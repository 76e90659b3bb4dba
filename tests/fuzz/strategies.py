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


@st.composite
def event_times(draw: st.DrawFn) -> Any:
    """ISO-8601 strings near the window (2000-01-01 … 2030-01-02) and the format's edges."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, 1_700_000_000, "2026-01-01", "yesterday", "", "2026-01-01T00:00:00Z\n"]))
    year = draw(st.sampled_from([1, 1999, 2000, 2026, 2030, 9999]))
    month = draw(st.sampled_from([1, 2, 12, 13]))
    day = draw(st.sampled_from([1, 2, 28, 29, 30, 31, 0]))
    hour, minute = draw(st.sampled_from([0, 1, 23, 24])), draw(st.sampled_from([0, 30, 59, 60]))
    text = f"{year:04d}-{month:02d}-{day:02d}{draw(st.sampled_from('T T t'))}{hour:02d}:{minute:02d}"
    seconds = draw(st.sampled_from([None, 0, 59, 60]))
    if seconds is not None:
        text += f":{seconds:02d}" + draw(st.sampled_from(["", ".5", ".123456", ".1234567"]))
    zone = draw(st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+01:00", "-01:00", "+05:30", "+0530", "+23:59"]))
    if draw(st.integers(0, 5)) == 0:
        zone = draw(st.sampled_from(["+00:60", "+24:00", "+2360", "+01", "-99:99", "+1:00"]))
    return text + zone


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if draw(st.integers(0, 15)):
        record["record_type"] = draw(st.sampled_from(RECORD_TYPES))
    if draw(st.integers(0, 15)):
        record["event_time"] = draw(event_times())
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=6, unique=True))
    for name in names:
        record[name] = draw(FIELDS[name])
    return record


def _render(record: dict[str, Any], ascii_only: bool, compact: bool) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(record, ensure_ascii=ascii_only, separators=separators).encode("utf-8", "surrogatepass")


MUTATIONS = [
    "none", "dup_key", "dup_unknown_key", "nan", "infinity", "huge_int", "two_objects", "bom", "pad", "cr",
    "flip", "insert", "delete", "truncate", "non_utf8", "indent",
]  # fmt: skip


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """One line (without its newline)."""
    if draw(st.integers(0, 7)) == 0:
        return draw(
            st.sampled_from([b"", b" ", b"   ", b"\t \t  ", b"\r", b" \r", b"\x0b", b"\x0c", b"\xc2\xa0", b"\x00"])
            | st.sampled_from([b"[]", b"null", b"1", b'"s"', b"{}", b"\xef\xbb\xbf", b"{", b"}", b"{}{}"])
        )
    record = draw(records())
    line = _render(record, draw(st.booleans()), draw(st.booleans()))
    mutation = draw(st.sampled_from(MUTATIONS))
    return _mutate(draw, line, record, mutation)


def _mutate(draw: st.DrawFn, line: bytes, record: dict[str, Any], mutation: str) -> bytes:  # noqa: C901
    position = draw(st.integers(0, max(len(line) - 1, 0)))
    if mutation == "dup_key" and record:
        key = draw(st.sampled_from(sorted(record)))
        return b"{" + json.dumps(key).encode() + b": " + json.dumps(record[key]).encode() + b", " + line[1:]
    if mutation == "dup_unknown_key":
        return b'{"x": 1, "x": 2, ' + line[1:] if len(line) > 2 else line
    if mutation in ("nan", "infinity"):
        token = b"NaN" if mutation == "nan" else draw(st.sampled_from([b"Infinity", b"-Infinity"]))
        field = draw(st.sampled_from([b'"x"', b'"weight_kg"', b'"unit_price"']))
        return b"{" + field + b": " + token + b", " + line[1:] if len(line) > 2 else line
    if mutation == "huge_int":
        digits = draw(st.sampled_from([20, 400, 4300, 4301, 5000]))
        return b'{"x": ' + b"7" * digits + b", " + line[1:] if len(line) > 2 else line
    if mutation == "two_objects":
        return line + draw(st.sampled_from([b"", b" "])) + line
    if mutation == "bom":
        return b"\xef\xbb\xbf" + line
    if mutation == "pad":
        return draw(st.sampled_from([b"", b" ", b"\t"])) + line + draw(st.sampled_from([b"", b" ", b" \t "]))
    if mutation == "cr":
        return line + b"\r"
    if mutation == "flip" and line:
        return line[:position] + bytes([draw(st.integers(0, 255))]) + line[position + 1 :]
    if mutation == "insert":
        return line[:position] + draw(st.binary(min_size=1, max_size=3)) + line[position:]
    if mutation == "delete":
        return line[:position] + line[position + 1 :]
    if mutation == "truncate":
        return line[:position]
    if mutation == "non_utf8":
        return line[:position] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe9"])) + line[position:]
    if mutation == "indent":
        return json.dumps(record, indent=1).encode("utf-8", "surrogatepass")  # an object over several lines
    return line


@st.composite
def jsonl_bodies(draw: st.DrawFn) -> bytes:
    body = draw(st.lists(lines(), max_size=25))
    newline = b"\r\n" if draw(st.integers(0, 9)) == 0 else b"\n"
    data = newline.join(body)
    if draw(st.booleans()) and body:
        data += newline
    if draw(st.integers(0, 7)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 15)) == 0:
        data += draw(st.sampled_from([b" " * 200 + b"\n", b"x" * 7000, b"\n" * 3]))  # long lines, trailing blanks
    return data


@st.composite
def json_documents(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["array", "object", "lines", "mutated"]))
    recs = draw(st.lists(records(), max_size=10))
    if kind == "array":
        return _render_any(recs, draw(st.booleans()))
    if kind == "object":
        return _render_any(recs[0] if recs else {}, draw(st.booleans()))
    if kind == "lines":
        return draw(jsonl_bodies())
    data = _render_any(recs, True)
    return _mutate(draw, data, {}, draw(st.sampled_from(["flip", "insert", "delete", "truncate", "non_utf8", "bom"])))


def _render_any(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def gzipped(draw: st.DrawFn, content: bytes) -> bytes:
    """``content`` as gzip: one or several members, then maybe padding, garbage or damage."""
    cuts = sorted(draw(st.lists(st.integers(0, len(content)), max_size=3)))
    pieces = [content[a:b] for a, b in zip([0, *cuts], [*cuts, len(content)], strict=True)]
    data = b"".join(gzip.compress(p, mtime=0) for p in pieces)
    damage = draw(st.sampled_from(["none", "none", "zeros", "garbage", "truncate", "flip", "zeros_then_garbage"]))
    if damage == "zeros":
        data += b"\0" * draw(st.integers(1, 600))
    elif damage == "garbage":
        data += draw(st.binary(min_size=1, max_size=20))
    elif damage == "zeros_then_garbage":
        data += b"\0" * draw(st.integers(1, 20)) + b"junk"
    elif damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "flip":
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([data[i] ^ (1 << draw(st.integers(0, 7)))]) + data[i + 1 :]
    return data


@st.composite
def objects(draw: st.DrawFn) -> tuple[str, bytes]:
    """A key (its suffix picks the format) and the object's bytes."""
    suffix = draw(st.sampled_from([".jsonl", ".jsonl", ".json", ".jsonl.gz", ".json.gz", ".txt"]))
    content = draw(json_documents() if suffix.startswith(".json") and ".jsonl" not in suffix else jsonl_bodies())
    data = draw(gzipped(content)) if suffix.endswith(".gz") else content
    prefix = draw(st.sampled_from(["bronze/fuzz/", "bronze/" + "d" * 980 + "/", "bronze/ü/"]))
    return prefix + "o" + suffix, data


WORK_UNIT_BYTES = [1, 2, 7, 64, 333, 1 << 30]
PARSE_BLOCK_BYTES = [1, 3, 17, 256, 4097, 8 << 20]
CHUNK_BYTES = [1, 5, 64, 4096, 1 << 20]
#: Always run: the production defaults (one unit, one block, 1 MiB reads).
DEFAULT = Config(1 << 30, 8 << 20, 1 << 20)

configs = st.builds(
    Config, st.sampled_from(WORK_UNIT_BYTES), st.sampled_from(PARSE_BLOCK_BYTES), st.sampled_from(CHUNK_BYTES)
)
