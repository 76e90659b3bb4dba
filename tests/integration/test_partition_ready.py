"""After a batch: debounced "partition ready" events and direct catalog registration (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from elt.batch import BatchResult
from elt.config import TransformSettings
from elt.layout import new_batch_id
from elt.partition_ready import CatalogRegistrar, PartitionPublisher
from elt.records import Validator
from tests.integration.conftest import REGION, SILVER, TABLE, Pipeline


def result(*partitions: tuple[str, str]) -> BatchResult:
    return BatchResult(new_batch_id(datetime(2024, 6, 1, tzinfo=UTC)), partitions={p: 5 for p in partitions})


@pytest.fixture
def event_inbox(pipeline: Pipeline) -> Any:
    """Every "partition ready" event on the default bus lands in an SQS queue."""
    events = boto3.client("events", region_name=REGION)
    inbox = pipeline.sqs.create_queue(QueueName="partition-events")["QueueUrl"]
    arn = pipeline.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="ready", EventPattern=json.dumps({"detail-type": ["silver partition ready"]}))
    events.put_targets(Rule="ready", Targets=[{"Id": "inbox", "Arn": arn}])

    def received() -> list[dict[str, Any]]:
        got = pipeline.sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
        for m in got:
            pipeline.sqs.delete_message(QueueUrl=inbox, ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"])["detail"] for m in got]

    return received


def announcer(clock: list[float], debounce: int = 300) -> PartitionPublisher:
    settings = TransformSettings.from_env({
        "SILVER_BUCKET": SILVER, "IDEMPOTENCY_TABLE": TABLE, "EMIT_PARTITION_EVENTS": "true",
        "PARTITION_CLAIMS_TABLE": TABLE, "PARTITION_EVENT_DEBOUNCE_SECONDS": str(debounce),
    })  # fmt: skip
    return PartitionPublisher(
        settings,
        events=boto3.client("events", region_name=REGION),
        dynamodb=boto3.client("dynamodb", region_name=REGION),
        clock=lambda: clock[0],
    )


def test_a_burst_into_one_partition_announces_once_per_window(pipeline: Pipeline, event_inbox: Any) -> None:
    clock = [1_700_000_000.0]
    announce = announcer(clock)
    for _ in range(5):  # five batches land in the same partition within the window
        announce(result(("shipments", "2024-06-01")))
        clock[0] += 10
    announce(result(("shipments", "2024-06-02")))  # another partition
    details = event_inbox()
    announced = sorted((d["record_type"], d["dt"]) for d in details)
    assert announced == [("shipments", "2024-06-01"), ("shipments", "2024-06-02")]
    assert all(d["quiet_seconds"] == 300 for d in details)

    clock[0] += 300  # the window has passed: the next write announces again
    announce(result(("shipments", "2024-06-01")))
    assert [d["key"].rsplit("/", 2)[1] for d in event_inbox()] == ["dt=2024-06-01"]
    claim = pipeline.ddb.get_item(TableName=TABLE, Key={"pk": {"S": "partition-ready#silver/shipments/dt=2024-06-01"}})
    assert int(claim["Item"]["expires_at"]["N"]) == int(clock[0]) + 300  # TTL cleans the claims up


def test_without_debounce_every_batch_announces(pipeline: Pipeline, event_inbox: Any) -> None:
    announce = announcer([0.0], debounce=0)
    for _ in range(3):
        announce(result(("shipments", "2024-06-01")))
    assert len(event_inbox()) == 3


def test_registration_creates_tables_and_partitions_once(pipeline: Pipeline) -> None:
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "silver_db"})
    schemas = Validator().schemas
    registrar = CatalogRegistrar(glue, "silver_db", SILVER, "silver", schemas)
    parts = [("shipments", "2024-06-01"), ("shipments", "2024-06-02"), ("invoice_lines", "2024-06-01")]
    assert registrar.register(parts) == 3
    assert registrar.register(parts) == 0  # known to this process: no calls
    # A fresh process (another Lambda container) finds them registered already.
    assert CatalogRegistrar(glue, "silver_db", SILVER, "silver", schemas).register(parts) == 0

    table = glue.get_table(DatabaseName="silver_db", Name="shipments")["Table"]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns["event_time"] == "timestamp" and columns["_source_line"] == "bigint"
    partitions = glue.get_partitions(DatabaseName="silver_db", TableName="shipments")["Partitions"]
    assert sorted(p["StorageDescriptor"]["Location"] for p in partitions) == [
        f"s3://{SILVER}/silver/shipments/dt=2024-06-01/",
        f"s3://{SILVER}/silver/shipments/dt=2024-06-02/",
    ]
