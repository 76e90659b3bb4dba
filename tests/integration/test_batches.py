"""The commit protocol, read the way an analyst reads silver: whole files through the S3 API.

Batch-owned files, one claim per unit, retraction by lineage (``elt/batch.py``, ``elt/ledger.py``):
redeliveries add nothing, replays recompute in place, overwrites supersede, a crashed batch is
taken over without losing or doubling a row.
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from typing import Any

import pyarrow.parquet as pq
import pytest

from elt import batch as batch_module
from scripts.gen_fake_events import FakeEvents
from tests.integration.conftest import BRONZE, SILVER, TABLE, Pipeline

pytestmark = pytest.mark.usefixtures("aws_env")


TYPES = ("shipments", "tracking_events", "invoice_lines")


def jsonl(gen: FakeEvents, count: int) -> bytes:
    return "".join(json.dumps(gen.record(TYPES[i % 3])) + "\n" for i in range(count)).encode()


def silver_rows(pipeline: Pipeline) -> list[dict[str, Any]]:
    rows = []
    for key in pipeline.list_keys("silver/"):
        body = pipeline.s3.get_object(Bucket=SILVER, Key=key)["Body"].read()
        rows += pq.read_table(io.BytesIO(body)).to_pylist()
    return rows


def identities(rows: list[dict[str, Any]]) -> Counter[tuple[str, str, int]]:
    return Counter((r["_source_uri"], r["_source_version"], r["_source_line"]) for r in rows)


def without_ingested_at(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k != "_ingested_at")) for r in rows)


def upload(pipeline: Pipeline, count: int, records: int = 20, seed: int = 3) -> list[dict[str, Any]]:
    """``count`` small objects; returns their work-unit messages (ingested, not yet transformed)."""
    gen = FakeEvents(seed=seed)
    for i in range(count):
        pipeline.run_ingest(pipeline.put(f"bronze/shipments/small-{i:04d}.jsonl", jsonl(gen, records)))
    return pipeline.receive_all()


def as_replay(messages: list[dict[str, Any]], run: str) -> list[dict[str, Any]]:
    return [{**m, "Body": json.dumps({**json.loads(m["Body"]), "replay": run})} for m in messages]


def test_small_objects_land_in_one_file_per_partition(pipeline: Pipeline) -> None:
    messages = upload(pipeline, 50)
    assert pipeline.run_transform(messages, batch_size=100) == []
    rows = silver_rows(pipeline)
    assert (
        len(rows)
        == sum(identities(rows).values())
        == len(identities(rows))
        == 50 * 20 - len(pipeline.quarantine_entries())
    )
    partitions = {(r["record_type"], r["event_time"].date()) for r in rows}
    assert len(pipeline.list_keys("silver/")) == len(partitions)  # one batch: one file per partition
    batch = pipeline.ddb.scan(TableName=TABLE, FilterExpression="begins_with(pk, :b)",
                              ExpressionAttributeValues={":b": {"S": "batch#"}})["Items"]  # fmt: skip
    assert [b["status"]["S"] for b in batch] == ["COMMITTED"]


def test_redelivered_units_add_nothing(pipeline: Pipeline) -> None:
    messages = upload(pipeline, 10)
    pipeline.run_transform(messages, batch_size=100)
    keys, rows = pipeline.list_keys(""), silver_rows(pipeline)
    assert pipeline.run_transform(messages + messages[:3], batch_size=7) == []
    assert pipeline.list_keys("silver/") == [k for k in keys if k.startswith("silver/")]
    assert without_ingested_at(silver_rows(pipeline)) == without_ingested_at(rows)


def test_replays_recompute_in_place_and_never_append(pipeline: Pipeline) -> None:
    messages = upload(pipeline, 30)
    pipeline.run_transform(messages, batch_size=10)
    first, quarantined = silver_rows(pipeline), pipeline.quarantine_entries()
    for run in ("replay-1", "replay-2"):
        assert pipeline.run_transform(as_replay(messages, run), batch_size=13) == []
        rows = silver_rows(pipeline)
        assert max(identities(rows).values()) == 1
        assert without_ingested_at(rows) == without_ingested_at(first)
        assert len(pipeline.quarantine_entries()) == len(quarantined)
    # The same replay delivered again is a redelivery: nothing changes.
    keys = pipeline.list_keys("silver/")
    assert pipeline.run_transform(as_replay(messages, "replay-2"), batch_size=100) == []
    assert pipeline.list_keys("silver/") == keys


def test_a_replay_moves_lines_between_quarantine_and_silver_once(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = upload(pipeline, 5)
    strict = pipeline.transform.settings.__class__(
        **{**pipeline.transform.settings.__dict__, "event_time_min": "2100-01-01"}
    )
    monkeypatch.setattr(pipeline.transform, "settings", strict)  # a contract that rejects everything
    pipeline.run_transform(messages, batch_size=100)
    assert silver_rows(pipeline) == [] and len(pipeline.quarantine_entries()) == 100
    monkeypatch.undo()  # the contract is fixed: a replay moves the lines to silver
    pipeline.run_transform(as_replay(messages, "after-fix"), batch_size=100)
    rows = silver_rows(pipeline)
    assert len(rows) + len(pipeline.quarantine_entries()) == 100
    assert max(identities(rows).values()) == 1
    assert all("event_time" not in e["reason"] or "2100" not in e["reason"] for e in pipeline.quarantine_entries())


def test_an_overwrite_supersedes_the_old_version(pipeline: Pipeline) -> None:
    gen = FakeEvents(seed=5)
    key = "bronze/shipments/daily.jsonl"
    pipeline.drain(pipeline.put(key, jsonl(gen, 30)))
    old = {r["_source_version"] for r in silver_rows(pipeline)}
    new_event = pipeline.put(key, jsonl(gen, 12))
    pipeline.drain(new_event)
    rows = silver_rows(pipeline)
    versions = {r["_source_version"] for r in rows}
    assert versions == {new_event["Records"][0]["s3"]["object"]["eTag"]} and not versions & old
    assert len(rows) + len(pipeline.quarantine_entries()) == 12
    assert all(e["source"]["version"] in versions for e in pipeline.quarantine_entries())


def test_an_old_version_arriving_after_the_new_one_is_superseded(pipeline: Pipeline) -> None:
    gen = FakeEvents(seed=6)
    key = "bronze/shipments/late.jsonl"
    pipeline.run_ingest(pipeline.put(key, jsonl(gen, 10)))
    old_messages = pipeline.receive_all()
    # The key is overwritten (on a versioned bucket the old version stays readable) and the new
    # version is transformed first.
    pipeline.s3.put_bucket_versioning(Bucket=BRONZE, VersioningConfiguration={"Status": "Enabled"})
    pipeline.drain(pipeline.put(key, jsonl(gen, 4)))
    rows = silver_rows(pipeline)
    assert pipeline.run_transform(old_messages) == []  # acknowledged: superseded, not failed
    assert without_ingested_at(silver_rows(pipeline)) == without_ingested_at(rows)


def test_a_crashed_batch_is_taken_over_without_loss_or_doubling(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = upload(pipeline, 12)
    ledger = pipeline.transform.ledger

    def crash(batch_id: str) -> None:
        raise RuntimeError("killed after uploading, before committing")

    monkeypatch.setattr(ledger, "commit", crash)
    monkeypatch.setattr(batch_module, "_abort_own", lambda *a, **k: None)  # a killed process cleans nothing
    with pytest.raises(RuntimeError, match="killed"):
        pipeline.run_transform(messages, batch_size=100)
    orphans = pipeline.list_keys("silver/")
    assert orphans  # uploaded but never committed
    monkeypatch.undo()

    # Within the lease the units are busy (retried later), never written twice.
    assert len(pipeline.run_transform(messages[:4], batch_size=100)) == 4
    # After the lease: the dead batch is aborted, its files deleted, the units taken over.
    monkeypatch.setattr(ledger, "clock", lambda: time.time() + 3600)
    assert pipeline.run_transform(messages, batch_size=100) == []
    rows = silver_rows(pipeline)
    assert not set(orphans) & set(pipeline.list_keys("silver/"))
    assert max(identities(rows).values()) == 1
    assert len(rows) + len(pipeline.quarantine_entries()) == 12 * 20


def test_units_over_the_byte_budget_go_back_as_new_messages(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handed back as new messages (their receive counts start again), not as failures that would
    use up receives and reach the DLQ without having failed."""
    messages = upload(pipeline, 6)
    small = pipeline.transform.settings.__class__(**{**pipeline.transform.settings.__dict__, "batch_max_bytes": 1})
    monkeypatch.setattr(pipeline.transform, "settings", small)
    assert pipeline.run_transform(messages, batch_size=100) == []  # the first unit is always taken
    requeued = pipeline.receive_all()
    assert len(requeued) == 5
    assert {json.loads(m["Body"])["key"] for m in requeued} == {json.loads(m["Body"])["key"] for m in messages[1:]}
    assert pipeline.run_transform(requeued, batch_size=1) == []
    assert len(identities(silver_rows(pipeline))) + len(pipeline.quarantine_entries()) == 6 * 20


