"""The streaming producer on the local cloud (the real Terraform with ``stream_ingest_enabled``):
20,000 records put to the Kinesis stream with the producer's functions (``scripts/produce.py``)
reach silver exactly once through Firehose's bronze objects and the one existing path (S3
notification → ingest → SQS → transform), in a few dozen bronze objects, and a record without
record_type is kept in the error prefix, outside bronze/.
"""

from __future__ import annotations

import base64
import gzip
import json
import time

from elt import layout
from elt.devkit.silver_audit import Silver, SilverReader, wait_until_drained
from scripts.gen_fake_events import RECORD_TYPES
from scripts.produce import fake_lines, produce
from tests.e2e.conftest import LocalStack

RECORDS = 20_000
#: Firehose flushes per dataset every few seconds (envs/local: 5 s): a few dozen objects at most.
MAX_BRONZE_OBJECTS = 40
UNROUTABLE = '{"shipment_id": "SHP-0000000001", "note": "no record_type"}'


def streamed_objects(stack: LocalStack) -> list[str]:
    """``s3://bucket/key`` of every object Firehose wrote under ``bronze/<dataset>/stream/``."""
    s3, bucket = stack.client("s3"), stack.outputs["bronze_bucket"]
    uris = []
    for dataset in RECORD_TYPES:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=layout.stream_prefix(dataset))
        uris += [f"s3://{bucket}/{obj['Key']}" for page in pages for obj in page.get("Contents", [])]
    return uris


def streamed_silver(stack: LocalStack, reader: SilverReader) -> tuple[Silver, list[str]]:
    uris = streamed_objects(stack)
    return reader.read().only(uris=uris), uris


def error_records(stack: LocalStack) -> list[str]:
    """The raw records of every error envelope under the stream's error prefix."""
    s3, bucket = stack.client("s3"), stack.outputs["bronze_bucket"]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=layout.STREAM_ERROR_PREFIX)
    found = []
    for obj in (o for page in pages for o in page.get("Contents", [])):
        body = gzip.decompress(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        found += [base64.b64decode(json.loads(line)["rawData"]).decode() for line in body.decode().splitlines()]
    return found


def test_streamed_records_land_in_silver_exactly_once(local_stack: LocalStack) -> None:
    stream = local_stack.outputs["ingest_stream_name"]
    assert stream and local_stack.outputs["ingest_delivery_stream_name"]
    kinesis = local_stack.client("kinesis")

    started = time.monotonic()
    summary = produce(kinesis, stream, fake_lines(RECORD_TYPES, RECORDS, 0.0, seed=11))
    produce(kinesis, stream, [UNROUTABLE])
    put_seconds = time.monotonic() - started
    assert (summary.accepted, summary.rejected) == (RECORDS, 0)

    reader = SilverReader(local_stack.client("s3"), local_stack.outputs["silver_bucket"])
    local_stack.wait_for(
        lambda: streamed_silver(local_stack, reader)[0].rows >= RECORDS, timeout=240, what="streamed rows in silver"
    )
    assert wait_until_drained(local_stack.client("sqs"), local_stack.outputs["queue_url"], timeout=60)
    silver, uris = streamed_silver(local_stack, reader)
    audit = silver.audit()
    landed_seconds = time.monotonic() - started
    print(f"\n{RECORDS:,} records put in {put_seconds:.1f}s, in silver after {landed_seconds:.1f}s: "
          f"{len(uris)} bronze objects, {audit}")  # fmt: skip

    assert audit.rows == RECORDS, audit
    assert audit.duplicate_identities == 0 and audit.business_duplicates == 0, audit
    assert 0 < len(uris) <= MAX_BRONZE_OBJECTS, f"{len(uris)} bronze objects: Firehose must batch, not write per record"
    assert {uri.rsplit(".", 2)[-2:] == ["jsonl", "gz"] for uri in uris} == {True}
    assert local_stack.wait_for(lambda: UNROUTABLE in error_records(local_stack), timeout=30, what="error record")
