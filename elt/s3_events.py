"""Turn the envelopes an S3 "object created" can arrive in into plain object references.

Accepted shapes: an S3 notification (``Records[].s3``, keys URL-encoded), the same notification
inside SQS (optionally inside SNS) records, and an EventBridge ``Object Created`` event (keys not
encoded). S3's ``s3:TestEvent`` and non-create events are reported as ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from elt.layout import object_version_key


class EventShapeError(ValueError):
    """The event is none of the shapes ingest understands."""


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    etag: str
    size: int | None
    version_id: str | None = None
    #: When S3 recorded the write (ISO-8601); bounds accepted event_time skew downstream.
    event_time: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def idempotency_key(self) -> str:
        """The contract key of one object version: ``s3://bucket/key#etag``."""
        return object_version_key(self.bucket, self.key, self.etag)


@dataclass(frozen=True)
class Ignored:
    reason: str
    detail: str


def _clean_etag(etag: str | None) -> str:
    return (etag or "").strip('"')


def _from_s3_record(record: dict[str, Any]) -> ObjectRef | Ignored:
    name = record.get("eventName", "")
    s3 = record["s3"]
    obj = s3["object"]
    key = unquote_plus(obj["key"])
    if not name.startswith("ObjectCreated:"):
        return Ignored("not an object-created event", f"{name} {key}")
    return ObjectRef(
        bucket=s3["bucket"]["name"],
        key=key,
        etag=_clean_etag(obj.get("eTag") or obj.get("etag")),
        size=obj.get("size"),
        version_id=obj.get("versionId") or None,
        event_time=record.get("eventTime"),
    )


def _from_eventbridge(event: dict[str, Any]) -> ObjectRef | Ignored:
    detail = event["detail"]
    obj = detail["object"]
    if event.get("detail-type") != "Object Created":
        return Ignored("not an object-created event", f"{event.get('detail-type')} {obj.get('key')}")
    return ObjectRef(
        bucket=detail["bucket"]["name"],
        key=obj["key"],
        etag=_clean_etag(obj.get("etag")),
        size=obj.get("size"),
        version_id=obj.get("version-id") or None,
        event_time=event.get("time"),
    )


def iter_objects(event: dict[str, Any]) -> Iterator[ObjectRef | Ignored]:
    """Yield one ObjectRef (or Ignored) per object mentioned by ``event``, in order."""
    try:
        if event.get("Event") == "s3:TestEvent":
            yield Ignored("s3 test event", str(event.get("Bucket")))
            return
        if event.get("source") == "aws.s3" and "detail" in event:
            yield _from_eventbridge(event)
            return
        records = event.get("Records")
        if not isinstance(records, list):
            raise EventShapeError("expected an S3 notification, SQS records or an EventBridge event")
        for record in records:
            source = record.get("eventSource") or record.get("EventSource")
            if source == "aws:s3":
                yield _from_s3_record(record)
            elif source == "aws:sqs":
                yield from iter_objects(_unwrap_body(record["body"]))
            elif source == "aws:sns":
                yield from iter_objects(json.loads(record["Sns"]["Message"]))
            else:
                raise EventShapeError(f"unsupported record source {source!r}")
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise EventShapeError(f"malformed event: {exc!r}") from exc


def _unwrap_body(body: str) -> dict[str, Any]:
    payload = json.loads(body)
    if payload.get("Type") == "Notification" and "Message" in payload:  # SNS → SQS
        payload = json.loads(payload["Message"])
    return payload
