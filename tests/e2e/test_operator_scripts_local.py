"""The operator scripts as an operator runs them (``ENV=local``, a subprocess each) against the
Terraform-deployed local cloud: seed upload → silver; DLQ → events queue through the native message
move task → silver; replay by copy, dry run and real → re-ingested."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

from elt.config import IngestSettings
from elt.idempotency import IdempotencyStore
from elt.ingest import plan_units
from elt.layout import object_version_key
from elt.s3_events import ObjectRef
from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import LocalStack
from tests.e2e.test_local_cloud import current_source, silver_of

ROOT = Path(__file__).resolve().parents[2]


def run_script(stack: LocalStack, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENV": "local", "LOCAL_PORT": str(urlparse(stack.endpoint).port)}
    env.pop("AWS_ENDPOINT_URL", None)
    return subprocess.run(
        [sys.executable, f"scripts/{script}", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def has_silver(stack: LocalStack, bucket: str, key: str) -> bool:
    """Silver holds rows of the key's current version (by lineage: ``_source_uri``, ``_source_version``)."""
    return bool(silver_of(stack, {current_source(stack, bucket, key)}).rows)


def already_ingested(stack: LocalStack, pk: str) -> None:
    """Record an object version as ingested, as ingest does when it has enqueued its units."""
    table = stack.outputs["idempotency_table_name"]
    store = IdempotencyStore(table, ttl_seconds=3600, in_progress_expiry_seconds=60, client=stack.client("dynamodb"))
    assert store.claim(pk) == "claimed"
    store.complete(pk, {"units": 1})


