"""Duplicate notifications and duplicate deliveries through the real workers of the local cloud.

The in-process harness (chaos/, `make chaos`) covers the fault matrix; this checks the same
exactly-once effect where the local runtime drives the triggers Terraform declared: S3 invokes
ingest while three more notifications of the same object version arrive at once, and then every
claim-check message of the object is delivered twice more (published again with the ingest's
own planning functions, bypassing the idempotency table, but not marked as a replay). Silver's
ledger answers those "done": once the queue has drained, the object's rows (found by lineage,
``_source_uri`` and ``_source_version``, in whichever batch files hold them) are exactly the rows
of the first delivery, not recomputed, and the ledger still names the same batches.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from elt.config import IngestSettings
from elt.devkit.events import s3_object_created
from elt.devkit.silver_audit import wait_until_drained
from elt.ingest import plan_units, send_units
from elt.layout import source_record_key
from elt.queues import queue_depth
from elt.s3_events import ObjectRef
from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import LocalStack
from tests.e2e.test_local_cloud import Source, quarantine_entries, silver_of, silver_rows, source_of


def _rows(stack: LocalStack, source: Source) -> Counter[str]:
    """The object's silver rows, each whole (lineage and ``_ingested_at`` included), with multiplicity."""
    silver = silver_of(stack, {source})
    return Counter(_canonical(row) for part in silver.parts for row in part.table.to_pylist())


def _entries(stack: LocalStack, source: Source) -> Counter[str]:
    return Counter(_canonical(entry) for entry in quarantine_entries(stack, {source}))


def _canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _claims(stack: LocalStack, bucket: str, key: str) -> dict[str, Any]:
    """The ledger's source record of the key: its version and the batch holding each unit's rows."""
    item = stack.client("dynamodb").get_item(
        TableName=stack.outputs["idempotency_table_name"], Key={"pk": {"S": source_record_key(bucket, key)}}
    )["Item"]
    return {k: v for k, v in item.items() if k == "version" or k.startswith("u:")}


def test_duplicate_notifications_and_deliveries_write_each_line_once(local_stack: LocalStack) -> None:
    s3, sqs, lam = (local_stack.client(name) for name in ("s3", "sqs", "lambda"))
    bronze, ingest = local_stack.outputs["bronze_bucket"], local_stack.outputs["ingest_lambda"]
    lines = list(FakeEvents(seed=303).lines(2000, invalid_rate=0.02))
    body = "".join(line + "\n" for line, _ in lines).encode()
    key = "bronze/mixed/chaos-local.jsonl"
    put = s3.put_object(Bucket=bronze, Key=key, Body=body)  # S3 notifies ingest
    etag, source = put["ETag"].strip('"'), source_of(bronze, key, put)
    event = json.dumps(s3_object_created(bronze, key, etag=etag, size=len(body))).encode()
    for _ in range(3):  # the same notification, again, at the same time
        lam.invoke(FunctionName=ingest, InvocationType="Event", Payload=event)

    expected = Counter(json.loads(line)["record_type"] for line, ok in lines if ok)
    invalid = sum(not ok for _, ok in lines)
    local_stack.wait_for(lambda: silver_rows(local_stack, {source}) == expected, what=f"silver rows {dict(expected)}")
    local_stack.wait_for(
        lambda: len(quarantine_entries(local_stack, {source})) == invalid, what=f"{invalid} quarantine entries"
    )
    queue_url, dlq_url = local_stack.outputs["queue_url"], local_stack.outputs["dlq_url"]
    assert wait_until_drained(sqs, queue_url, timeout=120), "the duplicate notifications' units never drained"
    rows, entries, claims = (
        _rows(local_stack, source),
        _entries(local_stack, source),
        _claims(local_stack, bronze, key),
    )
    assert sum(rows.values()) == expected.total() and set(rows.values()) == {1}, "a line landed twice"
    dead = queue_depth(sqs, dlq_url).total

    # Every unit delivered twice more, with the deployed function's own unit size.
    environment = lam.get_function_configuration(FunctionName=ingest)["Environment"]["Variables"]
    settings = IngestSettings.from_env(environment)
    units = plan_units(ObjectRef(bronze, key, etag, len(body)), s3=s3, settings=settings)
    send_units(units * 2, sqs=sqs, queue_url=queue_url, attempts=settings.send_attempts)
    assert wait_until_drained(sqs, queue_url, timeout=180), "the redelivered units never drained"
    assert queue_depth(sqs, dlq_url).total == dead, "redelivered units went to the DLQ instead of being answered"
    assert _rows(local_stack, source) == rows, "redelivered units duplicated, lost or recomputed rows"
    assert _entries(local_stack, source) == entries, "redelivered units changed the quarantine entries"
    assert _claims(local_stack, bronze, key) == claims, "redelivered units moved the object's rows to other batches"
    table = local_stack.client("dynamodb")
    item = table.get_item(
        TableName=local_stack.outputs["idempotency_table_name"], Key={"pk": {"S": f"s3://{bronze}/{key}#{etag}"}}
    )["Item"]
    assert item["status"]["S"] == "COMPLETED" and int(item["result"]["M"]["units"]["N"]) == len(units)
