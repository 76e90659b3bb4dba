from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elt.work_units import MessageError, WorkUnit, dataset_of, detect_format, line_aligned_spans


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"x")), max_size=60),
    trailing_newline=st.booleans(),
    chunk=st.integers(1, 64),
    target=st.integers(1, 200),
)
def test_spans_cover_stream_on_line_boundaries(
    lines: list[bytes], trailing_newline: bool, chunk: int, target: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if trailing_newline and lines else b"")
    spans = line_aligned_spans(chunked(data, chunk), target)
    assert b"".join(data[s.start : s.end] for s in spans) == data
    assert all(s.end > s.start for s in spans)
    line = 1
    for span in spans:
        piece = data[span.start : span.end]
        assert span.first_line == line
        if span is not spans[-1]:
            # cut at the first newline at or after start + target
            assert piece.endswith(b"\n") and len(piece) > target
            assert b"\n" not in data[span.start + target : span.end - 1]
        expected_lines = piece.count(b"\n") + (0 if piece.endswith(b"\n") else 1)
        assert span.line_count == expected_lines
        line += expected_lines


def test_span_cut_is_first_newline_after_target() -> None:
    data = b"aaaa\nbb\ncccccc\nd\n"
    spans = line_aligned_spans(chunked(data, 3), target=6)
    assert [(s.start, s.end, s.first_line, s.line_count) for s in spans] == [
        (0, 8, 1, 2),
        (8, 15, 3, 1),
        (15, 17, 4, 1),
    ]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("bronze/a/x.jsonl", ("jsonl", None)),
        ("bronze/a/x.JSON", ("json", None)),
        ("bronze/a/x.json.gz", ("json", "gzip")),
        ("bronze/a/x.jsonl.gz", ("jsonl", "gzip")),
        ("bronze/a/x.ndjson", ("jsonl", None)),
    ],
)
def test_detect_format(key: str, expected: tuple[str, str | None]) -> None:
    assert detect_format(key) == expected


def test_dataset_label() -> None:
    assert dataset_of("bronze/shipments/2024/x.jsonl", "bronze/") == "shipments"
    assert dataset_of("bronze/x.jsonl", "bronze/") == "_root"


def unit(**overrides: object) -> WorkUnit:
    fields: dict[str, object] = dict(
        bucket="b",
        key="bronze/s/x.jsonl",
        etag="e",
        version_id=None,
        size=100,
        dataset="s",
        format="jsonl",
        compression=None,
        index=0,
        count=1,
        start=0,
        end=100,
        first_line=1,
        line_count=None,
        object_time=None,
        planned_at="2026-01-01T00:00:00+00:00",
    )
    fields.update(overrides)
    return WorkUnit(**fields)  # type: ignore[arg-type]


def test_message_round_trip_and_deterministic_names() -> None:
    u = unit(index=1, count=3, start=10, end=50)
    assert WorkUnit.from_message(u.to_message()) == u
    assert u.output_name == unit(index=1, count=3, start=10, end=50).output_name
    assert u.output_name != unit(index=1, count=3, start=10, end=50, etag="other").output_name


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps({"v": 99}), json.dumps({"v": 1, "bucket": "b"}), unit(start=90, end=10).to_message()],
)
def test_bad_messages_are_rejected(body: str) -> None:
    with pytest.raises(MessageError):
        WorkUnit.from_message(body)
