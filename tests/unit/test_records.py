"""Validation: precise reasons on the per-line path, and the columnar path agreeing with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elt.records import Rejection, SourceContext, Validator

VALIDATOR = Validator()
CTX = SourceContext(
    bucket="b",
    key="bronze/x.jsonl",
    etag="e",
    ingested_at=datetime(2026, 1, 2, tzinfo=UTC),
    event_time_min=datetime(2000, 1, 1, tzinfo=UTC),
    event_time_max=datetime(2026, 6, 1, tzinfo=UTC),
    max_line_bytes=4096,
)
SHIP = {"record_type": "shipments", "event_time": "2026-01-01T10:00:00Z", "shipment_id": "S1", "weight_kg": 2.5}


def reason(raw: bytes) -> str:
    outcome = VALIDATOR.validate_line(raw, 7, CTX)
    assert isinstance(outcome, Rejection), outcome
    assert outcome.line == 7
    return outcome.reason


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"record_type": "shipments", oops', "invalid JSON"),
        (b"\xff\xfe{}", "invalid UTF-8 at byte 0"),
        (b"[1, 2]", "JSON value is list, expected an object"),
        (b'{"event_time": "2026-01-01T00:00:00Z"}', "record_type: required field is missing"),
        (b'{"record_type": 5}', "record_type: must be a string"),
        (b'{"record_type": "parcels", "event_time": "2026-01-01T00:00:00Z"}', "unknown record_type 'parcels'"),
        (json.dumps({**SHIP, "weight_kg": "2.5"}).encode(), "weight_kg: Input should be a valid number"),
        (json.dumps({**SHIP, "weight_kg": -1}).encode(), "weight_kg: Input should be greater than or equal to 0"),
        (json.dumps({**SHIP, "shipment_id": None}).encode(), "shipment_id: Input should be a valid string"),
        (json.dumps({**SHIP, "shipment_id": ""}).encode(), "shipment_id: String should have at least 1 character"),
        (
            json.dumps({k: v for k, v in SHIP.items() if k != "shipment_id"}).encode(),
            "shipment_id: required field is missing",
        ),
        (json.dumps({**SHIP, "event_time": 1700000000}).encode(), "must be an ISO-8601 date-time string"),
        (json.dumps({**SHIP, "event_time": "2026-02-30T00:00:00Z"}).encode(), "is not a valid date-time"),
        (json.dumps({**SHIP, "event_time": "1999-12-31T23:59:59Z"}).encode(), "is before EVENT_TIME_MIN"),
        (json.dumps({**SHIP, "event_time": "2027-01-01T00:00:00Z"}).encode(), "EVENT_TIME_MAX_FUTURE_SECONDS"),
        (b'{"record_type": "shipments", "record_type": "shipments"}', "duplicate key 'record_type'"),
        (b'{"record_type": "shipments", "weight_kg": NaN}', "NaN is not valid JSON"),
        (
            b'{"record_type":"invoice_lines","event_time":"2026-01-01T00:00:00Z","invoice_id":"I","quantity":2.0}',
            "quantity: Input should be a valid integer",
        ),
        (b"x" * 5000, "over the MAX_LINE_BYTES limit"),
        (b"[" * 4000, "nested too deeply"),
    ],
)
def test_rejection_reasons(line: bytes, expected: str) -> None:
    assert expected in reason(line)


def test_valid_line_becomes_a_utc_row_with_lineage() -> None:
    record_type, row = VALIDATOR.validate_line(
        json.dumps({**SHIP, "event_time": "2026-01-01T12:00:00+02:00"}).encode(), 3, CTX
    )  # type: ignore[misc]
    assert record_type == "shipments"
    assert row["event_time"] == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert (row["_source_uri"], row["_source_line"]) == ("s3://b/bronze/x.jsonl", 3)


def test_blank_lines_are_not_records() -> None:
    assert VALIDATOR.validate_line(b"  \r", 1, CTX) is None
    parsed = VALIDATOR.parse_block(b"\n" + json.dumps(SHIP).encode() + b"\n\n", 10, CTX)
    assert parsed.rows == 1 and parsed.blank_lines == 2 and not parsed.rejections
    assert parsed.tables["shipments"][0].column("_source_line").to_pylist() == [11]


def test_clean_block_takes_the_columnar_path() -> None:
    block = b"".join(json.dumps({**SHIP, "shipment_id": f"S{i}"}).encode() + b"\n" for i in range(100))
    parsed = VALIDATOR.parse_block(block, 1, CTX)
    assert parsed.fast_path and parsed.rows == 100


# ---- agreement between the two paths ------------------------------------------------------

times = st.one_of(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)).map(lambda d: d.isoformat()),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.isoformat(timespec="minutes") + "Z"
    ),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.isoformat(sep=" ", timespec="milliseconds") + "+05:30"
    ),
    st.sampled_from(
        ["2026-01-01", "2026-13-01T00:00:00Z", "yesterday", "2026-01-01T00:00:00.1234567Z", "2026-01-01T00:00:00+0100"]
    ),
    st.integers(),
    st.none(),
)
numbers = st.one_of(
    st.none(),
    st.integers(-10, 2_000_000),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=1e11),
    st.text(max_size=3),
)
texts = st.one_of(st.none(), st.text(max_size=5), st.integers(0, 3))
records = st.fixed_dictionaries(
    {
        "record_type": st.sampled_from(["shipments", "tracking_events", "invoice_lines", "other", None]),
        "event_time": times,
    },
    optional={
        "shipment_id": texts,
        "invoice_id": texts,
        "weight_kg": numbers,
        "quantity": numbers,
        "unit_price": numbers,
        "line_total": numbers,
        "status": st.one_of(st.sampled_from(["DELIVERED", "LOST"]), texts),
        "city": texts,
        "origin": texts,
        "extra": st.one_of(texts, st.lists(st.integers(), max_size=2)),
    },
)


def _outcome(parsed_rows: list[dict], rejections: list[Rejection]) -> tuple[list, list]:
    return sorted(parsed_rows, key=lambda r: r["_source_line"]), sorted(r.line for r in rejections)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, min_size=1, max_size=30))
def test_columnar_and_per_line_paths_agree(recs: list[dict]) -> None:
    block = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    fast = VALIDATOR.parse_block(block, 1, CTX)
    slow = VALIDATOR.parse_lines(block, 1, CTX)
    fast_rows = [row for tables in fast.tables.values() for t in tables for row in t.to_pylist()]
    slow_rows = [row for tables in slow.tables.values() for t in tables for row in t.to_pylist()]
    assert _outcome(fast_rows, fast.rejections) == _outcome(slow_rows, slow.rejections)
