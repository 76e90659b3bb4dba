"""The bad-input corpus (tests/data/bad/): every case ends exactly as its manifest entry says.

Each case is driven through the real handlers (S3 notification → ingest → SQS → transform,
in-process under moto): no message may fail, the listed source lines become silver rows and
nothing else does, and each quarantine entry names its line and a precise reason.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

from tests.integration.conftest import BRONZE, Pipeline

DATA = Path(__file__).resolve().parents[1] / "data" / "bad"
MANIFEST = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]


def _key(case: dict[str, Any]) -> str:
    return case.get("key") or f"bronze/corpus/{case['file']}"


def _body(case: dict[str, Any]) -> bytes:
    raw = (DATA / case["file"]).read_bytes()
    return gzip.decompress(raw) if case.get("upload") == "gunzip" else raw


def _silver_rows(pipeline: Pipeline, tmp_path: Path) -> list[dict[str, Any]]:
    if not pipeline.list_keys("silver/"):
        return []
    table = pipeline.silver_table(tmp_path).to_table()
    columns = ["_source_uri", "_source_line", "record_type", "event_time"]
    rows = table.select(columns).to_pylist()
    dts = pc.strftime(table.column("event_time"), format="%Y-%m-%d").to_pylist()
    return [row | {"dt": dt} for row, dt in zip(rows, dts, strict=True)]


def test_the_manifest_covers_every_file_with_at_least_30_cases() -> None:
    files = {p.name for p in DATA.iterdir() if p.name != "cases.json"}
    assert {c["file"] for c in CASES} == files
    assert len(CASES) >= 30
    for case in CASES:
        assert len(case["why"]) > 10, case["file"]
        assert isinstance(case["silver_lines"], list) and isinstance(case["quarantine"], list), case["file"]


@pytest.mark.parametrize(
    ("case", "pipeline_env"),
    [(case, case.get("env", {})) for case in CASES],
    ids=[_key(case).removeprefix("bronze/corpus/") for case in CASES],
)
def test_case_ends_as_the_manifest_says(case: dict[str, Any], pipeline: Pipeline, tmp_path: Path) -> None:
    key = _key(case)
    result, _, failed = pipeline.drain(pipeline.put(key, _body(case)))
    assert failed == [], f"{case['file']}: a message failed instead of quarantining"
    for name, value in case.get("ingest", {}).items():
        assert result[name] == value, f"ingest {name}"

    rows = _silver_rows(pipeline, tmp_path)
    assert sorted(r["_source_line"] for r in rows) == case["silver_lines"]
    assert {r["_source_uri"] for r in rows} <= {f"s3://{BRONZE}/{key}"}
    if "partitions" in case:
        assert Counter(f"{r['record_type']}/{r['dt']}" for r in rows) == case["partitions"]

    entries = sorted(
        pipeline.quarantine_entries(), key=lambda e: (e["source"]["line"] is not None, e["source"]["line"] or 0)
    )
    got = [(e["source"]["line"], e["reason"]) for e in entries]
    assert [line for line, _ in got] == [line for line, _ in case["quarantine"]], got
    for (line, reason), (_, expected) in zip(got, case["quarantine"], strict=True):
        assert expected in reason, f"line {line}: {reason!r} does not say {expected!r}"
    for entry in entries:
        assert entry["source"]["key"] == key and entry["source"]["etag"]
        damaged_tail = "content from here on was not read" in entry["reason"]  # may have decoded to nothing
        assert entry["raw"] or entry["source"]["line"] is None or damaged_tail, "a rejected line keeps its raw text"


@pytest.mark.parametrize("pipeline_env", [{"WORK_UNIT_BYTES": "1024"}])
def test_the_whole_corpus_at_once_blocks_no_good_record(pipeline: Pipeline, tmp_path: Path) -> None:
    """All default-settings cases land together in shuffled, mixed batches with a clean object:
    no batch item fails, and the totals are the sum of the cases."""
    cases = [c for c in CASES if not c.get("env")]
    for case in cases:
        pipeline.run_ingest(pipeline.put(_key(case), _body(case)))
    good = "".join(json.dumps(r) + "\n" for r in _good_records(50)).encode()
    pipeline.run_ingest(pipeline.put("bronze/corpus/clean.jsonl", good))
    messages = pipeline.receive_all()
    random.Random(3).shuffle(messages)
    assert pipeline.run_transform(messages, batch_size=7) == []
    rows = _silver_rows(pipeline, tmp_path)
    assert len(rows) == sum(len(c["silver_lines"]) for c in cases) + 50
    assert len(pipeline.quarantine_entries()) == sum(len(c["quarantine"]) for c in cases)


def _good_records(count: int) -> list[dict[str, Any]]:
    from scripts.gen_fake_events import FakeEvents

    gen = FakeEvents(seed=8)
    return [gen.record("tracking_events") for _ in range(count)]


@pytest.mark.parametrize(("file", "line"), [("non_utf8.jsonl", 2), ("deeply_nested.jsonl", 2)])
def test_a_lines_verdict_does_not_depend_on_its_neighbours(file: str, line: int) -> None:
    """Regression: the columnar fast path accepted invalid UTF-8 (written to Parquet as is) and
    100,000-deep nesting that the per-line path rejects, so a line's fate depended on whether a
    bad neighbour sent its block to the per-line path."""
    from datetime import UTC, datetime

    from elt.records import SourceContext, Validator

    ctx = SourceContext("b", "k", "e", datetime.now(UTC), datetime(2000, 1, 1, tzinfo=UTC), None, 1 << 20)
    validator = Validator()
    block = (DATA / file).read_bytes()
    alone = validator.parse_block(block, 1, ctx)
    with_bad_neighbour = validator.parse_block(block + b"{broken\n", 1, ctx)
    assert [r.line for r in alone.rejections] == [line]
    assert [r.line for r in with_bad_neighbour.rejections] == [line, block.count(b"\n") + 1]
    assert alone.rows == with_bad_neighbour.rows


def test_every_input_limit_is_a_setting_exercised_by_a_corpus_case() -> None:
    """Object size, line size, JSON document size and decompressed size are bounded by settings
    with finite defaults, and each bound has a case that hits it with its quarantine reason."""
    from elt.config import IngestSettings, TransformSettings

    limits = {
        "MAX_OBJECT_BYTES": "over the MAX_OBJECT_BYTES limit",
        "MAX_LINE_BYTES": "over the MAX_LINE_BYTES limit",
        "MAX_JSON_DOCUMENT_BYTES": "exceeds MAX_JSON_DOCUMENT_BYTES",
        "MAX_DECOMPRESSED_BYTES": "exceeds MAX_DECOMPRESSED_BYTES",
    }
    env = {"SILVER_BUCKET": "b", "QUEUE_URL": "q", "IDEMPOTENCY_TABLE": "t"}
    transform, ingest = TransformSettings.from_env(env), IngestSettings.from_env(env)
    for name in limits:
        attribute = name.lower()
        assert 0 < getattr(transform, attribute) < 2**40, name
    assert ingest.max_object_bytes == transform.max_object_bytes
    for name, reason in limits.items():
        hits = [c for c in CASES if name in c.get("env", {}) and any(reason in r for _, r in c["quarantine"])]
        assert hits, f"no corpus case hits {name}"
