"""The stream producer's batching and retries (scripts/produce.py), against a fake Kinesis client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scripts import produce


class FlakyKinesis:
    """Fails the first ``failures`` entries of every request, as a throttled shard does."""

    def __init__(self, failures: int = 0, forever: bool = False) -> None:
        self.failures, self.forever = failures, forever
        self.requests: list[list[dict[str, Any]]] = []

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.requests.append(Records)
        failing = self.failures if self.forever or len(self.requests) == 1 else 0
        results = [
            {"ErrorCode": "ProvisionedThroughputExceededException"} if i < failing else {"SequenceNumber": str(i)}
            for i in range(len(Records))
        ]
        return {"FailedRecordCount": min(failing, len(Records)), "Records": results}


def test_batches_hold_at_most_500_records_and_5_mib() -> None:
    small = list(produce.entries(json.dumps({"record_type": "shipments", "shipment_id": f"S{i}"}) for i in range(1201)))
    assert [len(b) for b in produce.batches(small)] == [500, 500, 201]
    big = list(produce.entries(json.dumps({"record_type": "x", "pad": "x" * 600_000}) for _ in range(20)))
    sizes = [sum(len(e["Data"]) + len(e["PartitionKey"]) for e in b) for b in produce.batches(big)]
    assert max(sizes) <= produce.MAX_BATCH_BYTES and sum(len(b) for b in produce.batches(big)) == 20


def test_partition_key_is_the_datasets_key_field() -> None:
    assert produce.partition_key('{"record_type": "shipments", "shipment_id": "SHP-1"}') == "SHP-1"
    assert produce.partition_key('{"record_type": "invoice_lines", "invoice_id": "INV-9"}') == "INV-9"
    assert len(produce.partition_key("not json")) == 32  # random, so bad records spread over shards


def test_failed_entries_are_retried_until_accepted() -> None:
    kinesis, sleeps = FlakyKinesis(failures=3), list[float]()
    lines = list(produce.fake_lines(("shipments",), 10, 0.0, seed=1))
    summary = produce.produce(kinesis, "s", lines, sleep=sleeps.append)
    assert (summary.accepted, summary.rejected, summary.retried) == (10, 0, 3)
    assert len(kinesis.requests[1]) == 3 and len(sleeps) == 1


def test_entries_failing_every_attempt_are_rejected() -> None:
    kinesis = FlakyKinesis(failures=2, forever=True)
    summary = produce.produce(kinesis, "s", ['{"a": 1}'] * 5, sleep=lambda s: None)
    assert (summary.accepted, summary.rejected) == (3, 2)
    assert len(kinesis.requests) == produce.MAX_ATTEMPTS


def test_http_is_not_built_yet(capsys: pytest.CaptureFixture[str]) -> None:
    assert produce.main(["--via", "http"]) == 2
    assert "HTTP ingest is not built" in capsys.readouterr().err
