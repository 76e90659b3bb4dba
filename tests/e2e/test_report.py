"""The run report, rendered by headless Chromium, shows exactly what silver and quarantine hold.

A seeded batch goes through the Terraform-deployed local cloud; the report is collected from the
stack and rendered to a file; Chromium loads it (``--dump-dom``) and every number is read back
from the DOM it built and compared with numbers computed here, independently, from the Parquet
rows (record_type and the UTC date of event_time), the quarantine JSONL, the result JSONs and the
AWS APIs. A screenshot must be a real PNG; ``REPORT_SCREENSHOT_TO=<path>`` keeps a copy (this is
how ``demo/report.png`` is made).

Chromium: the session setup runs ``scripts/ensure_chromium.sh``, which finds a browser or, as
root with apt-get, installs Debian's ``chromium`` (see the script for why there and not in CI's
entry point); where it cannot, the test skips with the script's reason.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from demo.report import WORKFLOWS, collect, read_numbers, reason_kind, write_report
from elt.devkit.silver_audit import SilverReader
from elt.layout import GATE_MARKER_PREFIX, object_id
from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import ROOT, LocalStack

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")  # fmt: skip
SCREENSHOT_SIZE = (1200, 2600)


@pytest.fixture(scope="session")
def chromium() -> str:
    try:
        found = subprocess.run(
            ["bash", str(ROOT / "scripts" / "ensure_chromium.sh")], capture_output=True, text=True, timeout=420
        )
    except subprocess.TimeoutExpired:
        pytest.skip("scripts/ensure_chromium.sh did not finish in 420 s: no headless Chromium for the report test")
    if found.returncode != 0:
        reason = (found.stderr.strip().splitlines() or ["no reason given"])[-1]
        print(f"report test skipped: {reason}")
        pytest.skip(f"no headless Chromium for the report test: {reason}")
    return found.stdout.strip().splitlines()[-1]


def run_chromium(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless run with a fresh profile (no state shared between runs or with a user profile)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, f"chromium {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done


def seed_batch(stack: LocalStack) -> tuple[set[str], Counter[str], int]:
    """Upload JSON Lines (with invalid records), a gzip and a JSON array; (object ids, valid rows by type, invalid)."""
    s3, bronze = stack.client("s3"), stack.outputs["bronze_bucket"]
    gen = FakeEvents(seed=20261120)
    lines = list(gen.lines(900, invalid_rate=0.05))
    gz_lines = list(gen.lines(300, ("tracking_events", "invoice_lines"), invalid_rate=0.05))
    array = [gen.record("shipments") for _ in range(60)]
    valid = Counter(json.loads(line)["record_type"] for line, ok in lines + gz_lines if ok)
    valid["shipments"] += len(array)
    invalid = sum(not ok for _, ok in lines + gz_lines)
    ids = set()
    for key, body in (
        ("bronze/mixed/report-1.jsonl", "\n".join(line for line, _ in lines).encode() + b"\n"),
        ("bronze/mixed/report-2.jsonl.gz", gzip.compress("\n".join(line for line, _ in gz_lines).encode())),
        ("bronze/shipments/report-3.json", json.dumps(array).encode()),
    ):
        etag = s3.put_object(Bucket=bronze, Key=key, Body=body)["ETag"].strip('"')
        ids.add(object_id(bronze, key, etag))
    assert invalid > 0, "the seeded batch must contain invalid records"
    return ids, valid, invalid


def in_scope(uri: str, version: str, ids: set[str]) -> bool:
    """A row's or entry's bronze object version is one of ``ids`` (unversioned bronze: the ETag)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return object_id(bucket, key, version) in ids


def silver_truth(stack: LocalStack, ids: set[str]) -> tuple[Counter[str], Counter[str]]:
    """(rows, files) per ``record_type/dt``: rows from the data itself (their lineage says which
    object they came from), files from the keys (a file counts when it holds any of their rows)."""
    rows: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for part in SilverReader(stack.client("s3"), stack.outputs["silver_bucket"]).read().parts:
        lineage = zip(part.table.column("_source_uri").to_pylist(), part.table.column("_source_version").to_pylist(),
                      strict=True)  # fmt: skip
        table = part.table.filter(pa.array([in_scope(uri, version, ids) for uri, version in lineage], pa.bool_()))
        if not table.num_rows:
            continue
        days = pc.strftime(table.column("event_time"), format="%Y-%m-%d").to_pylist()
        rows.update(f"{rt}/{day}" for rt, day in zip(table.column("record_type").to_pylist(), days, strict=True))
        files[f"{part.record_type}/{part.dt}"] += 1
    return rows, files


def quarantine_truth(stack: LocalStack, ids: set[str]) -> tuple[Counter[str], int]:
    """(entries per reason kind, entry files holding any of them)."""
    s3, bucket = stack.client("s3"), stack.outputs["silver_bucket"]
    reasons: Counter[str] = Counter()
    files = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="quarantine/"):
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith(".jsonl") or obj["Key"].startswith(GATE_MARKER_PREFIX + "/"):
                continue
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            entries = [json.loads(line) for line in body.splitlines() if line.strip()]
            mine = [e for e in entries if in_scope(f"s3://{e['source']['bucket']}/{e['source']['key']}",
                                                   e["source"]["etag"], ids)]  # fmt: skip
            reasons.update(reason_kind(e["reason"]) for e in mine)
            files += bool(mine)
    return reasons, files


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def one(found: dict[tuple[str, str | None], list[str]], name: str, key: str | None = None) -> str:
    texts = found.get((name, key))
    assert texts, f"{name!r} (key {key!r}) is not shown in the rendered report"
    assert len(set(texts)) == 1, f"{name!r} (key {key!r}) is shown with different values: {texts}"
    return texts[0]


