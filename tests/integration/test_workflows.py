"""The workflows' ASL — rendered by Terraform from the module templates — executed by moto's Step
Functions interpreter in-process. Task functions are the real handlers, invoked in-process; Glue
job outcomes are scripted (the e2e tier runs the real Spark job behind the same ASL)."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest

from elt.devkit.events import s3_object_created
from elt.devkit.handlers import LambdaContext, load_handler
from scripts.build_lambdas import runtime as lambda_runtime
from scripts.gen_fake_events import FakeEvents
from tests.integration.conftest import BRONZE, REGION, ROOT, SILVER, Pipeline

MODULES = ROOT / "infra" / "terraform" / "modules"
ROLE = "arn:aws:iam::123456789012:role/workflow"
pytestmark = pytest.mark.skipif(
    shutil.which("terraform") is None, reason="terraform is not on PATH: it renders the ASL templates under test"
)


@cache
def _render(template: str, variables_json: str, work: Path) -> str:
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf").write_text(
        'variable "template" {\n  type = string\n}\nvariable "vars" {\n  type = any\n}\n'
        'output "asl" {\n  value = templatefile(var.template, var.vars)\n}\n'
    )
    (work / "terraform.tfvars.json").write_text(json.dumps({"template": template, "vars": json.loads(variables_json)}))
    terraform_dir = str(Path(shutil.which("terraform") or "terraform").parent)
    env = {"TF_IN_AUTOMATION": "1", "TF_DATA_DIR": str(work / ".terraform"), "PATH": terraform_dir}
    for cmd in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"], ["output", "-raw", "asl"]):
        out = subprocess.run(["terraform", *cmd, "-no-color"], cwd=work, env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"terraform {cmd[0]} failed: {out.stderr[-2000:]}")
    return out.stdout


def render_asl(module: str, variables: dict[str, Any], tmp_root: Path) -> str:
    """The module's ASL template rendered by Terraform's own templatefile()."""
    template = str(MODULES / module / "definition.asl.json.tftpl")
    key = json.dumps(variables, sort_keys=True)
    return _render(template, key, tmp_root / f"asl-{abs(hash((template, key)))}")


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
    """Function name → handler; moto's Lambda invoke runs it in-process (errors as Lambda reports them)."""
    from moto.awslambda.models import LambdaFunction

    registry: dict[str, Callable[[dict[str, Any], Any], Any]] = {}

    def invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        try:
            result = registry[self.function_name](json.loads(body or "{}"), LambdaContext(self.function_name))
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
        return json.dumps(result).encode()

    monkeypatch.setattr(LambdaFunction, "invoke", invoke)
    return registry


def create_function(name: str) -> str:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("app.py", "")
    iam = boto3.client("iam", region_name=REGION)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="workflow", AssumeRolePolicyDocument="{}")
    return str(
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=name,
            Runtime=lambda_runtime()["runtime"],
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
    )


def run_to_end(sfn: Any, arn: str, request: dict[str, Any], during: Callable[[str], None] | None = None,
               timeout: float = 120) -> dict[str, Any]:  # fmt: skip
    execution = sfn.start_execution(stateMachineArn=arn, name=f"run-{time.monotonic_ns()}", input=json.dumps(request))
    deadline = time.time() + timeout
    while time.time() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        if during:
            during(execution["executionArn"])
        time.sleep(0.2)
    raise AssertionError(f"execution still running after {timeout}s")


def entered_states(sfn: Any, execution_arn: str) -> list[str]:
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


# ---- ops: replay a window, then poll silver --------------------------------------------------


@pytest.fixture
def ops(
    pipeline: Pipeline,
    handlers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Any, str]]:
    monkeypatch.setenv("BRONZE_BUCKET", BRONZE)
    monkeypatch.setenv("DLQ_URL", pipeline.dlq_url)
    functions = {"ops-replay": "workflows/replay", "ops-progress": "workflows/progress"}
    arns = {name: create_function(name) for name in functions}
    handlers.update({name: load_handler(path).handler for name, path in functions.items()})
    asl = render_asl(
        "workflow_ops",
        {
            "partition": "aws",
            "replay_function_arn": arns["ops-replay"],
            "progress_function_arn": arns["ops-progress"],
            "bronze_bucket": BRONZE,
            "bronze_prefix": "bronze/",
            "replay_prefix": "bronze/replay/",
            "silver_bucket": SILVER,
            "silver_prefix": "silver",
            "quarantine_prefix": "quarantine",
        },
        tmp_path_factory.getbasetemp(),
    )
    sfn = boto3.client("stepfunctions", region_name=REGION)
    yield sfn, sfn.create_state_machine(name="ops", definition=asl, roleArn=ROLE)["stateMachineArn"]


