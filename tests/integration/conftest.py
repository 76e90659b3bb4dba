"""In-process AWS (moto) with the pipeline's resources, and a driver that plays S3 → Lambda → SQS.

The handlers are loaded from their source modules inside the mock, with the environment that
Terraform gives them; the driver delivers S3 notifications to ingest and SQS batches to transform
the way S3 and the event source mapping do (delete on success, keep failed items).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from elt.devkit.events import s3_object_created_from_head, sqs_record_from_message
from elt.devkit.handlers import LambdaContext, load_handler
from elt.devkit.stack import REGION, InProcessStack, StackNames, in_process_stack

ROOT = Path(__file__).resolve().parents[2]
NAMES = StackNames("elt-test")
BRONZE, SILVER, TABLE = NAMES.bronze, NAMES.silver, NAMES.table
#: The write time the tests' notifications report: fixed, so the corpus's event-time window
#: (at most EVENT_TIME_MAX_FUTURE_SECONDS after the write) does not move with the clock.
OBJECT_TIME = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass
class Pipeline:
    stack: InProcessStack
    ingest: ModuleType
    transform: ModuleType
    delivered: list[dict[str, Any]] = field(default_factory=list)  # every message body sent to transform

    @property
    def s3(self) -> Any:
        return self.stack.s3

    @property
    def sqs(self) -> Any:
        return self.stack.sqs

    @property
    def ddb(self) -> Any:
        return self.stack.ddb

    @property
    def queue_url(self) -> str:
        return self.stack.queue_url

    @property
    def dlq_url(self) -> str:
        return self.stack.dlq_url

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        """Upload to bronze and return the S3 notification S3 would send."""
        self.s3.put_object(Bucket=BRONZE, Key=key, Body=body)
        head = self.s3.head_object(Bucket=BRONZE, Key=key)
        return s3_object_created_from_head(BRONZE, key, head, event_time=OBJECT_TIME)

    def run_ingest(self, event: dict[str, Any]) -> dict[str, int]:
        return self.ingest.handler(event, LambdaContext(function_name="ingest"))

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
            event = {"Records": [sqs_record_from_message(m, self.stack.queue_arn) for m in batch]}
            self.delivered.extend(r["body"] for r in event["Records"])
            response = self.transform.handler(event, LambdaContext(function_name="transform"))
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
def pipeline(aws_env: None, pipeline_env: dict[str, str]) -> Iterator[Pipeline]:
    # Step Functions executions run on moto's ASL interpreter (tests/integration/test_workflows.py).
    with in_process_stack(NAMES, pipeline_env, mock_config={"stepfunctions": {"execute_state_machine": True}}) as stack:
        yield Pipeline(stack, load_handler("ingest"), load_handler("transform"))
