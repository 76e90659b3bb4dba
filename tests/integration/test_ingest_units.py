"""Ingest internals against moto: idempotency protocol and enqueue retries."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from elt.idempotency import IdempotencyStore
from elt.ingest import EnqueueError, send_units
from elt.work_units import WorkUnit


@pytest.fixture
def store(aws_env: None) -> Any:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield IdempotencyStore("t", ttl_seconds=1000, in_progress_expiry_seconds=60, client=ddb)


def test_claim_protocol(store: IdempotencyStore) -> None:
    assert store.claim("s3://b/k#e", now=1000) == "claimed"
    assert store.claim("s3://b/k#e", now=1030) == "in_progress"  # a live attempt holds it
    assert store.claim("s3://b/k#e", now=1061) == "claimed"  # the crashed attempt expired
    store.complete("s3://b/k#e", {"units": 2})
    assert store.claim("s3://b/k#e", now=1100) == "completed"
    assert store.claim("s3://b/k#e", now=2100) == "claimed"  # past its TTL, before DynamoDB deleted it
    store.release("s3://b/k#e")
    assert store.claim("s3://b/k#e", now=2101) == "claimed"


class FlakySqs:
    """Fails the first entry of each call a number of times, like SQS partial batch failures."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        failed = []
        for entry in Entries:
            if self.failures and entry is Entries[0]:
                self.failures -= 1
                failed.append({"Id": entry["Id"], "Code": "InternalError", "SenderFault": False})
            else:
                self.sent.append(entry["MessageBody"])
        return {"Successful": [], "Failed": failed}


PLANNED = "2026-01-01T00:00:00+00:00"


def units(n: int) -> list[WorkUnit]:
    return [
        WorkUnit("b", "k", "e", None, 10 * n, "d", "jsonl", None, i, n, 10 * i, 10 * i + 10, 1, None, None, PLANNED)
        for i in range(n)
    ]


def test_send_retries_only_failed_entries() -> None:
    sqs = FlakySqs(failures=2)
    send_units(units(12), sqs=sqs, queue_url="q", attempts=4)
    assert len(sqs.sent) == 12 and len(set(sqs.sent)) == 12


def test_send_raises_when_entries_keep_failing() -> None:
    with pytest.raises(EnqueueError, match="1 work units not enqueued after 2 attempts"):
        send_units(units(3), sqs=FlakySqs(failures=5), queue_url="q", attempts=2)