def number(text: str) -> int:
    return int(text.removesuffix(" s").replace(",", ""))


def check_stack_wide_numbers(stack: LocalStack, metrics: dict[tuple[str, str | None], list[str]]) -> None:
    """Queue depths, gate results and workflow executions shown in the report, against the APIs."""
    out = stack.outputs
    sqs = stack.client("sqs")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    dlq_depth = sum(
        int(v)
        for url in (out.get("dlq_url"), out.get("ingest_dlq_url"))
        if url
        for v in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].values()
    )
    assert number(one(metrics, "dlq_depth")) == dlq_depth
    s3, silver = stack.client("s3"), out["silver_bucket"]
    results: dict[str, Any] = {}
    for page_ in s3.get_paginator("list_objects_v2").paginate(Bucket=silver, Prefix="ge-results/"):
        for obj in page_.get("Contents", []):
            if obj["Key"].endswith("/result.json"):
                doc = json.loads(s3.get_object(Bucket=silver, Key=obj["Key"])["Body"].read())
                results[f"{doc['record_type']}/{doc['dt']}"] = doc
    assert number(one(metrics, "gate_results")) == len(results)
    for key, doc in results.items():
        assert one(metrics, "gate_status", key) == ("PASSED" if doc["success"] else "FAILED")
        assert number(one(metrics, "gate_rows", key)) == doc["statistics"]["row_count"]
    sfn = stack.client("stepfunctions")
    for output, _ in WORKFLOWS:
        if not out.get(output):
            assert one(metrics, "workflow_state", output) == "not deployed"
            continue
        executions = sfn.list_executions(stateMachineArn=out[output], maxResults=25)["executions"]
        assert number(one(metrics, "workflow_executions", output)) == len(executions)
        for execution in executions:
            # Listed after the report was collected: an execution may have finished in between.
            shown = one(metrics, "execution_status", execution["name"])
            assert shown == execution["status"] or (shown == "RUNNING" and execution["status"] != "RUNNING")


def test_rendered_report_shows_the_numbers_in_silver(
    chromium: str, local_stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # chromium first: without a browser the test skips before the stack is built for it.
    stack, out = local_stack, local_stack.outputs
    started = time.monotonic()
    ids, valid, invalid = seed_batch(stack)
    uploaded = time.monotonic()
    stack.wait_for(
        lambda: (
            sum(silver_truth(stack, ids)[0].values()) == sum(valid.values())
            and sum(quarantine_truth(stack, ids)[0].values()) == invalid
        ),
        timeout=180,
        what=f"{sum(valid.values())} silver rows and {invalid} quarantine entries",
    )
    timings = {"upload to bronze": uploaded - started, "bronze → silver": time.monotonic() - uploaded}

    data = collect(s3=stack.client("s3"), sqs=stack.client("sqs"), dynamodb=stack.client("dynamodb"),
                   sfn=stack.client("stepfunctions"), outputs=out, timings=timings, object_ids=ids)  # fmt: skip
    page = write_report(data, tmp_path / "report.html")
    metrics, charts = read_numbers(run_chromium(chromium, "--dump-dom", page.as_uri()).stdout)

    # Silver: totals and every partition, against the rows themselves.
    rows, files = silver_truth(stack, ids)
    assert number(one(metrics, "silver_rows_total")) == sum(rows.values()) == sum(valid.values())
    assert number(one(metrics, "silver_files_total")) == sum(files.values())
    assert number(one(metrics, "silver_partitions")) == len(files) == len(rows)
    for key in rows:
        assert number(one(metrics, "partition_rows", key)) == number(one(charts, "partition_rows", key)) == rows[key]
        assert number(one(metrics, "partition_files", key)) == number(one(charts, "partition_files", key)) == files[key]
    partitions_shown = {k for (name, k) in metrics if name == "partition_rows"}
    assert partitions_shown == set(rows), f"partitions shown {partitions_shown} != in silver {set(rows)}"

    # Quarantine, by reason.
    reasons, entry_files = quarantine_truth(stack, ids)
    assert number(one(metrics, "quarantine_entries_total")) == sum(reasons.values()) == invalid
    assert number(one(metrics, "quarantine_files")) == entry_files
    assert number(one(metrics, "lines_accounted")) == sum(valid.values()) + invalid
    for reason, count in reasons.items():
        assert number(one(metrics, "quarantine_reason", reason)) == count
        assert number(one(charts, "quarantine_reason", reason)) == count
    assert {k for (name, k) in metrics if name == "quarantine_reason"} == set(reasons)

    # Bronze and ingest: three small objects, one work unit each.
    assert number(one(metrics, "bronze_objects")) == len(ids)
    assert number(one(metrics, "ingested_objects")) == len(ids)
    assert number(one(metrics, "work_units")) == len(ids)

    # Queues, gate results and workflows cover the whole stack: compare with the APIs and S3.
    check_stack_wide_numbers(stack, metrics)
    for stage in timings:
        assert one(metrics, "stage_seconds", stage) == f"{timings[stage]:.3f}"

    # What a reader gets: a real screenshot of the page.
    shot = tmp_path / "report.png"
    run_chromium(chromium, f"--screenshot={shot}", "--window-size={},{}".format(*SCREENSHOT_SIZE), page.as_uri())
    image = shot.read_bytes()
    assert png_size(image) == SCREENSHOT_SIZE and len(image) > 20_000, f"{len(image)} bytes"
    if target := os.environ.get("REPORT_SCREENSHOT_TO"):
        shutil.copyfile(shot, target)
    with capsys.disabled():
        print(f"\nreport: {page} ({page.stat().st_size:,} bytes), screenshot {len(image):,} bytes")
