"""The pipeline's resources in-process (moto), and the real handlers loaded against them.

The handlers are imported from ``lambdas/<name>/app.py`` with the environment Terraform gives
them, exactly as Lambda would; the harness then instruments the clients they created at import
with the fault injector. The harness's own clients (playing S3, the event source mapping and
the operator) are never faulted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "lambdas") not in sys.path:  # `shared` is the Lambda code's top-level package
    sys.path.insert(0, str(ROOT / "lambdas"))

REGION = "us-east-1"
BRONZE = "chaos-bronze"
SILVER = "chaos-silver"
TABLE = "chaos-idempotency"
MAX_RECEIVE_COUNT = 5

#: Fixed settings of every run. The SDK's retries are off so injected faults reach the pipeline.
BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_MAX_ATTEMPTS": "1",
    "AWS_RETRY_MODE": "standard",
    "POWERTOOLS_SERVICE_NAME": "elt-chaos",
    "POWERTOOLS_METRICS_NAMESPACE": "EltChaos",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "LOG_LEVEL": "CRITICAL",
    "SILVER_BUCKET": SILVER,
    "IDEMPOTENCY_TABLE": TABLE,
    # A crashed ingest's claim blocks its retries this long: short, so a run waits seconds.
    "IN_PROGRESS_EXPIRY_SECONDS": "1",
}


@dataclass
class LambdaContext:
    """What the handlers read from the Lambda context object."""

    function_name: str
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:chaos"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def load_handler(name: str) -> ModuleType:
    """Import ``lambdas/<name>/app.py`` as a fresh module: its clients bind to the active mock."""
    path = ROOT / "lambdas" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"chaos_handler_{name}_{uuid.uuid4().hex}", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class InProcessStack:
    """Buckets, the work-unit queue with its DLQ, the ingest DLQ and the idempotency table."""

    s3: Any
    sqs: Any
    ddb: Any
    queue_url: str
    dlq_url: str
    ingest_dlq_url: str
    env: dict[str, str]


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in [*values, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update(values)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def in_process_stack(extra_env: dict[str, str], *, versioned_bronze: bool = False) -> Iterator[InProcessStack]:
    """A fresh emulated account for one run; the environment is restored afterwards."""
    # QUEUE_URL is known once the queue exists; listing it here restores the caller's value after.
    with _environment({**BASE_ENV, **extra_env, "QUEUE_URL": ""}), mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        ddb = boto3.client("dynamodb", region_name=REGION)
        for bucket in (BRONZE, SILVER):
            s3.create_bucket(Bucket=bucket)
        if versioned_bronze:
            s3.put_bucket_versioning(Bucket=BRONZE, VersioningConfiguration={"Status": "Enabled"})
        dlq_url = sqs.create_queue(QueueName="chaos-events-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
        queue_url = sqs.create_queue(QueueName="chaos-events", Attributes={"RedrivePolicy": json.dumps(redrive)})[
            "QueueUrl"
        ]
        ingest_dlq_url = sqs.create_queue(QueueName="chaos-ingest-dlq")["QueueUrl"]
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        os.environ["QUEUE_URL"] = queue_url
        env = {**BASE_ENV, **extra_env, "QUEUE_URL": queue_url}
        yield InProcessStack(s3, sqs, ddb, queue_url, dlq_url, ingest_dlq_url, env)
