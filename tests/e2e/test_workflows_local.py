"""The workflows as users run them (`make ops-*`, `make ge-*` call scripts.workflows) on the local
cloud: ops replay → silver grows; the GE gate passes a good partition with a result JSON and fails
a bad one with a quarantine marker — the real ASL, Lambdas and Spark job."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import ROOT, LocalStack, needs_java
from tests.e2e.test_glue_local import put_partition


def workflows(stack: LocalStack, state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**stack.env, "ENV": "local", "WORKFLOW_STATE_DIR": str(state_dir)}
    return subprocess.run([sys.executable, "-m", "scripts.workflows", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)  # fmt: skip


def read_json(stack: LocalStack, key: str) -> dict[str, Any]:
    body = stack.client("s3").get_object(Bucket=stack.outputs["silver_bucket"], Key=key)["Body"].read()
    return dict(json.loads(body))


def parquet_keys(stack: LocalStack, prefix: str) -> set[str]:
    s3, keys = stack.client("s3"), set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.outputs["silver_bucket"], Prefix=prefix):
        keys |= {o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".parquet")}
    return keys


def test_ops_replay_succeeds_and_silver_grows(local_stack: LocalStack, tmp_path: Path) -> None:
    s3, fake = local_stack.client("s3"), FakeEvents(seed=11, days_back=1)
    for i in range(3):
        body = "".join(json.dumps(fake.record("tracking_events")) + "\n" for _ in range(50))
        s3.put_object(Bucket=local_stack.outputs["bronze_bucket"], Key=f"bronze/tracking/ops-{i}.jsonl", Body=body)
    local_stack.wait_for(lambda: len(parquet_keys(local_stack, "silver/tracking_events/")) >= 3, what="first ingest")
    before = parquet_keys(local_stack, "silver/tracking_events/")

    started = workflows(local_stack, tmp_path, "start", "ops", "--window-hours", "1", "--record-type",
                        "tracking_events", "--min-parquet-objects", "3", "--poll-interval-seconds", "2",
                        "--max-attempts", "120", "--wait")  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    status = workflows(local_stack, tmp_path, "status", "ops")
    assert status.returncode == 0 and ": SUCCEEDED" in status.stdout, status.stdout + status.stderr
    output = json.loads(status.stdout.split("\n", 1)[1])
    assert output["replay"]["copied"] >= 3 and output["progress"]["satisfied"]
    assert len(parquet_keys(local_stack, "silver/tracking_events/") - before) >= 3
    history = workflows(local_stack, tmp_path, "history", "ops")
    assert "ExecutionSucceeded" in history.stdout and "PollSilver" in history.stdout


@needs_java
def test_ge_gate_passes_good_and_quarantines_bad_partitions(local_stack: LocalStack, tmp_path: Path) -> None:
    put_partition(local_stack, "2024-07-01", files=2, rows=5)
    put_partition(local_stack, "2024-07-02", files=2, rows=5, bad=True)

    good = workflows(local_stack, tmp_path, "start", "ge", "--record-type", "shipments", "--dt", "2024-07-01", "--wait")
    assert good.returncode == 0, good.stdout + good.stderr
    result = read_json(local_stack, "ge-results/shipments/dt=2024-07-01/result.json")
    assert result["success"] is True

    bad = workflows(local_stack, tmp_path, "start", "ge", "--record-type", "shipments", "--dt", "2024-07-02", "--wait")
    assert bad.returncode == 1 and "QualityGateFailed" in bad.stderr, bad.stdout + bad.stderr
    marker_key = "quarantine/_ge_gate/shipments/dt=2024-07-02/marker.json"
    marker = read_json(local_stack, marker_key)
    assert (marker["verdict"], marker["error"]) == ("failed", "ValidationFailed")
    result = read_json(local_stack, "ge-results/shipments/dt=2024-07-02/result.json")
    assert result["success"] is False
    history = workflows(local_stack, tmp_path, "history", "ge")
    assert "Notify" in history.stdout and "ExecutionFailed" in history.stdout


@needs_java
def test_partition_ready_event_starts_the_gate(local_stack: LocalStack) -> None:
    """The deployed rule turns a transform announcement into a gate execution (input transformer)."""
    dt = "2024-07-03"
    put_partition(local_stack, dt, files=1, rows=4)
    detail = {"silver_bucket": local_stack.outputs["silver_bucket"], "silver_prefix": "silver",
              "record_type": "shipments", "dt": dt, "rows": 4, "key": "x", "quiet_seconds": 1}  # fmt: skip
    event = local_stack.outputs["partition_event"]
    local_stack.client("events").put_events(
        Entries=[{"Source": event["source"], "DetailType": event["detail_type"], "Detail": json.dumps(detail)}]
    )
    sfn, arn = local_stack.client("stepfunctions"), local_stack.outputs["ge_state_machine_arn"]

    def finished_for_dt() -> dict[str, Any] | None:
        for listed in sfn.list_executions(stateMachineArn=arn)["executions"]:
            described = sfn.describe_execution(executionArn=listed["executionArn"])
            if json.loads(described["input"]).get("dt") == dt and described["status"] != "RUNNING":
                return dict(described)
        return None

    done = local_stack.wait_for(finished_for_dt, timeout=600, what=f"a gate execution for dt={dt}")
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["input"]) == {"record_type": "shipments", "dt": dt, "quiet_seconds": 1}
