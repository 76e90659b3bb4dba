"""Small objects validated in one shared columnar pass reach exactly the verdicts each gets alone.

``Validator.parse_segments`` is how a batch of many small objects costs one parse instead of one
per object; a line's verdict (row or reason) and its lineage must not depend on which objects
share its pass, so the property is checked differentially against ``parse_block`` per object.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elt.records import ParsedBlock, SourceContext, Validator
from tests.fuzz.strategies import jsonl_bodies, lines, records

VALIDATOR = Validator()


def context(i: int, with_bound: bool) -> SourceContext:
    written = datetime(2030, 1, 1, tzinfo=UTC) - timedelta(days=400 * i)  # each object its own window
    return SourceContext(
        bucket="b",
        key=f"bronze/x/{i}.jsonl",
        etag=f"e{i}",
        ingested_at=datetime(2030, 1, 2, tzinfo=UTC) + timedelta(seconds=i),
        event_time_min=datetime(2000, 1, 1, tzinfo=UTC),
        event_time_max=written + timedelta(days=1) if with_bound else None,
        max_line_bytes=1 << 20,
    )


def outcome(parsed: ParsedBlock, segment_of: dict[int, int] | None = None) -> tuple[list[Any], list[Any]]:
    rows = sorted(
        (
            tuple(sorted((k, repr(v)) for k, v in row.items()))
            for ts in parsed.tables.values()
            for t in ts
            for row in t.to_pylist()
        ),
    )
    rejections = sorted(
        (r.segment if segment_of is None else segment_of[id(r)], r.line, r.reason) for r in parsed.rejections
    )
    return rows, rejections


#: Mostly well-formed records (rendered plainly, so the shared columnar pass usually runs), and
#: the fuzzer's mutated lines and bodies (so it also falls back).
_PLAIN = records().map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass"))
_CLEAN = st.fixed_dictionaries(
    {"record_type": st.sampled_from(["shipments", "tracking_events"]), "shipment_id": st.sampled_from(["S1", "S2"])},
    optional={"event_time": st.sampled_from(["2021-01-01T00:00:00Z", "2027-06-01T12:00:00+02:00", "2030-01-01"])},
).map(lambda r: json.dumps(r).encode())
objects = st.lists(
    st.one_of(
        st.lists(_CLEAN, min_size=1, max_size=8).map(b"\n".join),
        st.lists(st.one_of(_CLEAN, _PLAIN), min_size=1, max_size=8).map(b"\n".join),
        jsonl_bodies(),
        st.lists(lines(), max_size=8).map(b"\n".join),
    ),
    min_size=2,
    max_size=4,
)


@given(objects, st.lists(st.booleans(), min_size=4, max_size=4))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_a_shared_pass_gives_each_object_its_own_verdicts(bodies: list[bytes], bounds: list[bool]) -> None:
    segments = [(body, 1, context(i, bounds[i])) for i, body in enumerate(bodies)]
    shared = VALIDATOR.parse_segments(segments)
    alone_rows: list[Any] = []
    alone_rejections: list[Any] = []
    blank = 0
    for i, (body, first, ctx) in enumerate(segments):
        parsed = VALIDATOR.parse_block(body, first, ctx)
        rows, rejections = outcome(parsed)
        alone_rows += rows
        alone_rejections += [(i, line, reason) for _, line, reason in rejections]
        blank += parsed.blank_lines
    rows, rejections = outcome(shared)
    assert rows == sorted(alone_rows)
    assert rejections == sorted(alone_rejections)
    assert shared.blank_lines == blank


def test_clean_small_objects_share_the_fast_path() -> None:
    line = b'{"record_type": "shipments", "event_time": "2026-01-01T10:00:00Z", "shipment_id": "S1", "weight_kg": 2.5}'
    segments = [(b"\n".join([line] * (i + 1)), 1, context(0, False)) for i in range(4)]
    shared = VALIDATOR.parse_segments(segments)
    assert shared.fast_path and shared.rows == 1 + 2 + 3 + 4 and not shared.rejections
    lines_seen = sorted(v for ts in shared.tables.values() for t in ts for v in t.column("_source_line").to_pylist())
    assert lines_seen == sorted([1, 1, 2, 1, 2, 3, 1, 2, 3, 4])
