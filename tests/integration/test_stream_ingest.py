"""The local cloud's Firehose against a real emulator (``python -m localcloud up`` on a free port):
delivery streams created as Terraform creates ours (Kinesis source, extended S3 destination with
dynamic partitioning on record_type, gzip, a file extension, buffering hints, an error prefix)
and records put with the producer's own functions and CLI (``scripts/produce.py``).

Firehose as documented: records buffered per partition and written as one object per
(partition, flush) when the buffer reaches its size hint or its interval passes, under the
evaluated prefix; records the metadata extraction fails on go to the error prefix in an error
envelope; the objects are ordinary uploads (the bucket's notifications fire). Each test fails on
moto's own Firehose, which writes every PutRecord as one object and never reads Kinesis.
"""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import pytest

from elt import layout
from localcloud.firehose_runner import ExtractionError, evaluate_prefix, extract_keys
from localcloud.settings import ROOT
from localcloud.throwaway import RunningEmulator, running_emulator
from scripts.produce import fake_lines, produce

BUCKET = "stream-ingest-test"
ACCOUNT = "123456789012"
PREFIX = "bronze/!{partitionKeyFromQuery:record_type}/stream/!{timestamp:yyyy/MM/dd/HH}/"
ERROR_PREFIX = "bronze-errors/stream/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
EXTENSION = ".jsonl.gz"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """The emulator on a free port with a private state dir and the bronze bucket, always stopped."""
    with running_emulator(tmp_path_factory.mktemp("stream") / "state") as emulator:
        emulator.client("s3").create_bucket(Bucket=BUCKET)
        yield emulator


def s3_destination(name: str, size_mb: int, interval: int) -> dict[str, Any]:
    """The extended S3 destination modules/stream_ingest declares, for delivery stream ``name``."""
    return {
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "BucketARN": f"arn:aws:s3:::{BUCKET}",
        "Prefix": PREFIX.replace("/stream/", f"/{name}/"),
        "ErrorOutputPrefix": ERROR_PREFIX.replace("/stream/", f"/{name}/"),
        "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval},
        "CompressionFormat": "GZIP",
        "FileExtension": EXTENSION,
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": {
            "Enabled": True,
            "Processors": [
                {
                    "Type": "MetadataExtraction",
                    "Parameters": [
                        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{record_type: .record_type}"},
                        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                    ],
                },
                {"Type": "AppendDelimiterToRecord"},
            ],
        },
    }


def kinesis_source(cloud: RunningEmulator, name: str, size_mb: int = 64, interval: int = 2) -> str:
    """A Kinesis stream (on-demand) and a delivery stream reading it; returns the stream's name."""
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    cloud.client("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/{name}"},
        ExtendedS3DestinationConfiguration=s3_destination(name, size_mb, interval),
    )
    return name


def objects(cloud: RunningEmulator, prefix: str) -> dict[str, bytes]:
    """Every object under ``prefix``, gunzipped."""
    s3 = cloud.client("s3")
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read())
    return found


def lines_under(cloud: RunningEmulator, prefix: str) -> list[str]:
    return [line for body in objects(cloud, prefix).values() for line in body.decode().splitlines()]


def wait_for(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s")


def wait_for_lines(cloud: RunningEmulator, prefix: str, count: int) -> list[str]:
    """The lines under ``prefix`` once there are at least ``count``."""
    return list(wait_for(lambda: found if len(found := lines_under(cloud, prefix)) >= count else None))


def put(cloud: RunningEmulator, stream: str, lines: list[str]) -> None:
    summary = produce(cloud.client("kinesis"), stream, lines)
    assert (summary.accepted, summary.rejected) == (len(lines), 0)


def hour_prefix(name: str, dataset: str) -> str:
    return f"{layout.BRONZE_PREFIX}{dataset}/{name}/{datetime.now(UTC):%Y/%m/%d/%H}/"


# ---- the evaluator pieces, without the emulator -------------------------------------------------


def test_prefix_expressions_evaluate_as_firehose_documents() -> None:
    arrival = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert evaluate_prefix(PREFIX, {"record_type": "shipments"}, arrival) == "bronze/shipments/stream/2026/03/04/05/"
    assert evaluate_prefix(ERROR_PREFIX, {}, arrival, "processing-failed") == (
        "bronze-errors/stream/processing-failed/2026/03/04/"
    )
    assert not ERROR_PREFIX.startswith(layout.BRONZE_PREFIX), "failed records must not reach ingest"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"record_type": "shipments"', "Non JSON"),
        (b'{"shipment_id": "x"}', "missing or null"),
        (b"[1]", "query failed"),
    ],
)
def test_records_without_a_partition_key_fail_extraction(data: bytes, reason: str) -> None:
    assert extract_keys("{record_type: .record_type}", b'{"record_type": "x", "a": {"b": 1}}') == {"record_type": "x"}
    assert extract_keys("{b: .a.b}", b'{"a": {"b": 1}}') == {"b": "1"}
    with pytest.raises(ExtractionError, match=reason):
        extract_keys("{record_type: .record_type}", data)


# ---- against the emulator --------------------------------------------------------------------


def test_interval_flushes_one_gzip_object_per_partition_with_what_was_put(cloud: RunningEmulator) -> None:
    stream = kinesis_source(cloud, "by-interval", interval=2)
    lines = list(fake_lines(("shipments", "tracking_events"), 400, 0.0, seed=1))
    put(cloud, stream, lines)

    for dataset in ("shipments", "tracking_events"):
        prefix = hour_prefix(stream, dataset)
        expected = [line for line in lines if json.loads(line)["record_type"] == dataset]
        wait_for_lines(cloud, prefix, len(expected))
        found = objects(cloud, prefix)
        assert all(key.endswith(EXTENSION) and f"/{stream}-1-" in key for key in found)
        assert len(found) <= 2, f"one flush per interval, not an object per record: {sorted(found)}"
        assert sorted(lines_under(cloud, prefix)) == sorted(expected)


