"""The replay step (elt/ops/replay.py): by default it recomputes — every object of the window has
its units planned with ``replay`` set to the execution name and sent to the work queue — and
copies under the replay prefix only with ``reingest_as_new_copies``. Either way each invocation
stops before the Lambda timeout (the context's remaining time), at its byte budget and at its
object budget, and hands back where it stopped, so the workflow's continuation loop replays every
object exactly once (issue 15, finding 3)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from elt.config import IngestSettings, OpsSettings
from elt.devkit.handlers import LambdaContext, load_handler
from elt.ops.replay import (
    RESERVE_MS,
    SINGLE_COPY_LIMIT,
    copy_estimate_ms,
    ingest_settings,
    plan_estimate_ms,
    replay_step,
)
from elt.ops.request import InvalidRequest
from elt.work_units import WorkUnit
from tests.integration.conftest import ROOT

BUCKET = "replay-bounds-bronze"
REGION = "us-east-1"
STARTED = "2099-01-01T00:00:00Z"  # after every object's LastModified
WINDOW = {"start": "2000-01-01T00:00:00Z", "end": STARTED}
COPIES = {**WINDOW, "reingest_as_new_copies": True}
KEYS = [f"bronze/shipments/part-{i}.jsonl" for i in range(5)]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, OpsSettings]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        for key in KEYS:
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"x" * 100)
        queue_url = sqs.create_queue(QueueName="replay-bounds-work")["QueueUrl"]
        yield s3, sqs, OpsSettings(bronze_bucket=BUCKET, silver_bucket="replay-bounds-silver", queue_url=queue_url)


@pytest.fixture
def s3(aws: tuple[Any, Any, OpsSettings]) -> Any:
    return aws[0]


def run_all(
    aws: tuple[Any, Any, OpsSettings], request: dict[str, Any], remaining_ms: Callable[[], int] | None
) -> list[dict[str, Any]]:
    """The workflow's Replay → MoreToReplay loop: every invocation's replay progress."""
    s3, sqs, defaults = aws
    state: dict[str, Any] = request
    rounds = []
    while True:
        state = replay_step(
            s3,
            state,
            execution_name="run-1",
            execution_started_at=STARTED,
            defaults=defaults,
            sqs=sqs,
            remaining_ms=remaining_ms,
        )
        rounds.append(dict(state["replay"]))
        if not state["replay"]["more"]:
            return rounds
        assert len(rounds) < 20, rounds


def copies(s3: Any) -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="bronze/replay/run-1/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def sent_units(aws: tuple[Any, Any, OpsSettings]) -> list[WorkUnit]:
    _, sqs, defaults = aws
    units: list[WorkUnit] = []
    while True:
        got = sqs.receive_message(QueueUrl=defaults.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        if not got.get("Messages"):
            return units
        units += [WorkUnit.from_message(m["Body"]) for m in got["Messages"]]


# ---- recompute (the default) ------------------------------------------------------------------


def test_recompute_sends_one_unit_per_small_object_with_replay_set_and_copies_nothing(
    aws: tuple[Any, Any, OpsSettings],
) -> None:
    s3 = aws[0]
    rounds = run_all(aws, WINDOW, remaining_ms=lambda: 300_000)
    assert len(rounds) == 1
    progress = rounds[0]
    assert progress["mode"] == "recompute" and progress["dest_prefix"] is None
    assert (progress["objects"], progress["units_sent"], progress["bytes_planned"]) == (5, 5, 500)
    assert progress["sample_keys"] == KEYS
    units = sent_units(aws)
    assert sorted(u.key for u in units) == KEYS
    for unit in units:
        head = s3.head_object(Bucket=BUCKET, Key=unit.key)
        assert unit.replay == "run-1"
        assert (unit.start, unit.end, unit.size, unit.index, unit.count) == (0, 100, 100, 0, 1)
        assert unit.etag == head["ETag"].strip('"') and unit.version_id is None
        assert unit.object_time == head["LastModified"].isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert copies(s3) == []


def test_recompute_plans_a_large_jsonl_object_into_the_ranges_ingest_gives_it(
    aws: tuple[Any, Any, OpsSettings],
) -> None:
    s3, sqs, defaults = aws
    body = b"".join(json.dumps({"n": i, "pad": "y" * 60}).encode() + b"\n" for i in range(100))
    s3.put_object(Bucket=BUCKET, Key="bronze/big/large.jsonl", Body=body)
    small_units = OpsSettings(**{**defaults.__dict__, "work_unit_bytes": 1024})
    state = replay_step(
        s3, {**WINDOW, "src_prefix": "bronze/big/"}, execution_name="run-1", execution_started_at=STARTED,
        defaults=small_units, sqs=sqs,
    )  # fmt: skip
    units = sorted(sent_units(aws), key=lambda u: u.index)
    ingest = IngestSettings(queue_url="q", idempotency_table="t", work_unit_bytes=1024)
    from elt.ingest import plan_units
    from elt.s3_events import ObjectRef

    head = s3.head_object(Bucket=BUCKET, Key="bronze/big/large.jsonl")
    expected = plan_units(
        ObjectRef(BUCKET, "bronze/big/large.jsonl", head["ETag"].strip('"'), len(body)), s3=s3, settings=ingest
    )
    assert len(units) == len(expected) > 1
    assert [(u.start, u.end, u.first_line, u.line_count) for u in units] == [
        (u.start, u.end, u.first_line, u.line_count) for u in expected
    ]
    assert {u.replay for u in units} == {"run-1"}
    assert units[-1].end == len(body)
    assert (state["replay"]["objects"], state["replay"]["units_sent"]) == (1, len(units))


def test_recompute_on_a_versioned_bucket_carries_the_current_version_id(aws: tuple[Any, Any, OpsSettings]) -> None:
    s3 = aws[0]
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=BUCKET, Key=KEYS[0], Body=b"z" * 100)  # a new current version
    run_all(aws, WINDOW, remaining_ms=None)
    units = {u.key: u for u in sent_units(aws)}
    current = s3.head_object(Bucket=BUCKET, Key=KEYS[0])
    assert units[KEYS[0]].version_id == current["VersionId"]
    assert units[KEYS[0]].etag == current["ETag"].strip('"')
    # Written before versioning was enabled: the null version, named by its ETag as ingest did.
    assert units[KEYS[1]].version_id is None


def test_recompute_needs_the_queue(aws: tuple[Any, Any, OpsSettings]) -> None:
    s3, sqs, _ = aws
    from elt.config import SettingsError

    with pytest.raises(SettingsError, match="QUEUE_URL"):
        replay_step(
            s3, WINDOW, execution_name="run-1", execution_started_at=STARTED,
            defaults=OpsSettings(bronze_bucket=BUCKET, silver_bucket="s"), sqs=sqs,
        )  # fmt: skip


def test_a_destination_without_the_copy_flag_is_refused(aws: tuple[Any, Any, OpsSettings]) -> None:
    with pytest.raises(InvalidRequest, match="reingest_as_new_copies"):
        run_all(aws, {**WINDOW, "dest_prefix_base": "bronze/replay/"}, remaining_ms=None)
    with pytest.raises(InvalidRequest, match="true or false"):
        run_all(aws, {**WINDOW, "reingest_as_new_copies": "yes"}, remaining_ms=None)


# ---- copies, only with the flag -----------------------------------------------------------------


def test_copies_only_with_the_flag_and_sends_nothing(aws: tuple[Any, Any, OpsSettings]) -> None:
    s3 = aws[0]
    rounds = run_all(aws, COPIES, remaining_ms=None)
    progress = rounds[-1]
    assert progress["mode"] == "copy" and progress["dest_prefix"] == "bronze/replay/run-1/"
    assert (progress["objects"], progress["bytes_copied"], progress["units_sent"]) == (5, 500, 0)
    assert copies(s3) == [f"bronze/replay/run-1/{key}" for key in KEYS]
    assert sent_units(aws) == []


def test_a_copy_run_started_before_recompute_existed_resumes_as_copies(aws: tuple[Any, Any, OpsSettings]) -> None:
    s3, sqs, defaults = aws
    first = replay_step(
        s3, {**COPIES, "max_objects_per_invocation": 2}, execution_name="run-1", execution_started_at=STARTED,
        defaults=defaults, sqs=sqs,
    )  # fmt: skip
    # The state as the former code wrote it: no mode, no flag in the request, copied/copied_bytes.
    legacy = {k: v for k, v in first["replay"].items() if k not in ("mode", "objects", "bytes_copied", "units_sent",
                                                                     "bytes_planned")}  # fmt: skip
    legacy["copied"], legacy["copied_bytes"] = first["replay"]["objects"], 200
    request = {k: v for k, v in first["request"].items() if k != "reingest_as_new_copies"}
    state: dict[str, Any] = {"request": request, "replay": legacy}
    while state["replay"]["more"]:
        state = replay_step(s3, state, execution_name="run-1", execution_started_at=STARTED, defaults=defaults, sqs=sqs)
    assert (state["replay"]["mode"], state["replay"]["objects"], state["replay"]["bytes_copied"]) == ("copy", 5, 500)
    assert len(copies(s3)) == 5 and sent_units(aws) == []


# ---- bounds, in both modes ----------------------------------------------------------------------


@pytest.mark.parametrize("request_", [WINDOW, COPIES], ids=["recompute", "copy"])
def test_stops_when_the_time_left_would_not_cover_one_more_object(
    aws: tuple[Any, Any, OpsSettings], request_: dict[str, Any]
) -> None:
    # Time for exactly one more object, less 1 ms: each invocation replays one object and stops.
    estimate = plan_estimate_ms(KEYS[0], 100, ingest_settings(aws[2])) if request_ is WINDOW else copy_estimate_ms(100)
    rounds = run_all(aws, request_, remaining_ms=lambda: RESERVE_MS + estimate - 1)
    assert [r["objects"] for r in rounds] == [1, 2, 3, 4, 5]
    assert [r["stopped_by"] for r in rounds] == ["time"] * 4 + [None]
    # Each object once: continue_after stays before the object not replayed.
    replayed = [u.key for u in sent_units(aws)] if request_ is WINDOW else copies(aws[0])
    assert len(replayed) == len(set(replayed)) == 5


@pytest.mark.parametrize("request_", [WINDOW, COPIES], ids=["recompute", "copy"])
def test_enough_time_replays_the_window_in_one_invocation(
    aws: tuple[Any, Any, OpsSettings], request_: dict[str, Any]
) -> None:
    rounds = run_all(aws, request_, remaining_ms=lambda: 300_000)
    assert [(r["objects"], r["more"]) for r in rounds] == [(5, False)]


@pytest.mark.parametrize("request_", [WINDOW, COPIES], ids=["recompute", "copy"])
def test_stops_at_the_byte_budget(aws: tuple[Any, Any, OpsSettings], request_: dict[str, Any]) -> None:
    rounds = run_all(aws, {**request_, "max_bytes_per_invocation": 250}, remaining_ms=None)
    assert [r["objects"] for r in rounds] == [2, 4, 5]
    assert [r["stopped_by"] for r in rounds] == ["bytes", "bytes", None]
    replayed = [u.key for u in sent_units(aws)] if request_ is WINDOW else copies(aws[0])
    assert len(replayed) == len(set(replayed)) == 5


@pytest.mark.parametrize("request_", [WINDOW, COPIES], ids=["recompute", "copy"])
def test_stops_at_the_object_budget(aws: tuple[Any, Any, OpsSettings], request_: dict[str, Any]) -> None:
    rounds = run_all(aws, {**request_, "max_objects_per_invocation": 2}, remaining_ms=None)
    assert [(r["objects"], r["stopped_by"]) for r in rounds] == [(2, "objects"), (4, "objects"), (5, None)]


@pytest.mark.parametrize("request_", [WINDOW, COPIES], ids=["recompute", "copy"])
def test_the_first_object_is_always_taken_so_every_invocation_progresses(
    aws: tuple[Any, Any, OpsSettings], request_: dict[str, Any]
) -> None:
    rounds = run_all(aws, {**request_, "max_bytes_per_invocation": 1}, remaining_ms=lambda: 0)
    assert [r["objects"] for r in rounds] == [1, 2, 3, 4, 5]


def test_the_handler_bounds_by_the_lambda_context(
    aws: tuple[Any, Any, OpsSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRONZE_BUCKET", BUCKET)
    monkeypatch.setenv("SILVER_BUCKET", "replay-bounds-silver")
    monkeypatch.setenv("QUEUE_URL", aws[2].queue_url)
    handler = load_handler("workflows/replay").handler
    event = {"input": WINDOW, "execution_name": "run-1", "execution_started_at": STARTED}
    out = handler(event, LambdaContext("replay", remaining_millis=RESERVE_MS))  # no time for a second object
    assert (out["replay"]["objects"], out["replay"]["more"], out["replay"]["stopped_by"]) == (1, True, "time")
    assert [u.replay for u in sent_units(aws)] == ["run-1"]


def test_a_fresh_invocation_fits_the_largest_object() -> None:
    """The arithmetic of elt/ops/replay.py against the deployed timeout and ingest's size limit:
    the largest single CopyObject, the largest accepted object's copy and its planning read each
    fit a fresh invocation."""
    variables = (ROOT / "infra/terraform/modules/workflow_ops/variables.tf").read_text()
    block = re.search(r'variable "function_timeout_seconds" \{(.*?)\n\}', variables, re.S)
    assert block, "workflow_ops has no function_timeout_seconds"
    default = re.search(r"default\s*=\s*(\d+)", block.group(1))
    assert default
    timeout_ms = int(default.group(1)) * 1000
    largest = IngestSettings().max_object_bytes
    assert RESERVE_MS + copy_estimate_ms(SINGLE_COPY_LIMIT) < timeout_ms
    assert RESERVE_MS + copy_estimate_ms(largest) < timeout_ms
    planning = plan_estimate_ms("bronze/x.jsonl", largest, ingest_settings(OpsSettings(queue_url="q")))
    assert planning > 250_000 and RESERVE_MS + planning < timeout_ms
    # Not read: one unit, no GET.
    assert plan_estimate_ms("bronze/x.jsonl.gz", largest, ingest_settings(OpsSettings(queue_url="q"))) < 2_000
