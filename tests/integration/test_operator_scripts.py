"""The operator scripts, each through its ``main(argv)``, against in-process AWS (moto).

``ENV=dev`` here: the scripts then use the standard AWS client chain, which ``mock_aws``
intercepts (``ENV=local`` would address the local cloud's port). Every resource is passed
explicitly, so no Terraform outputs are read.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from elt import queues
from elt.work_units import WorkUnit
from localcloud.extensions.sqs import message_move_tasks
from scripts import (
    check_recent_s3_objects,
    create_sqs_queue,
    ensure_dlq_for_queue,
    gen_fake_events,
    redrive,
    replay_from_s3,
    replay_via_s3_copy,
)
from scripts.build_lambdas import runtime as lambda_runtime
from scripts.stack import wait_for
from tests.integration.conftest import BRONZE, REGION, Pipeline

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scripts_env(monkeypatch: pytest.MonkeyPatch, aws_env: None) -> None:
    monkeypatch.setenv("ENV", "dev")


@pytest.fixture
def aws(scripts_env: None) -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BRONZE)
        yield {"s3": s3, "sqs": boto3.client("sqs", region_name=REGION)}


def keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def queue_depth(sqs: Any, url: str) -> int:
    return queues.queue_depth(sqs, url).visible


# --- gen_fake_events --upload -----------------------------------------------------------------


def test_seed_uploads_gzip_jsonl_under_the_prefix(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--count",
        "400",
        "--seed",
        "3",
        "--invalid-rate",
        "0.1",
        "--gzip",
        "--upload",
        f"s3://{BRONZE}/bronze/seed/",
    ]
    assert gen_fake_events.main(argv) == 0
    (key,) = keys(aws["s3"], BRONZE, "bronze/seed/")
    assert re.fullmatch(r"bronze/seed/events-\d{8}T\d{6}Z-[0-9a-f]{8}\.jsonl\.gz", key)
    assert capsys.readouterr().out.strip() == f"s3://{BRONZE}/{key}"
    lines = gzip.decompress(aws["s3"].get_object(Bucket=BRONZE, Key=key)["Body"].read()).decode().splitlines()
    assert len(lines) == 400
    # Same seed, same records: the upload is exactly what the generator writes to a file.
    again = gen_fake_events.FakeEvents(seed=3)
    expected = [line for line, _ in again.lines(400, tuple(gen_fake_events.CONTRACTS), 0.1)]
    assert [json.loads(x)["record_type"] for x in lines[:50] if x.startswith("{") and x.endswith("}")] == [
        json.loads(x)["record_type"] for x in expected[:50] if x.startswith("{") and x.endswith("}")
    ]


def test_seed_upload_named_after_out_and_exact_key(aws: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "ship.jsonl"
    assert gen_fake_events.main(["--type", "shipments", "--count", "5", "--out", str(out), "--upload",
                                 f"s3://{BRONZE}/bronze/shipments"]) == 0  # fmt: skip
    assert keys(aws["s3"], BRONZE) == ["bronze/shipments/ship.jsonl"]
    assert aws["s3"].get_object(Bucket=BRONZE, Key="bronze/shipments/ship.jsonl")["Body"].read() == out.read_bytes()
    assert (
        gen_fake_events.main(["--count", "2", "--upload", f"s3://{BRONZE}/bronze/x/exact.json", "--format", "json"])
        == 0
    )
    assert json.loads(aws["s3"].get_object(Bucket=BRONZE, Key="bronze/x/exact.json")["Body"].read())


def test_seed_upload_errors(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        gen_fake_events.main(["--upload", f"s3://{BRONZE}/bronze/", "--out", "-"])
    assert usage.value.code == 2
    assert gen_fake_events.main(["--count", "1", "--upload", "bronze/seed"]) == 2
    assert "is not of the form s3://" in capsys.readouterr().err
    assert gen_fake_events.main(["--count", "1", "--upload", "s3://no-such-bucket-here/bronze/"]) == 1
    assert "NoSuchBucket" in capsys.readouterr().err


# --- replay_via_s3_copy -----------------------------------------------------------------------


def test_replay_copy_dry_run_then_copy(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    s3 = aws["s3"]
    for key in ("bronze/shipments/a.jsonl", "bronze/mixed/b.jsonl.gz", "bronze/replay/old/bronze/c.jsonl"):
        s3.put_object(Bucket=BRONZE, Key=key, Body=f"{key}\n".encode())
    base = ["--bucket", BRONZE, "--since", "1h", "--run-name", "fix-1"]
    assert replay_via_s3_copy.main([*base, "--dry-run"]) == 0
    assert "bronze/replay/fix-1/bronze/shipments/a.jsonl" in capsys.readouterr().out
    assert keys(s3, BRONZE, "bronze/replay/fix-1/") == []
    assert replay_via_s3_copy.main(base) == 0
    # Earlier replay copies are not replayed again by a window.
    assert keys(s3, BRONZE, "bronze/replay/fix-1/") == [
        "bronze/replay/fix-1/bronze/mixed/b.jsonl.gz",
        "bronze/replay/fix-1/bronze/shipments/a.jsonl",
    ]
    copied = s3.get_object(Bucket=BRONZE, Key="bronze/replay/fix-1/bronze/shipments/a.jsonl")["Body"].read()
    assert copied == b"bronze/shipments/a.jsonl\n"


def test_replay_copy_by_key_and_errors(aws: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s3 = aws["s3"]
    s3.put_object(Bucket=BRONZE, Key="bronze/a.jsonl", Body=b"{}\n")
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("# the one to replay\nbronze/a.jsonl\n\n")
    assert replay_via_s3_copy.main(["--bucket", BRONZE, "--keys-file", str(keys_file), "--run-name", "r2"]) == 0
    assert keys(s3, BRONZE, "bronze/replay/r2/") == ["bronze/replay/r2/bronze/a.jsonl"]
    capsys.readouterr()
    assert replay_via_s3_copy.main(["--bucket", BRONZE, "--key", "bronze/missing.jsonl"]) == 1
    assert f"s3://{BRONZE}/bronze/missing.jsonl does not exist" in capsys.readouterr().err
    assert replay_via_s3_copy.main(["--bucket", BRONZE]) == 2
    assert "choose the objects" in capsys.readouterr().err
    assert replay_via_s3_copy.main(["--bucket", BRONZE, "--key", "bronze/a.jsonl", "--since", "1h"]) == 2
    assert replay_via_s3_copy.main(["--bucket", BRONZE, "--since", "1h", "--until", "2h"]) == 2
    assert "must be after --since" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        replay_via_s3_copy.main(["--bucket", BRONZE, "--since", "1h", "--run-name", "a/b"])
    assert usage.value.code == 2


# --- replay_from_s3 ---------------------------------------------------------------------------


def _deploy_ingest_function(env: dict[str, str]) -> str:
    """A function record with the ingest environment (moto stores it; nothing runs)."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="ingest", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="elt-ingest", Runtime=lambda_runtime()["runtime"], Role=role, Handler="app.handler",
        Code={"ZipFile": code.getvalue()}, Environment={"Variables": env},
    )  # fmt: skip
    return "elt-ingest"


