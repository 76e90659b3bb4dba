"""Duplicate notifications and duplicate deliveries through the real workers of the local cloud.

The in-process harness (chaos/, `make chaos`) covers the fault matrix; this checks the same
exactly-once effect where the local runtime drives the triggers Terraform declared: S3 invokes
ingest while three more notifications of the same object version arrive at once, and then every
claim-check message of the object is delivered twice more (published again with the ingest's
own planning functions, bypassing the idempotency table, as a replay does).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from elt.config import IngestSettings
from elt.devkit.events import s3_object_created
from elt.ingest import plan_units, send_units
from elt.layout import object_id
from elt.s3_events import ObjectRef
from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import LocalStack
from tests.e2e.test_local_cloud import quarantined, silver_rows


def _silver_files(stack: LocalStack, oid: str) -> dict[str, Any]:
    s3 = stack.client("s3")
    files = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.outputs["silver_bucket"], Prefix="silver/"):
        files.update({o["Key"]: o["LastModified"] for o in page.get("Contents", []) if oid in o["Key"]})
    return files


def test_duplicate_notifications_and_deliveries_write_each_line_once(local_stack: LocalStack) -> None:
    s3, sqs, lam = (local_stack.client(name) for name in ("s3", "sqs", "lambda"))
    bronze, ingest = local_stack.outputs["bronze_bucket"], local_stack.outputs["ingest_lambda"]
    lines = list(FakeEvents(seed=303).lines(2000, invalid_rate=0.02))
    body = "".join(line + "\n" for line, _ in lines).encode()
    key = "bronze/mixed/chaos-local.jsonl"
    etag = s3.put_object(Bucket=bronze, Key=key, Body=body)["ETag"].strip('"')  # S3 notifies ingest
    event = json.dumps(s3_object_created(bronze, key, etag=etag, size=len(body))).encode()
    for _ in range(3):  # the same notification, again, at the same time
        lam.invoke(FunctionName=ingest, InvocationType="Event", Payload=event)

    oid = object_id(bronze, key, etag)
    expected = Counter(json.loads(line)["record_type"] for line, ok in lines if ok)
    invalid = sum(not ok for _, ok in lines)
    local_stack.wait_for(lambda: silver_rows(local_stack, {oid}) == expected, what=f"silver rows {dict(expected)}")
    local_stack.wait_for(lambda: quarantined(local_stack, {oid}) == invalid, what=f"{invalid} quarantine entries")
    first = _silver_files(local_stack, oid)

    # Every unit delivered twice more, with the deployed function's own unit size.
    environment = lam.get_function_configuration(FunctionName=ingest)["Environment"]["Variables"]
    settings = IngestSettings.from_env(environment)
    units = plan_units(ObjectRef(bronze, key, etag, len(body)), s3=s3, settings=settings)
    time.sleep(1.1)  # S3 LastModified has one-second resolution: rewrites must be visible
    send_units(units * 2, sqs=sqs, queue_url=local_stack.outputs["queue_url"], attempts=settings.send_attempts)

    def rewritten() -> bool:
        now = _silver_files(local_stack, oid)
        return set(now) == set(first) and all(now[k] > first[k] for k in first)

    local_stack.wait_for(rewritten, what="every silver file of the object rewritten by the redelivered units")
    assert silver_rows(local_stack, {oid}) == expected, "redelivered units duplicated rows"
    assert quarantined(local_stack, {oid}) == invalid
    table = local_stack.client("dynamodb")
    item = table.get_item(
        TableName=local_stack.outputs["idempotency_table_name"], Key={"pk": {"S": f"s3://{bronze}/{key}#{etag}"}}
    )["Item"]
    assert item["status"]["S"] == "COMPLETED" and int(item["result"]["M"]["units"]["N"]) == len(units)
