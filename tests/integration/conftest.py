"""In-process AWS (moto) with the pipeline's resources, and a driver that plays S3 → Lambda → SQS.

The handlers are loaded from their source modules inside the mock, with the environment that
Terraform gives them; the driver delivers S3 notifications to ingest and SQS batches to transform
the way S3 and the event source mapping do (delete on success, keep failed items).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chaos.stack import LambdaContext as FakeContext
from chaos.stack import load_handler

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
BRONZE = "elt-bronze-test"
SILVER = "elt-silver-test"
TABLE = "elt-idempotency-test"


@dataclass
class Pipeline:
    s3: Any
    sqs: Any
    ddb: Any
    queue_url: str
    dlq_url: str
    ingest: ModuleType
    transform: ModuleType
    delivered: list[dict[str, Any]] = field(default_factory=list)  # every message body sent to transform

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        """Upload to bronze and return the S3 notification S3 would send."""
        self.s3.put_object(Bucket=BRONZE, Key=key, Body=body)
        head = self.s3.head_object(Bucket=BRONZE, Key=key)
        return s3_event(BRONZE, key, head["ETag"].strip('"'), head["ContentLength"])

    def run_ingest(self, event: dict[str, Any]) -> dict[str, int]:
        return self.ingest.handler(event, FakeContext(function_name="ingest"))

    def receive_all(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
            batch = got.get("Messages", [])
            if not batch:
                return messages
            for m in batch:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
            messages.extend(batch)

    def run_transform(self, messages: list[dict[str, Any]], batch_size: int = 10) -> list[str]:
        """Deliver messages in ESM-shaped batches; returns the ids reported as failed."""
        failed: list[str] = []
        for i in range(0, len(messages), batch_size):
            batch = messages[i : i + batch_size]
            event = {"Records": [sqs_record(m) for m in batch]}
            self.delivered.extend(r["body"] for r in event["Records"])
            response = self.transform.handler(event, FakeContext(function_name="transform"))
            failed += [f["itemIdentifier"] for f in response["batchItemFailures"]]
        return failed

    def drain(self, event: dict[str, Any]) -> tuple[dict[str, int], list[dict[str, Any]], list[str]]:
        result = self.run_ingest(event)
        messages = self.receive_all()
        return result, messages, self.run_transform(messages)

    def list_keys(self, prefix: str) -> list[str]:
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=SILVER, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def quarantine_entries(self) -> list[dict[str, Any]]:
        entries = []
        for key in self.list_keys("quarantine/"):
            body = self.s3.get_object(Bucket=SILVER, Key=key)["Body"].read().decode()
            entries += [json.loads(line) for line in body.splitlines()]
        return entries

    def silver_table(self, local_dir: Path):  # type: ignore[no-untyped-def]
        """Download silver/ and read it with pyarrow.dataset (hive partitioning)."""
        import pyarrow.dataset as ds

        for key in self.list_keys("silver/"):
            target = local_dir / key
            target.parent.mkdir(parents=True, exist_ok=True)
            self.s3.download_file(SILVER, key, str(target))
        return ds.dataset(str(local_dir / "silver"), format="parquet", partitioning="hive")


def s3_event(bucket: str, key: str, etag: str, size: int, name: str = "ObjectCreated:Put") -> dict[str, Any]:
    from urllib.parse import quote_plus

    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": name,
                "eventTime": "2030-01-01T00:00:00.000Z",
                "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key), "size": size, "eTag": etag}},
            }
        ]
    }


def sqs_record(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events",
        "awsRegion": REGION,
    }


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "elt-test",
        "POWERTOOLS_METRICS_NAMESPACE": "EltTest",
        "POWERTOOLS_DEV": "false",
        "LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def pipeline_env() -> dict[str, str]:
    """Extra handler environment; tests override entries before `pipeline` is built."""
    return {}


@pytest.fixture
def pipeline(aws_env: None, pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    # Step Functions executions run on moto's ASL interpreter (tests/integration/test_workflows.py).
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        ddb = boto3.client("dynamodb", region_name=REGION)
        s3.create_bucket(Bucket=BRONZE)
        s3.create_bucket(Bucket=SILVER)
        dlq_url = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(
            QueueName="events",
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})},
        )["QueueUrl"]
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        env = {"QUEUE_URL": queue_url, "IDEMPOTENCY_TABLE": TABLE, "SILVER_BUCKET": SILVER, **pipeline_env}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield Pipeline(s3, sqs, ddb, queue_url, dlq_url, load_handler("ingest"), load_handler("transform"))
