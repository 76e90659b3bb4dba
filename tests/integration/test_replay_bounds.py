"""The replay step's bounds (issue 15, finding 3): each invocation stops before the Lambda timeout
(the context's remaining time), at its byte budget and at its object budget, and hands back where
it stopped, so the workflow's continuation loop copies every object exactly once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from elt.config import IngestSettings, OpsSettings
from elt.devkit.handlers import LambdaContext, load_handler
from elt.ops.replay import RESERVE_MS, SINGLE_COPY_LIMIT, copy_estimate_ms, replay_step
from tests.integration.conftest import ROOT

BUCKET = "replay-bounds-bronze"
STARTED = "2099-01-01T00:00:00Z"  # after every object's LastModified
WINDOW = {"start": "2000-01-01T00:00:00Z", "end": STARTED}
DEFAULTS = OpsSettings(bronze_bucket=BUCKET, silver_bucket="replay-bounds-silver")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for i in range(5):
            client.put_object(Bucket=BUCKET, Key=f"bronze/shipments/part-{i}.jsonl", Body=b"x" * 100)
        yield client


def run_all(s3: Any, request: dict[str, Any], remaining_ms: Callable[[], int] | None) -> list[dict[str, Any]]:
    """The workflow's Replay → MoreToCopy loop: every invocation's replay progress."""
    state: dict[str, Any] = request
    rounds = []
    while True:
        state = replay_step(
            s3,
            state,
            execution_name="run-1",
            execution_started_at=STARTED,
            defaults=DEFAULTS,
            remaining_ms=remaining_ms,
        )
        rounds.append(dict(state["replay"]))
        if not state["replay"]["more"]:
            return rounds
        assert len(rounds) < 20, rounds


def copies(s3: Any) -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="bronze/replay/run-1/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_stops_when_the_time_left_would_not_cover_one_more_copy(s3: Any) -> None:
    # Time for exactly one more copy, less 1 ms: each invocation copies one object and stops.
    rounds = run_all(s3, WINDOW, remaining_ms=lambda: RESERVE_MS + copy_estimate_ms(100) - 1)
    assert [r["copied"] for r in rounds] == [1, 2, 3, 4, 5]
    assert [r["stopped_by"] for r in rounds] == ["time"] * 4 + [None]
    assert len(copies(s3)) == 5  # each object once: continue_after stays before the object not copied


def test_enough_time_copies_the_window_in_one_invocation(s3: Any) -> None:
    rounds = run_all(s3, WINDOW, remaining_ms=lambda: 300_000)
    assert [(r["copied"], r["more"]) for r in rounds] == [(5, False)]


def test_stops_at_the_byte_budget(s3: Any) -> None:
    rounds = run_all(s3, {**WINDOW, "max_bytes_per_invocation": 250}, remaining_ms=None)
    assert [r["copied"] for r in rounds] == [2, 4, 5]
    assert [r["stopped_by"] for r in rounds] == ["bytes", "bytes", None]
    assert len(copies(s3)) == 5


def test_the_first_object_is_always_taken_so_every_invocation_progresses(s3: Any) -> None:
    rounds = run_all(s3, {**WINDOW, "max_bytes_per_invocation": 1}, remaining_ms=lambda: 0)
    assert [r["copied"] for r in rounds] == [1, 2, 3, 4, 5]


def test_the_handler_bounds_by_the_lambda_context(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRONZE_BUCKET", BUCKET)
    monkeypatch.setenv("SILVER_BUCKET", "replay-bounds-silver")
    handler = load_handler("workflows/replay").handler
    event = {"input": WINDOW, "execution_name": "run-1", "execution_started_at": STARTED}
    out = handler(event, LambdaContext("replay", remaining_millis=RESERVE_MS))  # no time for a second copy
    assert (out["replay"]["copied"], out["replay"]["more"], out["replay"]["stopped_by"]) == (1, True, "time")


def test_a_fresh_invocation_fits_the_largest_copy() -> None:
    """The arithmetic of elt/ops/replay.py against the deployed timeout and ingest's size limit:
    the largest single CopyObject and the largest accepted object each fit a fresh invocation."""
    variables = (ROOT / "infra/terraform/modules/workflow_ops/variables.tf").read_text()
    block = re.search(r'variable "function_timeout_seconds" \{(.*?)\n\}', variables, re.S)
    assert block, "workflow_ops has no function_timeout_seconds"
    default = re.search(r"default\s*=\s*(\d+)", block.group(1))
    assert default
    timeout_ms = int(default.group(1)) * 1000
    assert RESERVE_MS + copy_estimate_ms(SINGLE_COPY_LIMIT) < timeout_ms
    assert RESERVE_MS + copy_estimate_ms(IngestSettings().max_object_bytes) < timeout_ms
