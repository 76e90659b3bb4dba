import json

import pytest

from elt.s3_events import EventShapeError, Ignored, ObjectRef, iter_objects

S3_RECORD = {
    "eventSource": "aws:s3",
    "eventName": "ObjectCreated:Put",
    "eventTime": "2026-01-01T00:00:00.000Z",
    "s3": {"bucket": {"name": "bkt"}, "object": {"key": "bronze/a/my+file%C3%A9.jsonl", "size": 5, "eTag": "abc"}},
}
EXPECTED = ObjectRef("bkt", "bronze/a/my fileé.jsonl", "abc", 5, None, "2026-01-01T00:00:00.000Z")


def test_s3_notification_decodes_keys_and_keeps_every_record() -> None:
    removed = {**S3_RECORD, "eventName": "ObjectRemoved:Delete"}
    items = list(iter_objects({"Records": [S3_RECORD, S3_RECORD, removed]}))
    assert items[:2] == [EXPECTED, EXPECTED]
    assert isinstance(items[2], Ignored)


def test_sqs_and_sns_envelopes() -> None:
    body = json.dumps({"Records": [S3_RECORD]})
    sns = json.dumps({"Type": "Notification", "Message": body})
    event = {"Records": [{"eventSource": "aws:sqs", "body": body}, {"eventSource": "aws:sqs", "body": sns}]}
    assert list(iter_objects(event)) == [EXPECTED, EXPECTED]


def test_eventbridge_keys_are_not_decoded() -> None:
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "time": "2026-01-01T00:00:00Z",
        "detail": {
            "bucket": {"name": "bkt"},
            "object": {"key": "bronze/a/b+c.jsonl", "size": 3, "etag": "x", "version-id": "v1"},
        },
    }
    assert list(iter_objects(event)) == [ObjectRef("bkt", "bronze/a/b+c.jsonl", "x", 3, "v1", "2026-01-01T00:00:00Z")]


def test_test_event_is_ignored_and_garbage_rejected() -> None:
    assert isinstance(next(iter_objects({"Event": "s3:TestEvent", "Bucket": "b"})), Ignored)
    with pytest.raises(EventShapeError):
        list(iter_objects({"hello": "world"}))
    with pytest.raises(EventShapeError):
        list(iter_objects({"Records": [{"eventSource": "aws:kinesis"}]}))
