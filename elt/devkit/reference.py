"""The reference reader: what the transform must decide for every line of an object, written
independently of the production read path (``elt.silver``, ``elt.records``) so the two can be
compared byte for byte (the differential fuzzer, ``make fuzz``).

It is deliberately slow and plain: the whole object in memory, gzip inflated one input byte at a
time (so the output before a damaged spot does not depend on read or block sizes), lines split on
``\\n``, one strict ``json.loads`` per line, the contract models, and its own ISO-8601 parser for
``event_time``. Its semantics are the documented ones (docs/architecture.md, "Decisions worth
knowing"; docs/reliability.md, "Gzip"):

* gzip: members back to back; zero bytes after a complete member are padding (as ``gzip -d``
  accepts); anything else after a member must be another member. Damage (corrupt, truncated,
  trailing garbage, over the decompressed ceiling) keeps the lines decoded before it and adds one
  entry for the damaged tail; with nothing decoded (a BOM alone is nothing), one entry for the
  whole object (``line`` None);
* a UTF-8 BOM at the start of the (decompressed) object is dropped; anywhere else it is data;
* a blank line is empty or JSON whitespace only (space, tab, CR) and has no outcome;
* every other line has exactly one outcome: a row or a rejection.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from elt.contracts import CONTRACTS

_BOM = b"\xef\xbb\xbf"
_JSON_WS = b" \t\r"
#: The documented event_time format, with ranges: ±HH:MM offsets have minutes 00-59, hours 00-23.
_EVENT_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(Z|([+-])([01]\d|2[0-3]):?([0-5]\d))?"
)


@dataclass(frozen=True)
class Window:
    event_time_min: datetime
    event_time_max: datetime | None


@dataclass(frozen=True)
class Limits:
    max_line_bytes: int
    max_decompressed_bytes: int
    max_json_document_bytes: int


@dataclass
class Verdicts:
    """Per line: ``rows[line] = (record_type, row)`` or ``rejected[line]``; ``whole`` counts the
    entries that stand for the whole object (``line`` None)."""

    rows: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    rejected: set[int] = field(default_factory=set)
    whole: int = 0


def _strict_loads(text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(items)

    def constant(name: str) -> Any:
        raise ValueError(name)

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


def event_time(value: Any) -> datetime | None:
    """The UTC instant of a documented event_time string; None when it is not one."""
    if not isinstance(value, str):
        return None
    m = _EVENT_TIME.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone, sign, oh, om = m.groups()
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), int((frac or "0").ljust(6, "0"))
        )
        if zone in (None, "Z"):
            return local.replace(tzinfo=UTC)
        offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
        return (local - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def judge(obj: Any, line: int | None, window: Window, uri: str, ingested_at: datetime) -> tuple[str, dict] | None:
    """A row for a parsed JSON value, or None when the contract rejects it."""
    if not isinstance(obj, dict):
        return None
    record_type = obj.get("record_type")
    model = CONTRACTS.get(record_type) if isinstance(record_type, str) else None
    when = event_time(obj.get("event_time"))
    if model is None or when is None:
        return None
    try:
        record = model.model_validate(obj)
    except Exception:  # the oracle's rule: whatever fails validation rejects the record
        return None
    if when < window.event_time_min or (window.event_time_max is not None and when > window.event_time_max):
        return None
    row = record.model_dump()
    row.update(event_time=when, _source_uri=uri, _source_line=line, _ingested_at=ingested_at)
    return str(record_type), row


def judge_line(raw: bytes, max_line_bytes: int) -> Any:
    """The parsed value of a line; ``_BLANK`` for a blank line, ``_BAD`` when it is rejected."""
    if len(raw) > max_line_bytes:
        return _BAD
    if not raw.strip(_JSON_WS):
        return _BLANK
    try:
        return _strict_loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return _BAD


_BLANK = object()
_BAD = object()


def inflate(data: bytes, limit: int) -> tuple[bytes, bool]:
    """Decode a gzip stream; returns (the bytes decoded before any damage, damaged)."""
    out = bytearray()
    pos = 0
    while True:
        decoder = zlib.decompressobj(wbits=31)
        while pos < len(data) and not decoder.eof:
            try:
                out += decoder.decompress(data[pos : pos + 1])
            except zlib.error:
                return bytes(out), True
            pos += 1
            if len(out) > limit:
                return bytes(out[:limit]), True
        if not decoder.eof:
            return bytes(out), True  # truncated (or nothing at all)
        while pos < len(data) and data[pos] == 0:
            pos += 1  # zero padding after a member
        if pos == len(data):
            return bytes(out), False
        # anything else must be another member: garbage fails its header check


def read_object(
    data: bytes,
    *,
    fmt: str,
    gzip: bool,
    window: Window,
    limits: Limits,
    uri: str,
    ingested_at: datetime,
) -> Verdicts:
    """Every verdict the transform must reach for one object version's bytes."""
    verdicts = Verdicts()
    damaged = False
    if gzip:
        data, damaged = inflate(data, limits.max_decompressed_bytes)
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if damaged and (not data or fmt == "json"):  # nothing decoded (a BOM alone is nothing)
        verdicts.whole = 1
        return verdicts
    if fmt == "json" and _read_document(data, window, limits, uri, ingested_at, verdicts):
        return verdicts
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: a line without one, or nothing
    if tail and not damaged:
        lines.append(tail)
    for number, raw in enumerate(lines, start=1):
        value = judge_line(raw, limits.max_line_bytes)
        if value is _BLANK:
            continue
        outcome = None if value is _BAD else judge(value, number, window, uri, ingested_at)
        if outcome is None:
            verdicts.rejected.add(number)
        else:
            verdicts.rows[number] = outcome
    if damaged:
        verdicts.rejected.add(len(lines) + 1)  # the damaged tail, with whatever it decoded to
    return verdicts


def _read_document(
    data: bytes, window: Window, limits: Limits, uri: str, ingested_at: datetime, verdicts: Verdicts
) -> bool:
    """A ``.json`` document; False when it is to be read as JSON Lines instead."""
    if len(data) > limits.max_json_document_bytes:
        verdicts.whole = 1
        return True
    try:
        document = _strict_loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        stripped = data.strip()
        if stripped.startswith(b"{") and b"\n" in stripped:
            return False  # JSON Lines named .json
        verdicts.whole = 1
        return True
    items = document if isinstance(document, list) else [document]
    for position, obj in enumerate(items, start=1):
        outcome = judge(obj, position, window, uri, ingested_at)
        if outcome is None:
            verdicts.rejected.add(position)
        else:
            verdicts.rows[position] = outcome
    return True