def _seed_bronze(pipeline: Pipeline, objects: int) -> list[str]:
    fake = FakeEvents(seed=3)
    keys = []
    for i in range(objects):
        body = "".join(json.dumps(fake.record("shipments")) + "\n" for _ in range(20)).encode()
        key = f"bronze/shipments/batch-{i}.jsonl"
        pipeline.s3.put_object(Bucket=BRONZE, Key=key, Body=body)
        keys.append(key)
    # An earlier replay's copy is never replayed again.
    pipeline.s3.put_object(Bucket=BRONZE, Key="bronze/replay/old-run/bronze/shipments/x.jsonl", Body=b"{}\n")
    return keys


def _silver_rows(pipeline: Pipeline) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for key in pipeline.list_keys("silver/shipments/"):
        body = pipeline.s3.get_object(Bucket=SILVER, Key=key)["Body"].read()
        rows += pq.read_table(pa.BufferReader(body)).to_pylist()
    return rows


def _ingest(pipeline: Pipeline, keys: list[str]) -> None:
    """What S3 → ingest → SQS → transform does for each object as it is written."""
    for key in keys:
        head = pipeline.s3.head_object(Bucket=BRONZE, Key=key)
        _, _, failed = pipeline.drain(s3_object_created(BRONZE, key, etag=head["ETag"], size=head["ContentLength"]))
        assert failed == []


def test_ops_recomputes_the_window_in_bounded_batches_without_adding_rows(
    pipeline: Pipeline, ops: tuple[Any, str]
) -> None:
    sfn, arn = ops
    sources = _seed_bronze(pipeline, objects=3)
    _ingest(pipeline, sources)
    before = _silver_rows(pipeline)
    time.sleep(1.1)  # the progress step counts files from the start's whole second on
    sent: list[dict[str, Any]] = []

    def run_transform(execution_arn: str) -> None:
        """The event source mapping: the replay's work units reach the transform."""
        messages = pipeline.receive_all()
        sent.extend(json.loads(m["Body"]) for m in messages)
        assert pipeline.run_transform(messages) == []

    request = {"window_hours": 1, "min_parquet_objects": 1, "poll_interval_seconds": 1, "max_attempts": 60,
               "max_objects_per_invocation": 2, "record_type": "shipments"}  # fmt: skip
    done = run_to_end(sfn, arn, request, during=run_transform)

    assert done["status"] == "SUCCEEDED", done
    run_transform(done["executionArn"])  # units sent after the last poll
    output = json.loads(done["output"])
    run = done["executionArn"].rsplit(":", 1)[1]
    replay = output["replay"]
    assert (replay["mode"], replay["objects"], replay["units_sent"], replay["more"]) == ("recompute", 3, 3, False)
    assert replay["sample_keys"] == sources and replay["dest_prefix"] is None
    assert sorted(u["key"] for u in sent) == sources and {u["replay"] for u in sent} == {run}
    assert output["progress"]["satisfied"]
    # 3 objects at 2 per invocation: the continuation loop ran the replay task twice.
    assert entered_states(sfn, done["executionArn"]).count("Replay") == 2
    # Nothing copied; silver recomputed in place: the same rows, only _ingested_at moved.
    assert pipeline.s3.list_objects_v2(Bucket=BRONZE, Prefix=f"bronze/replay/{run}/")["KeyCount"] == 0
    after = _silver_rows(pipeline)

    def key(row: dict[str, Any]) -> str:
        return json.dumps({k: v for k, v in row.items() if k != "_ingested_at"}, sort_keys=True, default=str)

    assert sorted(map(key, after)) == sorted(map(key, before)) and len(after) == 60


