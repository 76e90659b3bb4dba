"""Where AWS is strict the local cloud is strict: S3 key length, SQS message sizes, Lambda payload
sizes and a function's ephemeral storage. Each test fails on the emulator's lenient behaviour.

The extensions run against moto in-process (``mock_aws``), installed for the test only; the Lambda
limits run real workers (``localcloud/lambda_runtime.py``) from a small zip.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud.extensions import awslambda, s3, sqs
from localcloud.lambda_runtime import (
    MAX_ASYNC_REQUEST_BYTES,
    MAX_RESPONSE_BYTES,
    MAX_SYNC_REQUEST_BYTES,
    FunctionConfig,
    LambdaService,
    PayloadTooLarge,
)
from localcloud.runtime import Runtime
from localcloud.settings import ACCOUNT_ID, REGION, LocalCloudSettings
from scripts.build_lambdas import runtime as lambda_runtime

MIB = 1024 * 1024
#: Our Terraform's queues: the provider's default MaximumMessageSize.
QUEUE_LIMIT = 262_144
#: The trust policy Lambda needs to assume a function's role (the local runtime checks it, as AWS does).
LAMBDA_TRUST = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)

HANDLER = """
import json, os, tempfile, time

def handler(event, context):
    path = os.path.join(tempfile.gettempdir(), "blob")
    if event.get("write"):
        with open(path, "wb") as out:
            out.write(b"0" * event["write"])
        time.sleep(event.get("hold", 0))
        if not event.get("keep", True):
            os.remove(path)
    if "respond" in event:
        return "x" * event["respond"]
    return {"tmp": tempfile.gettempdir(), "request_bytes": len(json.dumps(event))}
"""


def code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("app.py", HANDLER)
    return buffer.getvalue()


def padded(size: int) -> bytes:
    """A JSON event of exactly ``size`` bytes."""
    payload = json.dumps({"pad": ""}).encode()
    return json.dumps({"pad": "p" * (size - len(payload))}).encode()


@pytest.fixture
def extensions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The size extensions, undone after the test (they patch moto's classes)."""
    from moto.awslambda.models import LambdaFunction
    from moto.s3.models import S3Backend
    from moto.sqs.models import SQSBackend

    for cls, names in {
        S3Backend: ["put_object", "copy_object", "create_multipart_upload"],
        SQSBackend: ["send_message", "send_message_batch"],
        LambdaFunction: ["invoke"],
    }.items():
        for name in names:
            monkeypatch.setattr(cls, name, getattr(cls, name))
    s3.keys_at_most_1024_bytes()
    sqs.message_size_limits()


@pytest.fixture
def aws(aws_env: None, extensions: None) -> Iterator[None]:
    with mock_aws():
        yield


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response: Any = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


# --- S3: keys of at most 1,024 bytes --------------------------------------------------------------


def test_s3_refuses_keys_over_1024_utf8_bytes(aws: None) -> None:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket="keys")
    longest = "é" * 512  # 512 characters, 1,024 bytes
    client.put_object(Bucket="keys", Key=longest, Body=b"fits")
    too_long = longest + "a"  # 513 characters: moto alone counts only those
    with pytest.raises(ClientError) as put:
        client.put_object(Bucket="keys", Key=too_long, Body=b"x")
    assert error_of(put) == ("KeyTooLongError", 400)
    with pytest.raises(ClientError) as copy:
        client.copy_object(Bucket="keys", Key=too_long, CopySource={"Bucket": "keys", "Key": longest})
    assert error_of(copy) == ("KeyTooLongError", 400)
    with pytest.raises(ClientError) as multipart:
        client.create_multipart_upload(Bucket="keys", Key=too_long)
    assert error_of(multipart) == ("KeyTooLongError", 400)
    assert [o["Key"] for o in client.list_objects_v2(Bucket="keys")["Contents"]] == [longest]
    assert not client.list_multipart_uploads(Bucket="keys").get("Uploads")


# --- SQS: the queue's MaximumMessageSize, body and attributes; 1 MiB a batch ---------------------


@pytest.fixture
def queue(aws: None) -> tuple[Any, str]:
    client = boto3.client("sqs", region_name=REGION)
    url = client.create_queue(QueueName="sizes", Attributes={"MaximumMessageSize": str(QUEUE_LIMIT)})["QueueUrl"]
    return client, url