def test_seed_redrive_and_replay_against_the_local_cloud(local_stack: LocalStack) -> None:
    bronze = local_stack.outputs["bronze_bucket"]
    s3, sqs = local_stack.client("s3"), local_stack.client("sqs")

    # seed --upload: through ENV=local's endpoint, then ingest and transform as usual.
    seeded = run_script(local_stack, "gen_fake_events.py", "--count", "300", "--seed", "41", "--invalid-rate", "0.05",
                        "--upload", f"s3://{bronze}/bronze/ops-e2e/")  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    seed_key = seeded.stdout.strip().removeprefix(f"s3://{bronze}/")
    assert seed_key.startswith("bronze/ops-e2e/events-")

    # redrive: a valid work unit parked in the DLQ goes back to the events queue with a move task.
    # Under bronze/ (transform's role reads nothing else), but claimed as ingested before it is
    # uploaded: ingest skips its notification, so only the redriven unit can bring it to silver.
    parked_key = "bronze/ops-e2e/parked.jsonl"
    body = "".join(line + "\n" for line, _ in FakeEvents(seed=42).lines(50)).encode()
    already_ingested(local_stack, object_version_key(bronze, parked_key, hashlib.md5(body).hexdigest()))
    s3.put_object(Bucket=bronze, Key=parked_key, Body=body)
    head = s3.head_object(Bucket=bronze, Key=parked_key)
    ref = ObjectRef(bronze, parked_key, head["ETag"].strip('"'), head["ContentLength"])
    settings = IngestSettings(queue_url=local_stack.outputs["queue_url"], idempotency_table="unused")
    (unit,) = plan_units(ref, s3=s3, settings=settings)
    sqs.send_message(QueueUrl=local_stack.outputs["dlq_url"], MessageBody=unit.to_message())
    dlq = ["--dlq-url", local_stack.outputs["dlq_url"]]
    redriven = run_script(local_stack, "redrive.py", "start", *dlq, "--wait", "--timeout", "60")
    assert redriven.returncode == 0, redriven.stderr
    assert "COMPLETED  moved 1/1" in redriven.stdout
    status = run_script(local_stack, "redrive.py", "status", *dlq)
    assert status.returncode == 0 and "COMPLETED" in status.stdout, status.stderr

    local_stack.wait_for(lambda: has_silver(local_stack, bronze, seed_key), what=f"silver for {seed_key}")
    local_stack.wait_for(lambda: has_silver(local_stack, bronze, parked_key), what="silver for the redriven unit")

    # replay by copy: a dry run copies nothing; the real run's copy is a new object, ingested again.
    replay = ["--bucket", bronze, "--key", seed_key, "--run-name", "ops-e2e"]
    dry = run_script(local_stack, "replay_via_s3_copy.py", *replay, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    copy_key = f"bronze/replay/ops-e2e/{seed_key}"
    assert f"-> s3://{bronze}/{copy_key}" in dry.stdout
    assert "Contents" not in s3.list_objects_v2(Bucket=bronze, Prefix="bronze/replay/ops-e2e/")
    copied = run_script(local_stack, "replay_via_s3_copy.py", *replay)
    assert copied.returncode == 0, copied.stderr
    local_stack.wait_for(lambda: has_silver(local_stack, bronze, copy_key), what=f"silver for the replay {copy_key}")


def ingested_at(stack: LocalStack, bucket: str, key: str) -> tuple[int, dict[int, datetime]]:
    """The current version's silver rows: (how many, source line → ``_ingested_at``)."""
    silver = silver_of(stack, {current_source(stack, bucket, key)})
    return silver.rows, dict(zip(silver.column("_source_line"), silver.column("_ingested_at"), strict=True))


def test_replay_from_s3_and_queue_helpers_against_the_local_cloud(local_stack: LocalStack, tmp_path: Path) -> None:
    bronze, outputs = local_stack.outputs["bronze_bucket"], local_stack.outputs
    s3, sqs = local_stack.client("s3"), local_stack.client("sqs")
    key = "bronze/ops-e2e/replay-from-s3.jsonl"
    lines = list(FakeEvents(seed=43).lines(80))
    s3.put_object(Bucket=bronze, Key=key, Body="".join(line + "\n" for line, _ in lines).encode())
    valid = sum(ok for _, ok in lines)
    local_stack.wait_for(
        lambda: ingested_at(local_stack, bronze, key)[0] == valid, what=f"{valid} silver rows for {key}"
    )
    rows, before = ingested_at(local_stack, bronze, key)
    assert len(before) == rows == valid, f"{rows} rows for {len(before)} source lines"

    # replay_from_s3: planned with the deployed ingest function's settings; the replay's units recompute
    # the object's rows in place (retracted from the batch that held them, written again by a new batch).
    replay = ["--bucket", bronze, "--queue-url", outputs["queue_url"], "--ingest-function", outputs["ingest_lambda"],
              "--key", key]  # fmt: skip
    refused = run_script(local_stack, "replay_from_s3.py", *replay)
    assert refused.returncode == 2 and "--i-know-this-bypasses-idempotency" in refused.stderr
    dry = run_script(local_stack, "replay_from_s3.py", *replay, "--dry-run")
    assert dry.returncode == 0 and f"s3://{bronze}/{key} unit 1/1" in dry.stdout, dry.stderr
    sent = run_script(local_stack, "replay_from_s3.py", *replay, "--i-know-this-bypasses-idempotency")
    assert sent.returncode == 0, sent.stderr

    def recomputed() -> bool:
        count, after = ingested_at(local_stack, bronze, key)
        return count == valid and after.keys() == before.keys() and all(after[n] > before[n] for n in before)

    local_stack.wait_for(recomputed, what="the replayed unit to recompute every row of the object, once")

    # create_sqs_queue / ensure_dlq_for_queue through ENV=local's endpoint.
    tfvars = tmp_path / "queue.auto.tfvars.json"
    created = run_script(
        local_stack, "create_sqs_queue.py", "--name", "ops-e2e-ext", "--with-dlq", "--out", str(tfvars)
    )
    assert created.returncode == 0, created.stderr
    values = json.loads(tfvars.read_text())
    attrs = sqs.get_queue_attributes(QueueUrl=values["existing_queue_url"], AttributeNames=["All"])["Attributes"]
    assert attrs["QueueArn"] == values["existing_queue_arn"] and "Policy" in attrs
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"].endswith(":ops-e2e-ext-dlq")
    dlq_url = sqs.get_queue_url(QueueName="ops-e2e-ext-dlq")["QueueUrl"]
    allow = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["RedriveAllowPolicy"])["Attributes"]
    assert json.loads(allow["RedriveAllowPolicy"])["sourceQueueArns"] == [values["existing_queue_arn"]]
    bare = sqs.create_queue(QueueName="ops-e2e-bare")["QueueUrl"]
    ensured = run_script(local_stack, "ensure_dlq_for_queue.py", "--queue-url", bare)
    assert ensured.returncode == 0 and "created" in ensured.stdout, ensured.stderr
    again = run_script(local_stack, "ensure_dlq_for_queue.py", "--queue-url", bare)
    assert again.returncode == 0 and "already has a DLQ" in again.stdout, again.stderr
