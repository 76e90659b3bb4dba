"""S3 → ingest → SQS → transform → silver/quarantine, with AWS emulated in-process by moto."""

from __future__ import annotations

import gzip
import json
import time
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pytest

from scripts.gen_fake_events import FakeEvents
from tests.integration.conftest import BRONZE, TABLE, Pipeline


def jsonl(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_ten_thousand_records_exactly_once_under_redelivery(pipeline: Pipeline, tmp_path: Path) -> None:
    gen = FakeEvents(seed=42)
    lines = list(gen.lines(10_000, invalid_rate=0.02))
    valid = sum(ok for _, ok in lines)
    expected = Counter(json.loads(line)["record_type"] for line, ok in lines if ok)

    started = time.perf_counter()
    result, messages, failed = pipeline.drain(
        pipeline.put("bronze/mixed/batch-0001.jsonl", jsonl([line for line, _ in lines]))
    )
    elapsed = time.perf_counter() - started
    assert failed == []
    assert result["objects"] == 1 and result["enqueued"] == len(messages) >= 1

    silver_keys = pipeline.list_keys("silver/")
    dataset = pipeline.silver_table(tmp_path / "first")
    table = dataset.to_table()
    quarantined = pipeline.quarantine_entries()
    assert table.num_rows == valid
    assert table.num_rows + len(quarantined) == len(lines), "every input line is a silver row or a quarantine entry"
    got: Counter[str] = Counter()
    for record_type in expected:
        got[record_type] = pc.sum(pc.equal(table.column("record_type"), record_type)).as_py()
    assert got == expected
    lines_seen = sorted(table.column("_source_line").to_pylist() + [q["source"]["line"] for q in quarantined])
    assert lines_seen == list(range(1, len(lines) + 1)), "each line accounted for exactly once"

    # Redeliver every message twice: same keys, no duplicate rows.
    assert pipeline.run_transform(messages) == []
    assert pipeline.run_transform(messages) == []
    assert pipeline.list_keys("silver/") == silver_keys
    again = pipeline.silver_table(tmp_path / "again").to_table()
    assert again.num_rows == valid
    assert len(pipeline.quarantine_entries()) == len(quarantined)
    print(
        f"\n10k records: {len(lines) / elapsed:,.0f} records/s end to end (in-process), "
        f"{len(silver_keys)} silver files, {len(quarantined)} quarantined"
    )


def test_duplicate_event_is_skipped(pipeline: Pipeline) -> None:
    event = pipeline.put("bronze/shipments/a.jsonl", jsonl([json.dumps(FakeEvents(seed=1).record("shipments"))]))
    first = pipeline.run_ingest(event)
    second = pipeline.run_ingest(event)
    assert first == {"objects": 1, "units": 1, "enqueued": 1, "skipped": 0, "ignored": 0}
    assert second == {"objects": 1, "units": 0, "enqueued": 0, "skipped": 1, "ignored": 0}
    item = pipeline.ddb.get_item(
        TableName=TABLE,
        Key={"pk": {"S": f"s3://{BRONZE}/bronze/shipments/a.jsonl#" + event["Records"][0]["s3"]["object"]["eTag"]}},
    )["Item"]
    assert item["status"]["S"] == "COMPLETED"
    assert int(item["expires_at"]["N"]) > time.time() + 29 * 86400


def test_ignores_outside_bronze_and_empty_objects(pipeline: Pipeline) -> None:
    outside = pipeline.put("landing/x.jsonl", b'{"a":1}\n')
    empty = pipeline.put("bronze/shipments/empty.jsonl", b"")
    assert pipeline.run_ingest(outside)["ignored"] == 1
    assert pipeline.run_ingest(empty) == {"objects": 0, "units": 0, "enqueued": 0, "skipped": 0, "ignored": 1}


@pytest.mark.parametrize("pipeline_env", [{"WORK_UNIT_BYTES": "4096"}])
def test_large_object_split_into_line_aligned_units_keeps_line_numbers(pipeline: Pipeline, tmp_path: Path) -> None:
    gen = FakeEvents(seed=3)
    lines = [line for line, _ in gen.lines(400)]
    result, messages, failed = pipeline.drain(pipeline.put("bronze/mixed/big.jsonl", jsonl(lines)))
    assert failed == [] and result["units"] == len(messages) > 10
    table = pipeline.silver_table(tmp_path).to_table()
    assert sorted(table.column("_source_line").to_pylist()) == list(range(1, 401))
    by_line = {
        row["_source_line"]: row for row in table.select(["_source_line", "event_time", "record_type"]).to_pylist()
    }
    for number in (1, 137, 400):
        source = json.loads(lines[number - 1])
        assert by_line[number]["record_type"] == source["record_type"]


def test_gzip_json_array_and_mixed_types(pipeline: Pipeline, tmp_path: Path) -> None:
    gen = FakeEvents(seed=5)
    records = [gen.record(t) for t in ("shipments", "tracking_events", "invoice_lines") * 5]
    array_event = pipeline.put("bronze/mixed/array.json", json.dumps(records).encode())
    gz_event = pipeline.put("bronze/mixed/lines.jsonl.gz", gzip.compress(jsonl([json.dumps(r) for r in records])))
    for event in (array_event, gz_event):
        _, _, failed = pipeline.drain(event)
        assert failed == []
    table = pipeline.silver_table(tmp_path).to_table()
    assert table.num_rows == 30
    assert Counter(table.column("record_type").to_pylist()) == {
        "shipments": 10,
        "tracking_events": 10,
        "invoice_lines": 10,
    }
    assert pipeline.quarantine_entries() == []


def test_bad_lines_quarantined_with_reasons_and_good_lines_land(pipeline: Pipeline, tmp_path: Path) -> None:
    good = json.dumps(FakeEvents(seed=9).record("invoice_lines"))
    body = jsonl(
        [
            good,
            '{"record_type": "invoice_lines", "event_time": "2026-01-01T00:00:00Z", "quantity": 0, "invoice_id": "I"}',
            "not json",
            '{"record_type": "parcels", "event_time": "2026-01-01T00:00:00Z"}',
        ]
    )
    _, _, failed = pipeline.drain(pipeline.put("bronze/invoice_lines/dirty.jsonl", body))
    assert failed == []
    assert pipeline.silver_table(tmp_path).to_table().num_rows == 1
    entries = sorted(pipeline.quarantine_entries(), key=lambda e: e["source"]["line"])
    assert [e["source"]["line"] for e in entries] == [2, 3, 4]
    assert "quantity" in entries[0]["reason"] and "greater than or equal to 1" in entries[0]["reason"]
    assert entries[1]["reason"].startswith("invalid JSON")
    assert "unknown record_type 'parcels'" in entries[2]["reason"]
    assert all(e["source"]["key"] == "bronze/invoice_lines/dirty.jsonl" and e["raw"] for e in entries)


def test_unit_whose_object_vanished_is_superseded_not_failed(pipeline: Pipeline, tmp_path: Path) -> None:
    """A version deleted before it was read is skipped (the deletion is newer), its message
    acknowledged rather than dead-lettered; its neighbours in the batch are written."""
    gen = FakeEvents(seed=11)
    keep = pipeline.put("bronze/shipments/keep.jsonl", jsonl([json.dumps(gen.record("shipments"))]))
    gone = pipeline.put("bronze/shipments/gone.jsonl", jsonl([json.dumps(gen.record("shipments"))]))
    pipeline.run_ingest(keep)
    pipeline.run_ingest(gone)
    messages = pipeline.receive_all()
    pipeline.s3.delete_object(Bucket=BRONZE, Key="bronze/shipments/gone.jsonl")
    failed = pipeline.run_transform(messages)
    assert failed == []
    assert pipeline.silver_table(tmp_path).to_table().column("_source_uri").to_pylist() == [
        f"s3://{BRONZE}/bronze/shipments/keep.jsonl"
    ]


def test_undecodable_objects_become_one_quarantine_entry(pipeline: Pipeline) -> None:
    _, _, failed = pipeline.drain(pipeline.put("bronze/shipments/fake.jsonl.gz", b"this is not gzip\n"))
    _, _, failed2 = pipeline.drain(pipeline.put("bronze/shipments/broken.json", b'[{"record_type": "shipments",'))
    assert failed == failed2 == []
    entries = sorted(pipeline.quarantine_entries(), key=lambda e: e["source"]["key"])
    assert [(e["source"]["key"], e["source"]["line"]) for e in entries] == [
        ("bronze/shipments/broken.json", None),
        ("bronze/shipments/fake.jsonl.gz", None),
    ]
    assert entries[0]["reason"].startswith("document is not valid JSON")
    assert entries[1]["reason"].startswith("not a valid gzip stream")


@pytest.mark.parametrize("pipeline_env", [{"EMIT_PARTITION_EVENTS": "true", "PARTITION_CLAIMS_TABLE": TABLE}])
def test_partition_ready_events(pipeline: Pipeline) -> None:
    import boto3

    events = boto3.client("events", region_name="us-east-1")
    sink = pipeline.sqs.create_queue(QueueName="sink")["QueueUrl"]
    sink_arn = pipeline.sqs.get_queue_attributes(QueueUrl=sink, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="ready", EventPattern=json.dumps({"detail-type": ["silver partition ready"]}))
    events.put_targets(Rule="ready", Targets=[{"Id": "sink", "Arn": sink_arn}])
    gen = FakeEvents(seed=21)
    lines = [json.dumps(gen.record("shipments")) for _ in range(20)]
    _, _, failed = pipeline.drain(pipeline.put("bronze/shipments/e.jsonl", jsonl(lines)))
    assert failed == []
    got = pipeline.sqs.receive_message(QueueUrl=sink, MaxNumberOfMessages=10)["Messages"]
    details = [json.loads(m["Body"])["detail"] for m in got]
    assert sum(d["rows"] for d in details) == 20
    assert {d["record_type"] for d in details} == {"shipments"}
    assert all(d["key"].startswith(f"silver/shipments/dt={d['dt']}/") for d in details)