def test_sqs_counts_body_bytes_and_attributes_against_the_queue_limit(queue: tuple[Any, str]) -> None:
    client, url = queue
    client.send_message(QueueUrl=url, MessageBody="x" * QUEUE_LIMIT)  # exactly the limit
    attribute = {"k": {"DataType": "String", "StringValue": "v"}}  # 1 + 6 + 1 bytes
    client.send_message(QueueUrl=url, MessageBody="x" * (QUEUE_LIMIT - 8), MessageAttributes=attribute)
    for body, attributes in [
        ("x" * (QUEUE_LIMIT - 7), attribute),  # one byte over with its attribute
        ("é" * (QUEUE_LIMIT // 2 + 1), {}),  # 131,073 characters, 262,146 bytes
    ]:
        with pytest.raises(ClientError) as excinfo:
            client.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
        assert error_of(excinfo) == ("InvalidParameterValue", 400)
        assert f"Message must be shorter than {QUEUE_LIMIT} bytes" in str(excinfo.value)
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_sqs_batch_fails_only_the_entry_over_the_queue_limit(queue: tuple[Any, str]) -> None:
    client, url = queue
    response = client.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "fits", "MessageBody": "x" * 1000},
            {"Id": "too-long", "MessageBody": "é" * (QUEUE_LIMIT // 2 + 1)},
        ],
    )
    assert [e["Id"] for e in response["Successful"]] == ["fits"]
    (failed,) = response["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == ("too-long", "InvalidParameterValue", True)


def test_sqs_batch_over_1_mib_together_is_refused_whole(aws: None) -> None:
    client = boto3.client("sqs", region_name=REGION)
    url = client.create_queue(QueueName="big", Attributes={"MaximumMessageSize": str(MIB)})["QueueUrl"]
    body = "x" * 250_000
    response = client.send_message_batch(  # 1,000,000 bytes: a batch may hold 1 MiB, not 256 KiB
        QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": body} for i in range(4)]
    )
    assert len(response["Successful"]) == 4
    heavy = {"blob": {"DataType": "String", "StringValue": "y" * 20_000}}  # bodies alone stay under 1 MiB
    with pytest.raises(ClientError) as excinfo:
        client.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": f"m{i}", "MessageBody": body, "MessageAttributes": heavy} for i in range(4)],
        )
    code, status = error_of(excinfo)
    assert code.endswith("BatchRequestTooLong") and status == 400


def test_a_redrive_into_a_smaller_queue_fails_and_keeps_the_message(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.sqs.responses import SQSResponse

    for name in ("start_message_move_task", "list_message_move_tasks", "cancel_message_move_task"):
        monkeypatch.setattr(SQSResponse, name, getattr(SQSResponse, name, None), raising=False)
    sqs.message_move_tasks()
    client = boto3.client("sqs", region_name=REGION)
    dlq = client.create_queue(QueueName="roomy-dlq", Attributes={"MaximumMessageSize": str(MIB)})["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    client.create_queue(QueueName="tight", Attributes={"MaximumMessageSize": str(QUEUE_LIMIT), "RedrivePolicy": policy})
    client.send_message(QueueUrl=dlq, MessageBody="x" * (QUEUE_LIMIT + 1))
    client.start_message_move_task(SourceArn=dlq_arn)
    deadline = time.monotonic() + 5
    while (task := client.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0])["Status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert task["Status"] == "FAILED" and "InvalidParameterValue" in task["FailureReason"]
    left = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "1"


# --- Lambda: payload sizes, response size, ephemeral storage --------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> LocalCloudSettings:
    return LocalCloudSettings(state_dir=tmp_path / "state")


@pytest.fixture
def service(settings: LocalCloudSettings) -> Iterator[LambdaService]:
    service = LambdaService(settings)
    yield service
    service.close()


def config(ephemeral_storage_mb: int = 512) -> FunctionConfig:
    return FunctionConfig(
        name="limits",
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:limits",
        handler="app.handler",
        runtime=lambda_runtime()["runtime"],
        timeout=30,
        memory_mb=512,
        environment={},
        code_sha="limits-v1",
        ephemeral_storage_mb=ephemeral_storage_mb,
    )


def test_request_payloads_over_6_mb_sync_and_1_mb_async_are_refused(service: LambdaService) -> None:
    result = service.invoke(config(), code_zip, padded(MAX_SYNC_REQUEST_BYTES))
    assert not result.failed and json.loads(result.payload)["request_bytes"] == MAX_SYNC_REQUEST_BYTES
    with pytest.raises(PayloadTooLarge, match=f"smaller than {MAX_SYNC_REQUEST_BYTES} bytes"):
        service.invoke(config(), code_zip, padded(MAX_SYNC_REQUEST_BYTES + 1))
    service.invoke_async(config(), code_zip, padded(MAX_ASYNC_REQUEST_BYTES))
    with pytest.raises(PayloadTooLarge, match=f"smaller than {MAX_ASYNC_REQUEST_BYTES} bytes"):
        service.invoke_async(config(), code_zip, padded(MAX_ASYNC_REQUEST_BYTES + 1))
    assert service.async_queue.qsize() == 1  # only the one within the limit was queued


def test_a_response_over_6_mb_fails_the_invocation(service: LambdaService) -> None:
    fits = service.invoke(config(), code_zip, json.dumps({"respond": MAX_RESPONSE_BYTES - 2}).encode())
    assert not fits.failed and len(fits.payload) == MAX_RESPONSE_BYTES  # a JSON string: its quotes count
    over = service.invoke(config(), code_zip, json.dumps({"respond": MAX_RESPONSE_BYTES - 1}).encode())
    assert over.failed and over.error is not None
    assert over.error["errorType"] == "Function.ResponseSizeTooLarge"
    assert json.loads(over.payload)["errorMessage"].endswith(f"({MAX_RESPONSE_BYTES} bytes).")


def test_tmp_is_the_workers_own_and_held_to_its_ephemeral_storage(
    service: LambdaService, settings: LocalCloudSettings
) -> None:
    small = config(ephemeral_storage_mb=1)
    within = service.invoke(small, code_zip, json.dumps({"write": MIB // 2}).encode())
    assert not within.failed
    tmp = Path(json.loads(within.payload)["tmp"])
    assert tmp.parent == settings.state_dir / "tmp" and (tmp / "blob").exists()

    left_over = service.invoke(small, code_zip, json.dumps({"write": 2 * MIB}).encode())
    assert left_over.failed and left_over.error is not None
    assert left_over.error["errorType"] == "LocalCloud.EphemeralStorageExceeded"
    assert "ephemeral storage of 1 MB" in left_over.error["errorMessage"]
    assert not tmp.exists()  # the environment was retired with its /tmp

    again = service.invoke(small, code_zip, b"{}")  # a fresh environment, an empty /tmp
    assert not again.failed and Path(json.loads(again.payload)["tmp"]) != tmp


def test_tmp_over_the_limit_while_the_function_runs_fails_even_if_it_cleans_up(service: LambdaService) -> None:
    result = service.invoke(
        config(ephemeral_storage_mb=1), code_zip, json.dumps({"write": 2 * MIB, "hold": 1.0, "keep": False}).encode()
    )
    assert result.failed and result.error is not None
    assert result.error["errorType"] == "LocalCloud.EphemeralStorageExceeded"


def test_invoke_answers_413_over_the_payload_limits(aws: None, settings: LocalCloudSettings) -> None:
    runtime = Runtime(settings)
    awslambda.invoke_runs_locally(runtime)
    try:
        iam, lam = boto3.client("iam", region_name=REGION), boto3.client("lambda", region_name=REGION)
        role = iam.create_role(RoleName="limits", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
        lam.create_function(FunctionName="limits", Runtime=lambda_runtime()["runtime"], Role=role,
                            Handler="app.handler", Code={"ZipFile": code_zip()})  # fmt: skip
        ok = lam.invoke(FunctionName="limits", Payload=b'{"respond": 2}')
        assert ok["StatusCode"] == 200 and json.loads(ok["Payload"].read()) == "xx"
        for invocation_type, size in [("RequestResponse", MAX_SYNC_REQUEST_BYTES), ("Event", MAX_ASYNC_REQUEST_BYTES)]:
            with pytest.raises(ClientError) as excinfo:
                lam.invoke(FunctionName="limits", InvocationType=invocation_type, Payload=padded(size + 1))
            assert error_of(excinfo) == ("RequestEntityTooLargeException", 413)
    finally:
        runtime.lambdas.close()
