"""The local cloud's SQS event source mapping (localcloud/runtime.py SqsPoller) against moto's
backends in-process, with a recording function instead of a worker.

Lambda's pollers, as AWS documents them: a batch grows until it holds BatchSize messages, the
batching window (MaximumBatchingWindowInSeconds) has passed, or the event would exceed the 6 MB
invocation payload limit; without a window a batch is one receive. An update of the mapping applies
to the next batch. Every message is delivered, once, whatever cut the batch.
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Queue

from localcloud.lambda_runtime import InvokeResult
from localcloud.runtime import MAX_SYNC_PAYLOAD_BYTES, SQS_POLLER_ACTIONS, SqsPoller
from localcloud.settings import ACCOUNT_ID, REGION
from scripts.build_lambdas import runtime as lambda_runtime

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/poller-test"
#: The function's role: Lambda may assume it, and it may do what Lambda's poller does with the queue.
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
POLL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": SQS_POLLER_ACTIONS, "Resource": "*"}]}


@dataclass
class Recorder:
    """Stands in for the runtime: records every invocation's payload and answers success."""

    settings: Any = field(default_factory=lambda: SimpleNamespace(region=REGION))
    stopping: threading.Event = field(default_factory=threading.Event)
    payloads: list[bytes] = field(default_factory=list)

    def invoke(self, fn: Any, payload: bytes) -> InvokeResult:
        self.payloads.append(payload)
        return InvokeResult(payload=b"null")

    def bodies(self, index: int) -> list[str]:
        return [r["body"] for r in json.loads(self.payloads[index])["Records"]]


@dataclass
class Mapping:
    sqs: Any
    lam: Any
    queue_url: str
    uuid: str
    poller: SqsPoller
    runtime: Recorder

    def send(self, bodies: list[str]) -> None:
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def update(self, **settings: Any) -> None:
        self.lam.update_event_source_mapping(UUID=self.uuid, **settings)

    def timed_poll(self) -> float:
        started = time.monotonic()
        assert self.poller._poll_once()
        return time.monotonic() - started

    def left_in_queue(self) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def mapping(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mapping]:
    # As on the emulator: moto's own inline delivery on SendMessage is off, the poller delivers.
    monkeypatch.setattr(
        Queue, "lambda_event_source_mappings", property(lambda self: {}, lambda self, value: None), raising=False
    )
    with mock_aws():
        iam, lam, sqs = (boto3.client(s, region_name=REGION) for s in ("iam", "lambda", "sqs"))
        iam.create_role(RoleName="poller-test", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.put_role_policy(RoleName="poller-test", PolicyName="poll", PolicyDocument=json.dumps(POLL))
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as zf:
            zf.writestr("app.py", "def handler(event, context):\n    return None\n")
        fn = lam.create_function(FunctionName="consumer", Runtime=lambda_runtime()["runtime"], Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": code.getvalue()})  # fmt: skip
        url = sqs.create_queue(QueueName="units", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        esm = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn["FunctionArn"], BatchSize=25,
                                              MaximumBatchingWindowInSeconds=1)  # fmt: skip
        runtime = Recorder()
        yield Mapping(sqs, lam, url, esm["UUID"], SqsPoller(runtime, esm["UUID"]), runtime)  # type: ignore[arg-type]


def test_a_backlog_fills_batches_of_batch_size_without_waiting(mapping: Mapping) -> None:
    mapping.send([f"m{i}" for i in range(60)])
    assert mapping.timed_poll() < 0.9 and mapping.timed_poll() < 0.9  # full at once: no window wait
    waited = mapping.timed_poll()  # 10 left: the window runs out
    assert 0.9 <= waited < 3
    assert [len(mapping.runtime.bodies(i)) for i in range(3)] == [25, 25, 10]
    delivered = [b for i in range(3) for b in mapping.runtime.bodies(i)]
    assert sorted(delivered) == sorted(f"m{i}" for i in range(60))
    assert mapping.left_in_queue() == 0  # every batch succeeded: deleted
    assert not mapping.poller._poll_once() and len(mapping.runtime.payloads) == 3


def test_messages_that_arrive_within_the_window_join_the_batch(mapping: Mapping) -> None:
    mapping.update(BatchSize=100, MaximumBatchingWindowInSeconds=3)
    mapping.send([f"early{i}" for i in range(5)])
    late = threading.Timer(1.0, mapping.send, args=([f"late{i}" for i in range(30)],))
    late.start()
    waited = mapping.timed_poll()
    late.join()
    assert 2.8 <= waited < 5  # neither 100 messages nor the payload limit: the whole window
    assert len(mapping.runtime.payloads) == 1 and len(mapping.runtime.bodies(0)) == 35


def test_more_than_ten_a_batch_needs_the_window_and_without_one_a_batch_is_one_receive(mapping: Mapping) -> None:
    mapping.update(BatchSize=10, MaximumBatchingWindowInSeconds=0)
    mapping.send([f"m{i}" for i in range(25)])
    assert mapping.timed_poll() < 0.5
    assert len(mapping.runtime.bodies(0)) == 10
    mapping.update(BatchSize=1000, MaximumBatchingWindowInSeconds=1)  # read for every batch
    mapping.timed_poll()
    assert len(mapping.runtime.bodies(1)) == 15


def test_a_batch_stops_before_the_6_mb_payload_limit_and_loses_nothing(mapping: Mapping) -> None:
    mapping.update(BatchSize=100, MaximumBatchingWindowInSeconds=1)
    body = "x" * 200_000  # 40 × 200 kB: 8 MB of bodies, under BatchSize
    mapping.send([f"{i:03d}{body}" for i in range(40)])
    for _ in range(3):
        if mapping.left_in_queue() or mapping.poller.carried:
            mapping.timed_poll()
    sizes = [len(p) for p in mapping.runtime.payloads]
    assert len(sizes) == 2 and max(sizes) <= MAX_SYNC_PAYLOAD_BYTES, sizes
    first, second = (mapping.runtime.bodies(i) for i in range(2))
    assert len(first) == 31 and len(second) == 9  # as many as fit: one more would exceed 6 MB
    assert (
        sizes[0] + len(json.dumps(json.loads(mapping.runtime.payloads[1])["Records"][0])) + 2 > MAX_SYNC_PAYLOAD_BYTES
    )
    assert sorted(b[:3] for b in first + second) == [f"{i:03d}" for i in range(40)]
    received = [
        int(r["attributes"]["ApproximateReceiveCount"]) for r in json.loads(mapping.runtime.payloads[1])["Records"]
    ]
    assert set(received) == {1}  # the one that did not fit was carried over, not received again
    assert mapping.left_in_queue() == 0