def test_size_hint_flushes_before_the_interval(cloud: RunningEmulator) -> None:
    stream = kinesis_source(cloud, "by-size", size_mb=1, interval=900)
    record = {"record_type": "shipments", "padding": "x" * 1000}
    lines = [json.dumps(record | {"n": i}) for i in range(2600)]  # ~2.6 MB: two full buffers and a rest
    put(cloud, stream, lines)

    prefix = hour_prefix(stream, "shipments")
    found = wait_for(lambda: len(objects(cloud, prefix)) >= 2 and objects(cloud, prefix))
    time.sleep(1.0)  # nothing more comes before the interval
    found = objects(cloud, prefix)
    assert len(found) == 2
    assert all(len(body) >= 1024 * 1024 for body in found.values())
    delivered = [json.loads(line)["n"] for body in found.values() for line in body.decode().splitlines()]
    assert len(set(delivered)) == len(delivered) and set(delivered) <= set(range(len(lines))), "none twice"


def test_nothing_is_lost_across_flushes(cloud: RunningEmulator) -> None:
    stream = kinesis_source(cloud, "waves", interval=1)
    lines = list(fake_lines(("invoice_lines",), 900, 0.0, seed=2))
    for wave in range(3):
        put(cloud, stream, lines[wave * 300 : (wave + 1) * 300])
        time.sleep(1.5)

    prefix = hour_prefix(stream, "invoice_lines")
    wait_for_lines(cloud, prefix, len(lines))
    time.sleep(1.5)
    assert len(objects(cloud, prefix)) >= 2, "several flushes"
    assert sorted(lines_under(cloud, prefix)) == sorted(lines)


def test_records_without_record_type_go_to_the_error_prefix(cloud: RunningEmulator) -> None:
    stream = kinesis_source(cloud, "errors", interval=1)
    bad = ['{"shipment_id": "SHP-1"}', '{"record_type": null}', '{"record_type": "shipments", "weight']
    good = '{"record_type": "returns", "id": 1}'  # unknown to the contracts: routed, quarantined later
    put(cloud, stream, [*bad, good])

    errors_prefix = f"bronze-errors/{stream}/processing-failed/{datetime.now(UTC):%Y/%m/%d}/"
    envelopes = [json.loads(line) for line in wait_for_lines(cloud, errors_prefix, len(bad))]
    assert sorted(base64.b64decode(e["rawData"]).decode() for e in envelopes) == sorted(bad)
    assert {e["errorCode"] for e in envelopes} == {"DynamicPartitioning.MetadataExtractionFailed"}
    assert wait_for(lambda: lines_under(cloud, hour_prefix(stream, "returns"))) == [good]


def test_direct_put_is_buffered_the_same_way(cloud: RunningEmulator) -> None:
    name = "direct"
    firehose = cloud.client("firehose")
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration=s3_destination(name, 64, 1),
    )
    lines = list(fake_lines(("shipments",), 120, 0.0, seed=3))
    for start in range(0, len(lines), 40):
        response = firehose.put_record_batch(
            DeliveryStreamName=name, Records=[{"Data": line.encode()} for line in lines[start : start + 40]]
        )
        assert response["FailedPutCount"] == 0 and len(response["RequestResponses"]) == 40
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"not json"})

    prefix = hour_prefix(name, "shipments")
    wait_for_lines(cloud, prefix, len(lines))
    assert len(objects(cloud, prefix)) == 1 and sorted(lines_under(cloud, prefix)) == sorted(lines)
    assert wait_for(lambda: lines_under(cloud, f"bronze-errors/{name}/"))


def test_delivered_objects_notify_like_any_upload(cloud: RunningEmulator) -> None:
    sqs = cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName="bronze-notifications")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.client("s3").put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "bronze/"}]}},
                }
            ]
        },
    )
    stream = kinesis_source(cloud, "notified", interval=1)
    put(cloud, stream, [*fake_lines(("shipments",), 10, 0.0, seed=4), '{"no_type": 1}'])

    keys = wait_for(lambda: objects(cloud, hour_prefix(stream, "shipments")))
    time.sleep(1.5)  # the error object's notification, if any, would have arrived too

    def notified() -> list[str]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        records = [r for m in messages for r in json.loads(m["Body"]).get("Records", [])]
        return [unquote_plus(r["s3"]["object"]["key"]) for r in records]  # keys are URL-encoded, as on AWS

    found = wait_for(notified)
    assert found == list(keys), "the bronze object notified; the error object (outside bronze/) did not"


def test_the_producer_cli_puts_to_the_stream(cloud: RunningEmulator) -> None:
    stream = kinesis_source(cloud, "cli", interval=1)
    cli = [sys.executable, "scripts/produce.py", "--stream", stream, "--progress", "off", "--seed", "5"]
    args = [*cli, "--dataset", "tracking_events", "--count", "700"]
    done = subprocess.run(args, cwd=ROOT, env=cloud.env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "accepted 700, rejected 0" in done.stderr
    assert len(wait_for_lines(cloud, hour_prefix(stream, "tracking_events"), 700)) == 700

    http = subprocess.run([*cli, "--via", "http"], cwd=ROOT, env=cloud.env, capture_output=True, text=True)
    assert http.returncode == 2 and "not available yet" in http.stderr
