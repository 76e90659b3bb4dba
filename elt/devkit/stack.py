"""The pipeline's resources in a moto account, and the environment Terraform gives the handlers.

One definition for the integration tests, the bench and the chaos harness: the two buckets, the
work-unit queue with its DLQ (redrive after ``max_receive_count`` receives), the ingest DLQ and
the idempotency table with TTL on ``expires_at`` — what ``modules/pipeline`` creates on AWS.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto import mock_aws

REGION = "us-east-1"

#: Dummy credentials for the in-process account (moto accepts any); no endpoint, no profile.
MOCK_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
#: Variables that would send the SDK elsewhere than the mock.
_UNSET = ("AWS_ENDPOINT_URL", "AWS_PROFILE")


@dataclass(frozen=True)
class StackNames:
    """Names of one in-process stack's resources (a prefix keeps stacks apart in reports)."""

    prefix: str

    @property
    def bronze(self) -> str:
        return f"{self.prefix}-bronze"

    @property
    def silver(self) -> str:
        return f"{self.prefix}-silver"

    @property
    def table(self) -> str:
        return f"{self.prefix}-idempotency"


@dataclass
class InProcessStack:
    names: StackNames
    s3: Any
    sqs: Any
    ddb: Any
    queue_url: str
    queue_arn: str
    dlq_url: str
    ingest_dlq_url: str
    #: The handlers' whole environment while the stack is active (set by ``in_process_stack``).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def bronze(self) -> str:
        return self.names.bronze

    @property
    def silver(self) -> str:
        return self.names.silver

    def handler_env(self) -> dict[str, str]:
        """The resource settings Terraform gives ingest and transform."""
        return {"QUEUE_URL": self.queue_url, "IDEMPOTENCY_TABLE": self.names.table, "SILVER_BUCKET": self.silver}


@contextmanager
def environment(values: dict[str, str], unset: tuple[str, ...] = ()) -> Iterator[None]:
    """Set ``values`` (and remove ``unset``) in ``os.environ``; restore everything afterwards."""
    saved = {name: os.environ.get(name) for name in [*values, *unset]}
    for name in unset:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def mock_account_env(extra: dict[str, str] | None = None) -> Iterator[None]:
    """The environment of a handler in the mocked account: dummy credentials, no endpoint."""
    with environment({**MOCK_ENV, **(extra or {})}, unset=_UNSET):
        yield


def create_stack(
    session: Any,
    names: StackNames,
    *,
    max_receive_count: int = 5,
    visibility_timeout: int | None = None,
    versioned_bronze: bool = False,
) -> InProcessStack:
    """Create the pipeline's resources with ``session`` (a boto3 session or the boto3 module)
    inside an active ``mock_aws``."""
    s3 = session.client("s3", region_name=REGION)
    sqs = session.client("sqs", region_name=REGION)
    ddb = session.client("dynamodb", region_name=REGION)
    for bucket in (names.bronze, names.silver):
        s3.create_bucket(Bucket=bucket)
    if versioned_bronze:
        s3.put_bucket_versioning(Bucket=names.bronze, VersioningConfiguration={"Status": "Enabled"})
    dlq_url = sqs.create_queue(QueueName=f"{names.prefix}-events-dlq")["QueueUrl"]
    redrive = {"deadLetterTargetArn": _queue_arn(sqs, dlq_url), "maxReceiveCount": str(max_receive_count)}
    attributes = {"RedrivePolicy": json.dumps(redrive)}
    if visibility_timeout is not None:
        attributes["VisibilityTimeout"] = str(visibility_timeout)
    queue_url = sqs.create_queue(QueueName=f"{names.prefix}-events", Attributes=attributes)["QueueUrl"]
    ingest_dlq_url = sqs.create_queue(QueueName=f"{names.prefix}-ingest-dlq")["QueueUrl"]
    ddb.create_table(
        TableName=names.table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_time_to_live(
        TableName=names.table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    return InProcessStack(names, s3, sqs, ddb, queue_url, _queue_arn(sqs, queue_url), dlq_url, ingest_dlq_url)


def _queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


@contextmanager
def in_process_stack(
    names: StackNames,
    handler_env: dict[str, str] | None = None,
    *,
    mock_config: dict[str, Any] | None = None,
    **create_kwargs: Any,
) -> Iterator[InProcessStack]:
    """A fresh mocked account with the stack, and ``os.environ`` set as Terraform would set the
    handlers' (credentials, resource names, ``handler_env``) until the block ends."""
    handler_env = handler_env or {}
    with mock_account_env(handler_env), mock_aws(config=mock_config):  # type: ignore[arg-type]
        stack = create_stack(boto3, names, **create_kwargs)
        stack.env = {**MOCK_ENV, **stack.handler_env(), **handler_env}
        with environment(stack.env):
            yield stack