def test_ops_copies_for_reingest_only_when_asked(pipeline: Pipeline, ops: tuple[Any, str]) -> None:
    sfn, arn = ops
    sources = _seed_bronze(pipeline, objects=3)
    ingested: set[str] = set()

    def play_s3_notifications(execution_arn: str) -> None:
        """What S3 → ingest → SQS → transform does for each replay copy as it appears."""
        run = execution_arn.rsplit(":", 1)[1]
        for page in pipeline.s3.get_paginator("list_objects_v2").paginate(
            Bucket=BRONZE, Prefix=f"bronze/replay/{run}/"
        ):
            for obj in page.get("Contents", []):
                if obj["Key"] not in ingested:
                    ingested.add(obj["Key"])
                    _, _, failed = pipeline.drain(
                        s3_object_created(BRONZE, obj["Key"], etag=obj["ETag"], size=obj["Size"])
                    )
                    assert failed == []

    request = {"window_hours": 1, "min_parquet_objects": 1, "poll_interval_seconds": 1, "max_attempts": 60,
               "max_objects_per_invocation": 2, "record_type": "shipments", "reingest_as_new_copies": True}  # fmt: skip
    done = run_to_end(sfn, arn, request, during=play_s3_notifications)

    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    run = done["executionArn"].rsplit(":", 1)[1]
    replay = output["replay"]
    assert (replay["mode"], replay["objects"], replay["units_sent"], replay["more"]) == ("copy", 3, 0, False)
    assert sorted(ingested) == sorted(f"bronze/replay/{run}/{key}" for key in sources)
    assert output["progress"]["satisfied"]
    assert entered_states(sfn, done["executionArn"]).count("Replay") == 2
    # The copies re-ingested on purpose: silver rows name the replay keys.
    uris = {row["_source_uri"] for row in _silver_rows(pipeline)}
    assert uris == {f"s3://{BRONZE}/bronze/replay/{run}/{key}" for key in sources}


def test_ops_fails_with_a_clear_cause_when_silver_does_not_grow(pipeline: Pipeline, ops: tuple[Any, str]) -> None:
    sfn, arn = ops
    _seed_bronze(pipeline, objects=1)
    done = run_to_end(sfn, arn, {"window_hours": 1, "poll_interval_seconds": 1, "max_attempts": 2})
    assert (done["status"], done["error"]) == ("FAILED", "SilverDidNotGrow")
    assert "min_parquet_objects" in done["cause"]
    assert entered_states(sfn, done["executionArn"]).count("PollSilver") == 2


def test_ops_with_an_empty_window_succeeds_without_polling(pipeline: Pipeline, ops: tuple[Any, str]) -> None:
    sfn, arn = ops
    _seed_bronze(pipeline, objects=1)
    done = run_to_end(sfn, arn, {"start": "2001-01-01T00:00:00Z", "end": "2001-01-02T00:00:00Z"})
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["replay"]["objects"] == 0
    assert "PollSilver" not in entered_states(sfn, done["executionArn"])


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"dest_prefix_base": "replay/"}, "dest_prefix_base='replay/' must start with 'bronze/'"),
        ({"dest_prefix_base": "bronze/again/"}, "dest_prefix_base applies only with reingest_as_new_copies=true"),
        ({"window_hours": 6, "start": "2024-01-01T00:00:00Z"}, "either window_hours or start/end"),
        ({"start": "2024-01-01T00:00:00"}, "has no time zone"),
        ({"surprise": 1}, "unknown input fields: surprise"),
    ],
)
def test_ops_rejects_bad_input_naming_the_field(
    pipeline: Pipeline, ops: tuple[Any, str], request_: dict[str, Any], message: str
) -> None:
    sfn, arn = ops
    done = run_to_end(sfn, arn, request_)
    assert (done["status"], done["error"]) == ("FAILED", "InvalidRequest")
    assert message in done["cause"]


# ---- the GE gate: validation job, retry, quarantine marker, notification -----------------------

#: A failed suite's run, as the local runner reports it (the job's uncaught QualityGateFailed).
SUITE_FAILED = (
    "elt.jobs.quality.QualityGateFailed: QualityGateFailed: invoice_lines dt=2024-06-02 failed 1 expectation(s): "
    "expect_column_values_to_not_be_null(amount); details in s3://silver/ge-results/invoice_lines/dt=2024-06-02/"
    "result.json (script exited with status 1)"
)
#: A run that failed before validating: the flake of issue 18.
CRASHED = ("FAILED", "could not run the job: dictionary changed size during iteration")