def test_a_gzip_unit_counts_for_its_inflated_size_in_the_budget() -> None:
    from dataclasses import replace

    from elt.batch import GZIP_BUDGET_FACTOR, within_budget
    from elt.work_units import WorkUnit

    plain = WorkUnit(bucket="b", key="k.jsonl", etag="e", version_id=None, size=100, dataset="d", format="jsonl",
                     compression=None, index=0, count=1, start=0, end=100, first_line=1, line_count=None,
                     object_time=None, planned_at="2030-01-01T00:00:00+00:00")  # fmt: skip
    zipped = replace(plain, key="k.jsonl.gz", compression="gzip")
    assert within_budget([plain] * 10, 1000) == 10
    assert within_budget([zipped] * 10, 1000) == 1000 // (100 * GZIP_BUDGET_FACTOR)
    assert within_budget([zipped], 1) == 1  # the first unit is always taken


@pytest.mark.parametrize("pipeline_env", [{"WORK_UNIT_BYTES": "2048"}])
def test_a_replay_cut_differently_replaces_the_old_cut_without_doubling(pipeline: Pipeline) -> None:
    """WORK_UNIT_BYTES changed between ingest and a replay: the replay's ranges overlap the old
    ones; its units take them over (old rows retracted) instead of adding rows next to them."""
    from elt.config import IngestSettings
    from elt.ingest import plan_units
    from elt.s3_events import ObjectRef

    gen = FakeEvents(seed=8)
    event = pipeline.put("bronze/shipments/big.jsonl", jsonl(gen, 120))
    _, original, failed = pipeline.drain(event)
    assert failed == [] and len(original) > 3  # cut in 2 KiB units
    before = silver_rows(pipeline)
    entries = len(pipeline.quarantine_entries())
    head = pipeline.s3.head_object(Bucket=BRONZE, Key="bronze/shipments/big.jsonl")
    ref = ObjectRef(BRONZE, "bronze/shipments/big.jsonl", head["ETag"].strip('"'), head["ContentLength"],
                    event_time=event["Records"][0]["eventTime"])  # fmt: skip
    recut = plan_units(ref, s3=pipeline.s3, settings=IngestSettings(queue_url="q", idempotency_table="t",
                                                                    work_unit_bytes=5000), replay="recut")  # fmt: skip
    assert 1 < len(recut) < len(original)
    messages = [
        {"MessageId": f"r{i}", "ReceiptHandle": f"h{i}", "Body": u.to_message(), "MD5OfBody": ""}
        for i, u in enumerate(recut)
    ]
    assert pipeline.run_transform(messages, batch_size=1) == []
    rows = silver_rows(pipeline)
    assert max(identities(rows).values()) == 1
    assert without_ingested_at(rows) == without_ingested_at(before)
    assert len(pipeline.quarantine_entries()) == entries
    # A late delivery of the old cut is answered "done": its lines are held by the new cut.
    assert pipeline.run_transform(original[:2], batch_size=10) == []
    assert without_ingested_at(silver_rows(pipeline)) == without_ingested_at(before)