def _units(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Units as dicts without the planning instant and the S3 event time (the test's event is made up)."""
    units = [WorkUnit.from_message(m["Body"]).__dict__ | {"planned_at": None, "object_time": None} for m in messages]
    return sorted(units, key=lambda u: (u["key"], u["index"]))


@pytest.fixture
def pipeline_env() -> dict[str, str]:
    return {"WORK_UNIT_BYTES": "2048"}


def _rows_but_ingested_at(pipeline: Pipeline, local_dir: Path) -> list[str]:
    table = pipeline.silver_table(local_dir).to_table()
    return sorted(
        json.dumps({k: v for k, v in row.items() if k != "_ingested_at"}, sort_keys=True, default=str)
        for row in table.to_pylist()
    )


def test_replay_from_s3_plans_like_ingest_and_recomputes_silver_in_place(
    scripts_env: None, pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [line for line, _ in gen_fake_events.FakeEvents(seed=5).lines(120)]
    event = pipeline.put("bronze/mixed/replay-me.jsonl", ("\n".join(lines) + "\n").encode())
    _, ingested, failed = pipeline.drain(event)
    assert not failed and len(ingested) > 3  # several line-aligned units of ~2 KiB
    before = _rows_but_ingested_at(pipeline, tmp_path / "before")
    files_before = set(pipeline.list_keys("silver/"))
    function = _deploy_ingest_function({"QUEUE_URL": "ignored", "IDEMPOTENCY_TABLE": "t", "WORK_UNIT_BYTES": "2048"})
    base = ["--bucket", BRONZE, "--queue-url", pipeline.queue_url, "--ingest-function", function, "--since", "1h",
            "--run-name", "fix-1"]  # fmt: skip

    # Without the guard flag nothing is sent.
    with pytest.raises(SystemExit) as usage:
        replay_from_s3.main(base)
    assert usage.value.code == 2
    assert "--i-know-this-bypasses-idempotency" in capsys.readouterr().err
    assert replay_from_s3.main([*base, "--dry-run"]) == 0
    assert queue_depth(pipeline.sqs, pipeline.queue_url) == 0

    assert replay_from_s3.main([*base, "--i-know-this-bypasses-idempotency"]) == 0
    replayed = pipeline.receive_all()
    # The very units ingest planned, despite its idempotency record, marked as replay fix-1.
    assert {WorkUnit.from_message(m["Body"]).replay for m in replayed} == {"fix-1"}
    assert [u | {"replay": None} for u in _units(replayed)] == _units(ingested)
    written = pipeline.s3.head_object(Bucket=BRONZE, Key="bronze/mixed/replay-me.jsonl")["LastModified"]
    assert WorkUnit.from_message(replayed[0]["Body"]).object_time == written.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert pipeline.run_transform(replayed) == []
    # Recomputed in place: the same rows (but the computation time), none added.
    after = _rows_but_ingested_at(pipeline, tmp_path / "after")
    assert len(after) == len(lines) and after == before
    assert set(pipeline.list_keys("silver/")) - files_before  # written again by the replay's batch


def test_replay_from_s3_defaults_when_no_function(
    scripts_env: None, pipeline: Pipeline, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scripts.operator_cli.outputs", lambda: {})
    pipeline.put("bronze/shipments/one.jsonl", b'{"record_type":"shipments"}\n')
    argv = ["--bucket", BRONZE, "--queue-url", pipeline.queue_url, "--key", "bronze/shipments/one.jsonl"]
    assert replay_from_s3.main([*argv, "--i-know-this-bypasses-idempotency"]) == 0
    assert "planning with ingest's default settings" in capsys.readouterr().err
    (message,) = pipeline.receive_all()
    unit = WorkUnit.from_message(message["Body"])
    assert (unit.key, unit.start, unit.end, unit.count) == ("bronze/shipments/one.jsonl", 0, 28, 1)


# --- redrive ----------------------------------------------------------------------------------


def test_redrive_moves_the_dlq_back_with_a_move_task(
    scripts_env: None, pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    message_move_tasks()
    sqs = pipeline.sqs
    for i in range(7):
        sqs.send_message(QueueUrl=pipeline.dlq_url, MessageBody=json.dumps({"poison": i}))
    assert redrive.main(["start", "--dlq-url", pipeline.dlq_url, "--wait"]) == 0
    assert "COMPLETED  moved 7/7" in capsys.readouterr().out
    assert queue_depth(sqs, pipeline.dlq_url) == 0
    bodies = sorted(json.loads(m["Body"])["poison"] for m in pipeline.receive_all())
    assert bodies == list(range(7))
    assert redrive.main(["status", "--dlq-url", pipeline.dlq_url]) == 0
    status = capsys.readouterr().out
    assert "0 visible" in status and "COMPLETED" in status
    # Empty DLQ: nothing to do. The events queue itself is no DLQ. Nothing runs to cancel.
    assert redrive.main(["start", "--dlq-url", pipeline.dlq_url]) == 0
    assert "nothing to redrive" in capsys.readouterr().out
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody="x")
    assert redrive.main(["start", "--dlq-url", pipeline.queue_url]) == 2
    assert "is not the dead-letter queue of any queue" in capsys.readouterr().err
    assert redrive.main(["cancel", "--dlq-url", pipeline.dlq_url]) == 2

    # A slow task can be cancelled; what it has not moved stays in the DLQ.
    for i in range(5):
        sqs.send_message(QueueUrl=pipeline.dlq_url, MessageBody=json.dumps({"slow": i}))
    assert redrive.main(["start", "--dlq-url", pipeline.dlq_url, "--max-per-second", "2"]) == 0
    assert redrive.main(["cancel", "--dlq-url", pipeline.dlq_url]) == 0
    task = wait_for(
        lambda: [t for t in redrive.tasks(sqs, pipeline.dlq_url) if t["Status"] == "CANCELLED"], 10, "cancel"
    )[0]
    assert task["ApproximateNumberOfMessagesMoved"] < 5
    assert queue_depth(sqs, pipeline.dlq_url) == 5 - task["ApproximateNumberOfMessagesMoved"]


# --- create_sqs_queue / ensure_dlq_for_queue ----------------------------------------------------


def _stack_variables() -> set[str]:
    text = (ROOT / "infra" / "terraform" / "stack" / "variables.tf").read_text()
    return set(re.findall(r'^variable "([a-z0-9_]+)"', text, flags=re.MULTILINE))


def test_create_queue_with_dlq_writes_the_stack_variables(
    aws: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = aws["sqs"]
    called: list[str] = []  # every SQS operation the script makes: no tag API among them
    sqs.meta.events.register("before-call.sqs.*", lambda model, **_: called.append(model.name))
    monkeypatch.setattr(create_sqs_queue, "client", lambda service: sqs)
    out = tmp_path / "envs" / "dev" / "queue.auto.tfvars.json"
    out.parent.mkdir(parents=True)
    out.write_text(json.dumps({"kept": 1}))
    argv = ["--name", "elt-ext-events", "--with-dlq", "--out", str(out)]
    assert create_sqs_queue.main(argv) == 0
    assert "CreateQueue" in called and not [name for name in called if "Tag" in name]
    written = json.loads(out.read_text())
    assert written.keys() == {"kept", "existing_queue_url", "existing_queue_arn"}
    assert {"existing_queue_url", "existing_queue_arn"} <= _stack_variables()
    url = written["existing_queue_url"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["QueueArn"] == written["existing_queue_arn"]
    assert attrs["VisibilityTimeout"] == "725"  # 6 x 120 s + 5 s, as the stack's module computes it
    assert attrs["SqsManagedSseEnabled"] == "true"
    assert json.loads(attrs["Policy"])["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    redrive_policy = json.loads(attrs["RedrivePolicy"])
    assert redrive_policy["deadLetterTargetArn"].endswith(":elt-ext-events-dlq")
    assert int(redrive_policy["maxReceiveCount"]) == 5
    assert create_sqs_queue.main(argv) == 0  # re-running is a no-op
    capsys.readouterr()
    with pytest.raises(SystemExit) as usage:
        create_sqs_queue.main(["--name", "q", "--out", str(tmp_path / "queue.tfvars")])
    assert usage.value.code == 2
    assert "must end in .auto.tfvars.json" in capsys.readouterr().err
    # Same name, other settings: SQS refuses, and so does the script.
    assert create_sqs_queue.main(["--name", "elt-ext-events", "--transform-timeout", "300"]) == 1
    assert "QueueAlreadyExists" in capsys.readouterr().err


def test_ensure_dlq_attaches_one_once(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    sqs = aws["sqs"]
    url = sqs.create_queue(QueueName="bare-events")["QueueUrl"]
    assert ensure_dlq_for_queue.main(["--queue-url", url, "--max-receive-count", "8"]) == 0
    assert "created" in capsys.readouterr().out
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    )
    assert policy["deadLetterTargetArn"].endswith(":bare-events-dlq") and int(policy["maxReceiveCount"]) == 8
    dlq_url = sqs.get_queue_url(QueueName="bare-events-dlq")["QueueUrl"]
    # (moto does not store RedriveAllowPolicy; the local cloud does — see README, "Local cloud gaps".)
    dlq_policy = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert json.loads(dlq_policy)["Statement"][0]["Sid"] == "DenyInsecureTransport"
    assert ensure_dlq_for_queue.main(["--queue-url", url]) == 0
    assert "already has a DLQ" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        ensure_dlq_for_queue.main(["--queue-url", url, "--max-receive-count", "2"])
    assert ensure_dlq_for_queue.main(["--queue-url", url.replace("bare-events", "nope")]) == 1


# --- check_recent_s3_objects (verify-silver) ------------------------------------------------------


def test_check_recent_objects_counts_recent_parquet(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    aws["s3"].put_object(Bucket=BRONZE, Key="silver/shipments/dt=2026-01-01/a.parquet", Body=b"x")
    args = ["--bucket", BRONZE, "--prefix", "silver/", "--minutes", "5"]
    assert check_recent_s3_objects.main([*args, "--min-count", "1"]) == 0
    assert check_recent_s3_objects.main([*args, "--min-count", "2"]) == 1
    assert "FAIL: 1 objects" in capsys.readouterr().out
