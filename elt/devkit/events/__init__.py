"""AWS event shapes as JSON fixtures (taken from AWS's documented samples), and builders that fill
them: one place knows what S3 and the SQS event source mapping send to a function."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

FIXTURES = Path(__file__).resolve().parent


@cache
def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of the fixture ``events/<name>.json``."""
    return copy.deepcopy(_fixture(name))


def s3_object_created(
    bucket: str,
    key: str,
    *,
    etag: str,
    size: int,
    version_id: str | None = None,
    event_time: datetime | None = None,
    event_name: str = "ObjectCreated:Put",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """The notification S3 sends for one object (the key URL-encoded, as S3 does)."""
    event = load_event("s3_object_created")
    record = event["Records"][0]
    record["awsRegion"] = region
    record["eventName"] = event_name
    record["eventTime"] = (event_time or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
    record["s3"]["object"].update(key=quote_plus(key), size=size, eTag=etag.strip('"'))
    if version_id and version_id != "null":
        record["s3"]["object"]["versionId"] = version_id
    return event


def s3_object_created_from_head(bucket: str, key: str, head: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """The notification for an object, from its ``HeadObject`` response."""
    return s3_object_created(
        bucket, key, etag=head["ETag"], size=head["ContentLength"], version_id=head.get("VersionId"), **kwargs
    )


def sqs_record(
    *,
    message_id: str,
    receipt_handle: str,
    body: str,
    md5_of_body: str,
    source_arn: str,
    region: str = "us-east-1",
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One record of the batch the SQS event source mapping hands to a function."""
    record = load_event("sqs_record")
    record.update(
        messageId=message_id,
        receiptHandle=receipt_handle,
        body=body,
        md5OfBody=md5_of_body,
        eventSourceARN=source_arn,
        awsRegion=region,
    )
    if attributes is not None:
        record["attributes"] = dict(attributes)
    return record


def sqs_record_from_message(message: dict[str, Any], source_arn: str, region: str = "us-east-1") -> dict[str, Any]:
    """The record for a message as boto3's ``ReceiveMessage`` returns it."""
    attributes = {"ApproximateReceiveCount": "1", **message.get("Attributes", {})}
    return sqs_record(
        message_id=message["MessageId"],
        receipt_handle=message["ReceiptHandle"],
        body=message["Body"],
        md5_of_body=message["MD5OfBody"],
        source_arn=source_arn,
        region=region,
        attributes=attributes,
    )