def test_a_unit_whose_object_cannot_be_read_fails_alone(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """AccessDenied (or throttling, a 5xx) reading one object fails that unit's message only: its
    claim is given back for the retry, and the batch's other units are written."""
    from botocore.exceptions import ClientError

    messages = upload(pipeline, 4)
    denied_key = "bronze/shipments/small-0002.jsonl"
    get_object = pipeline.transform.s3.get_object

    def deny_one(**kwargs: Any) -> Any:
        if kwargs["Key"] == denied_key:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "GetObject")
        return get_object(**kwargs)

    monkeypatch.setattr(pipeline.transform.s3, "get_object", deny_one)
    failed = pipeline.run_transform(messages, batch_size=100)
    denied = [m["MessageId"] for m in messages if json.loads(m["Body"])["key"] == denied_key]
    assert failed == denied
    written = {r["_source_uri"] for r in silver_rows(pipeline)}
    assert written == {f"s3://{BRONZE}/bronze/shipments/small-{i:04d}.jsonl" for i in (0, 1, 3)}

    monkeypatch.undo()  # the retry reads it: the claim was given back
    assert pipeline.run_transform([m for m in messages if m["MessageId"] in denied], batch_size=100) == []
    rows = silver_rows(pipeline)
    assert max(identities(rows).values()) == 1
    assert len(rows) + len(pipeline.quarantine_entries()) == 4 * 20