@pytest.fixture
def gate(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The gate with scripted Glue outcomes: ``outcomes[dt]`` is the final run state, or a (state,
    ErrorMessage) pair, or a list of those (one per run); ``transient`` the number of
    ConcurrentRunsExceeded errors StartJobRun raises first."""
    from moto.glue.exceptions import ConcurrentRunsExceededException
    from moto.glue.models import FakeJob, FakeJobRun

    from localcloud.extensions.stepfunctions import glue_sync_tasks

    glue_sync_tasks()  # the local cloud's fix of moto's .sync crash, needed in-process too

    script: dict[str, Any] = {"outcomes": {}, "transient": 0, "starts": 0}
    original_start = FakeJob.start_job_run
    original_as_dict = FakeJobRun.as_dict
    scripted: dict[str, tuple[str, str | None]] = {}  # run id → (final state, ErrorMessage)

    def start_job_run(self: FakeJob, *args: Any, **kwargs: Any) -> str:
        script["starts"] += 1
        if script["transient"]:
            script["transient"] -= 1
            raise ConcurrentRunsExceededException("Concurrent runs exceeded for ge-job")
        run_id: str = original_start(self, *args, **kwargs)
        run = next(r for r in self.job_runs if r.job_run_id == run_id)
        outcome = script["outcomes"][(run.arguments or {})["--DT"]]
        outcome = outcome.pop(0) if isinstance(outcome, list) else outcome
        scripted[run_id] = outcome if isinstance(outcome, tuple) else (outcome, None)
        return run_id

    def as_dict(run: FakeJobRun) -> dict[str, Any]:
        result: dict[str, Any] = original_as_dict(run)
        if scripted[run.job_run_id][1]:
            result["ErrorMessage"] = scripted[run.job_run_id][1]
        return result

    monkeypatch.setattr(FakeJob, "start_job_run", start_job_run)
    monkeypatch.setattr(FakeJobRun, "status", property(lambda run: scripted[run.job_run_id][0]), raising=False)
    monkeypatch.setattr(FakeJobRun, "as_dict", as_dict)

    glue = boto3.client("glue", region_name=REGION)
    glue.create_job(Name="ge-job", Role=ROLE, Command={"Name": "glueetl", "ScriptLocation": "s3://x/ge.py"})
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="gate-notifications")["TopicArn"]
    inbox = pipeline.sqs.create_queue(QueueName="gate-inbox")["QueueUrl"]
    inbox_arn = pipeline.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    asl = render_asl(
        "workflow_ge_gate",
        {
            "partition": "aws",
            "ge_job_name": "ge-job",
            "silver_bucket": SILVER,
            "results_prefix": "ge-results",
            "quarantine_enabled": True,
            "quarantine_marker_prefix": "quarantine/_ge_gate",
            "notification_topic_arn": topic,
            "retry_interval_seconds": 1,
        },
        tmp_path_factory.getbasetemp(),
    )
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(name="gate", definition=asl, roleArn=ROLE)["stateMachineArn"]
    yield {"sfn": sfn, "arn": arn, "script": script, "inbox": inbox}


def test_gate_passes_with_the_result_location(gate: dict[str, Any]) -> None:
    gate["script"]["outcomes"]["2024-06-01"] = "SUCCEEDED"
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "shipments", "dt": "2024-06-01"})
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["verdict"] == "passed"
    assert output["result"] == f"s3://{SILVER}/ge-results/shipments/dt=2024-06-01/result.json"
    assert gate["script"]["starts"] == 1


def test_gate_retries_transient_glue_errors(gate: dict[str, Any]) -> None:
    gate["script"].update(transient=2)
    gate["script"]["outcomes"]["2024-06-01"] = "SUCCEEDED"
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "shipments", "dt": "2024-06-01"})
    assert done["status"] == "SUCCEEDED", done
    assert gate["script"]["starts"] == 3


def test_failed_suite_is_not_retried_and_leaves_marker_and_notification(
    pipeline: Pipeline, gate: dict[str, Any]
) -> None:
    gate["script"]["outcomes"]["2024-06-02"] = ("FAILED", SUITE_FAILED)
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "invoice_lines", "dt": "2024-06-02"})
    assert (done["status"], done["error"]) == ("FAILED", "QualityGateFailed")
    assert gate["script"]["starts"] == 1
    states = entered_states(gate["sfn"], done["executionArn"])
    assert states[-3:] == ["WriteQuarantineMarker", "Notify", "GateFailed"]

    marker_key = "quarantine/_ge_gate/invoice_lines/dt=2024-06-02/marker.json"
    marker = json.loads(pipeline.s3.get_object(Bucket=SILVER, Key=marker_key)["Body"].read())
    assert (marker["verdict"], marker["error"], marker["dt"]) == ("failed", "ValidationFailed", "2024-06-02"), marker
    assert marker["result"].endswith("/ge-results/invoice_lines/dt=2024-06-02/result.json")
    run = json.loads(marker["cause"])
    assert (run["JobRunState"], run["ErrorMessage"]) == ("FAILED", SUITE_FAILED)

    messages = pipeline.sqs.receive_message(QueueUrl=gate["inbox"], MaxNumberOfMessages=10)["Messages"]
    notification = json.loads(messages[0]["Body"])
    assert notification["Subject"] == "Quality gate failed: invoice_lines dt=2024-06-02"
    assert json.loads(notification["Message"])["verdict"] == "failed"


def test_gate_rejects_input_without_a_partition(gate: dict[str, Any]) -> None:
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "shipments"})
    assert (done["status"], done["error"]) == ("FAILED", "InvalidRequest")
    assert gate["script"]["starts"] == 0


def gate_markers(pipeline: Pipeline) -> list[str]:
    listed = pipeline.s3.list_objects_v2(Bucket=SILVER, Prefix="quarantine/_ge_gate/")
    return [o["Key"] for o in listed.get("Contents", [])]


def assert_not_validated(pipeline: Pipeline, gate: dict[str, Any], done: dict[str, Any], error: str) -> dict[str, Any]:
    """No verdict: ValidationDidNotRun, an operator notice naming the underlying error, no marker.
    Returns the notice."""
    assert (done["status"], done["error"]) == ("FAILED", "ValidationDidNotRun"), done
    assert done["cause"].startswith("The partition was not validated and nothing was quarantined"), done["cause"]
    assert f" {error}: " in done["cause"], done["cause"]
    states = entered_states(gate["sfn"], done["executionArn"])
    assert states[-3:] == ["NotValidatedReport", "NotifyNotValidated", "ValidationDidNotRun"], states
    assert gate_markers(pipeline) == []
    messages = pipeline.sqs.receive_message(QueueUrl=gate["inbox"], MaxNumberOfMessages=10)["Messages"]
    notification = json.loads(messages[0]["Body"])
    request = json.loads(done["input"])
    assert notification["Subject"] == f"Quality gate could not validate: {request['record_type']} dt={request['dt']}"
    report: dict[str, Any] = json.loads(notification["Message"])
    assert (report["verdict"], report["error"], report["dt"]) == ("not_validated", error, request["dt"]), report
    return report


def test_job_that_cannot_start_is_not_a_quality_failure(pipeline: Pipeline, gate: dict[str, Any]) -> None:
    gate["script"].update(transient=99)  # ConcurrentRunsExceeded on every StartJobRun
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "shipments", "dt": "2024-06-03"})
    assert gate["script"]["starts"] == 5  # the task's own retries (4), and no more
    report = assert_not_validated(pipeline, gate, done, "Glue.ConcurrentRunsExceededException")
    assert "Concurrent runs exceeded" in report["cause"]


def test_missing_job_is_reported_at_once_without_a_marker(pipeline: Pipeline, gate: dict[str, Any]) -> None:
    boto3.client("glue", region_name=REGION).delete_job(JobName="ge-job")
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "shipments", "dt": "2024-06-04"})
    assert gate["script"]["starts"] == 0
    assert_not_validated(pipeline, gate, done, "Glue.EntityNotFoundException")


@pytest.mark.parametrize(
    "outcome",
    [CRASHED, ("TIMEOUT", "timed out after 60 minutes"), ("ERROR", None), ("STOPPED", None)],
    ids=["crashed", "timeout", "error", "stopped"],
)
def test_run_without_a_verdict_is_retried_and_never_quarantines(
    pipeline: Pipeline, gate: dict[str, Any], outcome: tuple[str, str | None]
) -> None:
    gate["script"]["outcomes"]["2024-06-05"] = [outcome] * 3
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "shipments", "dt": "2024-06-05"})
    assert gate["script"]["starts"] == 3  # the run, then 2 retries
    report = assert_not_validated(pipeline, gate, done, "ValidationDidNotRun")
    assert outcome[0] in report["cause"] and (outcome[1] or "") in report["cause"]


def test_run_that_crashed_then_passes_succeeds(gate: dict[str, Any]) -> None:
    gate["script"]["outcomes"]["2024-06-06"] = [CRASHED, "SUCCEEDED"]
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "shipments", "dt": "2024-06-06"})
    assert done["status"] == "SUCCEEDED", done
    assert gate["script"]["starts"] == 2
    assert json.loads(done["output"])["verdict"] == "passed"


def test_suite_failure_after_a_crash_still_quarantines(pipeline: Pipeline, gate: dict[str, Any]) -> None:
    gate["script"]["outcomes"]["2024-06-02"] = [CRASHED, ("FAILED", SUITE_FAILED)]
    done = run_to_end(gate["sfn"], gate["arn"], {"record_type": "invoice_lines", "dt": "2024-06-02"})
    assert (done["status"], done["error"]) == ("FAILED", "QualityGateFailed")
    assert gate["script"]["starts"] == 2
    assert gate_markers(pipeline) == ["quarantine/_ge_gate/invoice_lines/dt=2024-06-02/marker.json"]
