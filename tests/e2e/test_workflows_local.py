"""The workflows as users run them (`make ops-*`, `make ge-*` call scripts.workflows) on the local
cloud: ops replay → silver recomputed in place; the GE gate passes a good partition with a result
JSON and fails a bad one with a quarantine marker — the real ASL, Lambdas and Spark job. A gate
whose job cannot start or crashes before validating answers ValidationDidNotRun and quarantines
nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from localcloud.settings import ACCOUNT_ID
from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import ROOT, LocalStack, needs_java
from tests.e2e.test_glue_local import put_partition
from tests.e2e.test_local_cloud import Source, silver_of, source_of


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


def lineage(stack: LocalStack, sources: set[Source]) -> tuple[int, dict[tuple[str, int], datetime]]:
    """The rows of these object versions: (how many, (source uri, line) → ``_ingested_at``)."""
    silver = silver_of(stack, sources)
    identities = zip(silver.column("_source_uri"), silver.column("_source_line"), strict=True)
    return silver.rows, dict(zip(identities, silver.column("_ingested_at"), strict=True))


def test_ops_replay_recomputes_silver_in_place(local_stack: LocalStack, tmp_path: Path) -> None:
    s3, fake = local_stack.client("s3"), FakeEvents(seed=11, days_back=1)
    bronze, sources = local_stack.outputs["bronze_bucket"], set()
    for i in range(3):
        body = "".join(json.dumps(fake.record("tracking_events")) + "\n" for _ in range(50))
        key = f"bronze/tracking/ops-{i}.jsonl"
        sources.add(source_of(bronze, key, s3.put_object(Bucket=bronze, Key=key, Body=body)))
    local_stack.wait_for(lambda: lineage(local_stack, sources)[0] == 150, what="150 rows from the first ingest")
    rows, first = lineage(local_stack, sources)
    assert rows == len(first) == 150, f"{rows} rows for {len(first)} source lines"
    before = parquet_keys(local_stack, "silver/tracking_events/")

    started = workflows(local_stack, tmp_path, "start", "ops", "--window-hours", "1", "--record-type",
                        "tracking_events", "--min-parquet-objects", "1", "--poll-interval-seconds", "2",
                        "--max-attempts", "120", "--wait")  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    status = workflows(local_stack, tmp_path, "status", "ops")
    assert status.returncode == 0 and ": SUCCEEDED" in status.stdout, status.stdout + status.stderr
    assert "replay: recomputed" in status.stdout
    output = json.loads(status.stdout[status.stdout.index("\n{") + 1 :])
    replay = output["replay"]
    assert replay["mode"] == "recompute" and replay["objects"] >= 3 and replay["units_sent"] >= 3
    assert output["progress"]["satisfied"]
    # Written again by the replay's batches. The workflow's poll may be satisfied first: a holder
    # file rewritten without the retracted rows counts as written, and the new batch uploads after.
    local_stack.wait_for(lambda: parquet_keys(local_stack, "silver/tracking_events/") - before,
                         what="the replay's batch files")  # fmt: skip

    def recomputed() -> bool:
        count, now = lineage(local_stack, sources)
        return count == 150 and now.keys() == first.keys() and all(now[i] > first[i] for i in first)

    local_stack.wait_for(recomputed, what="every row of the 3 objects recomputed in place, none added")
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
    run = json.loads(marker["cause"])  # the JobRun: its ErrorMessage is the job's QualityGateFailed
    assert run["ErrorMessage"].startswith("elt.jobs.quality.QualityGateFailed: QualityGateFailed: "), run
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


# ---- the gate without a verdict: a probe state machine from the deployed definition ------------


def probe_gate(stack: LocalStack, name: str, job_name: str) -> str:
    """The deployed gate pointed at ``job_name``, retrying after 1 s instead of the deployed
    interval (the outcome, not the backoff, is under test)."""
    sfn = stack.client("stepfunctions")
    deployed = sfn.describe_state_machine(stateMachineArn=stack.outputs["ge_state_machine_arn"])
    definition = json.loads(deployed["definition"])
    validate = definition["States"]["Validate"]
    run = validate["Branches"][0]["States"]["RunValidationJob"]
    run["Parameters"]["JobName"] = job_name
    for retrier in run["Retry"] + validate["Retry"]:
        retrier["IntervalSeconds"] = 1
    role = probe_role(stack, deployed["roleArn"], name, job_name)
    created = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)
    return str(created["stateMachineArn"])


def probe_role(stack: LocalStack, deployed_arn: str, name: str, job_name: str) -> str:
    """A copy of the deployed gate's role whose policies name ``job_name`` instead of the deployed
    job: the local cloud authorizes each task call against the role, as AWS does."""
    iam, deployed = stack.client("iam"), deployed_arn.rsplit("/", 1)[-1]
    job_arn = f"arn:aws:glue:us-east-1:{ACCOUNT_ID}:job/"
    trust = iam.get_role(RoleName=deployed)["Role"]["AssumeRolePolicyDocument"]
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    for policy in iam.list_role_policies(RoleName=deployed)["PolicyNames"]:
        document = json.dumps(iam.get_role_policy(RoleName=deployed, PolicyName=policy)["PolicyDocument"])
        document = document.replace(f"{job_arn}{stack.outputs['ge_job_name']}", f"{job_arn}{job_name}")
        iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=document)
    for attached in iam.list_attached_role_policies(RoleName=deployed)["AttachedPolicies"]:
        iam.attach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    return str(role)


def run_gate(stack: LocalStack, arn: str, dt: str, timeout: float = 180) -> dict[str, Any]:
    sfn = stack.client("stepfunctions")
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"record_type": "shipments", "dt": dt}))

    def finished() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=started["executionArn"])
        return dict(described) if described["status"] != "RUNNING" else None

    return stack.wait_for(finished, timeout=timeout, what=f"the probe gate for dt={dt}")  # type: ignore[no-any-return]


def assert_not_validated(stack: LocalStack, done: dict[str, Any], error: str) -> None:
    assert (done["status"], done["error"]) == ("FAILED", "ValidationDidNotRun"), done
    assert done["cause"].startswith("The partition was not validated and nothing was quarantined"), done["cause"]
    assert f" {error}: " in done["cause"], done["cause"]
    events = stack.client("stepfunctions").get_execution_history(executionArn=done["executionArn"], maxResults=1000)
    entered = [e["stateEnteredEventDetails"]["name"] for e in events["events"] if "stateEnteredEventDetails" in e]
    assert "NotifyNotValidated" in entered and "WriteQuarantineMarker" not in entered, entered
    dt = json.loads(done["input"])["dt"]
    listed = stack.client("s3").list_objects_v2(Bucket=stack.outputs["silver_bucket"], Prefix="quarantine/_ge_gate/")
    assert not [o["Key"] for o in listed.get("Contents", []) if f"/dt={dt}/" in o["Key"]]


def create_probe_job(stack: LocalStack, name: str, script: str, max_concurrent_runs: int = 1) -> None:
    """A Glue job running ``script`` (no Spark, no mirror: it names no bucket)."""
    glue, s3, bucket = stack.client("glue"), stack.client("s3"), stack.outputs["silver_bucket"]
    s3.put_object(Bucket=bucket, Key=f"e2e-probes/{name}.py", Body=textwrap.dedent(script).encode())
    role = glue.get_job(JobName=stack.outputs["ge_job_name"])["Job"]["Role"]
    glue.create_job(Name=name, Role=role, Timeout=10, ExecutionProperty={"MaxConcurrentRuns": max_concurrent_runs},
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/e2e-probes/{name}.py"})  # fmt: skip


def test_gate_whose_job_does_not_exist_answers_validation_did_not_run(local_stack: LocalStack) -> None:
    arn = probe_gate(local_stack, "elt-local-ge-probe-missing-job", "elt-local-no-such-job")
    done = run_gate(local_stack, arn, "2024-07-11")
    assert_not_validated(local_stack, done, "Glue.EntityNotFoundException")


def test_gate_whose_job_cannot_start_answers_validation_did_not_run(local_stack: LocalStack, tmp_path: Path) -> None:
    """A run of the job holds its only slot: every StartJobRun is ConcurrentRunsExceeded."""
    holder = "elt-local-e2e-held-job"
    create_probe_job(local_stack, holder, """
        import sys, time
        from pathlib import Path
        release = Path(sys.argv[sys.argv.index("--RELEASE_FILE") + 1])
        deadline = time.time() + 600
        while not release.exists() and time.time() < deadline:
            time.sleep(0.2)
    """)  # fmt: skip
    glue, release = local_stack.client("glue"), tmp_path / "release"
    held = glue.start_job_run(JobName=holder, Arguments={"--RELEASE_FILE": str(release)})["JobRunId"]
    try:
        assert glue.get_job_run(JobName=holder, RunId=held)["JobRun"]["JobRunState"] == "RUNNING"
        arn = probe_gate(local_stack, "elt-local-ge-probe-held-job", holder)
        started = time.monotonic()
        done = run_gate(local_stack, arn, "2024-07-12")
        assert_not_validated(local_stack, done, "Glue.ConcurrentRunsExceededException")
        assert time.monotonic() - started < 60  # the task's 4 retries (at most 1+2+4+8 s), none more
        assert [r["Id"] for r in glue.get_job_runs(JobName=holder)["JobRuns"]] == [held]
    finally:
        release.touch()

    def released() -> bool:
        return bool(glue.get_job_run(JobName=holder, RunId=held)["JobRun"]["JobRunState"] == "SUCCEEDED")

    local_stack.wait_for(released, timeout=60, what="the held run to end")


def test_gate_whose_job_crashes_before_validating_retries_and_quarantines_nothing(local_stack: LocalStack) -> None:
    crasher = "elt-local-e2e-crashing-job"
    create_probe_job(local_stack, crasher, "raise ModuleNotFoundError(\"No module named 'great_expectations'\")\n")
    arn = probe_gate(local_stack, "elt-local-ge-probe-crashing-job", crasher)
    done = run_gate(local_stack, arn, "2024-07-13")
    assert_not_validated(local_stack, done, "ValidationDidNotRun")
    assert "ModuleNotFoundError: No module named 'great_expectations'" in done["cause"], done["cause"]
    runs = local_stack.client("glue").get_job_runs(JobName=crasher)["JobRuns"]
    assert sorted(r["JobRunState"] for r in runs) == ["FAILED"] * 3  # the run, then 2 retries
