#!/usr/bin/env python3
"""`make demo`: seed the deployed local stack, wait for silver, and print what happened.

Run by `make demo` after `up`, `build` and `tf-apply`. Seeds fake events of every dataset (a few
percent invalid) as JSON Lines, gzip and a JSON array, follows them to silver with a progress
bar, prints a per-partition summary, crawls silver, runs the GE gate workflow on the largest
partition and the ops replay workflow on the last hour of shipments (it recomputes their silver
rows in place). Exits non-zero if silver or quarantine do not account for every seeded line in
time, or a workflow fails.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from demo.report import collect, reason_kind, write_report
from elt.layout import object_id
from elt.queues import queue_depth
from scripts import workflows
from scripts.gen_fake_events import RECORD_TYPES, FakeEvents
from scripts.stack import client, outputs, wait_for

ROOT = Path(__file__).resolve().parent.parent

console = Console()


@dataclass
class Seeded:
    keys: dict[str, str] = field(default_factory=dict)  # object id → key
    valid: Counter[str] = field(default_factory=Counter)
    invalid: int = 0

    @property
    def records(self) -> int:
        return sum(self.valid.values()) + self.invalid


def seed(bucket: str, records_per_object: int, invalid_rate: float, run_id: str) -> Seeded:
    s3 = client("s3")
    gen = FakeEvents(seed=int(time.time()))
    seeded = Seeded()

    def put(key: str, body: bytes) -> None:
        etag = s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')
        seeded.keys[object_id(bucket, key, etag)] = key

    for record_type in RECORD_TYPES:
        lines = list(gen.lines(records_per_object, (record_type,), invalid_rate))
        seeded.valid[record_type] += sum(ok for _, ok in lines)
        seeded.invalid += sum(not ok for _, ok in lines)
        body = ("\n".join(line for line, _ in lines) + "\n").encode()
        put(f"bronze/{record_type}/demo-{run_id}.jsonl", body)
    mixed = list(gen.lines(records_per_object, RECORD_TYPES, invalid_rate))
    for line, ok in mixed:
        if ok:
            seeded.valid[json.loads(line)["record_type"]] += 1
        else:
            seeded.invalid += 1
    put(f"bronze/mixed/demo-{run_id}.jsonl.gz", gzip.compress(("\n".join(line for line, _ in mixed) + "\n").encode()))
    array = [gen.record("shipments") for _ in range(records_per_object // 10)]
    seeded.valid["shipments"] += len(array)
    put(f"bronze/shipments/demo-{run_id}.json", json.dumps(array).encode())
    return seeded


@dataclass
class Landed:
    rows: Counter[tuple[str, str]] = field(default_factory=Counter)  # (record_type, dt) → rows
    files: Counter[tuple[str, str]] = field(default_factory=Counter)
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def landed(bucket: str, seeded: Seeded, cache: dict[str, int]) -> Landed:
    """Silver rows and quarantine entries written for this run's objects (files named by object id)."""
    s3 = client("s3")
    result = Landed()
    for prefix in ("silver/", "quarantine/"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.rsplit("/", 1)[-1].split("-", 1)[0] not in seeded.keys:
                    continue
                body = None
                if key not in cache or prefix == "quarantine/":
                    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                if prefix == "silver/":
                    if body is not None:
                        cache[key] = pq.read_metadata(io.BytesIO(body)).num_rows
                    _, record_type, dt_part, _ = key.split("/", 3)
                    partition = (record_type, dt_part.removeprefix("dt="))
                    result.rows[partition] += cache[key]
                    result.files[partition] += 1
                else:
                    entries = [json.loads(line) for line in (body or b"").splitlines()]
                    result.quarantined += len(entries)
                    result.reasons.update(reason_kind(e["reason"]) for e in entries)
    return result


def run_catalog_and_workflows(out: dict[str, Any], now: Landed) -> tuple[dict[str, float], bool]:
    """Crawl silver into the catalog, run the GE gate state machine on the run's largest
    partition, and replay this run's shipments through the ops workflow (recomputed in place)."""
    glue, sfn, timings, ok = client("glue"), client("stepfunctions"), {}, True
    if out.get("glue_crawler_name"):
        started = time.time()
        crawler = out["glue_crawler_name"]
        glue.start_crawler(Name=crawler)
        status = lambda: glue.get_crawler(Name=crawler)["Crawler"].get("LastCrawl", {}).get("Status")  # noqa: E731
        wait_for(lambda: status() in {"COMPLETED", "FAILED"}, 120, "the crawler")
        tables = glue.get_tables(DatabaseName=out["glue_database_name"])["TableList"]
        ok = ok and status() == "COMPLETED"
        timings["Glue crawler"] = time.time() - started
        console.print(f"crawler {status().lower()}: tables {', '.join(sorted(t['Name'] for t in tables))} "
                      f"in {out['glue_database_name']}")  # fmt: skip
    if out.get("ge_state_machine_arn") and now.rows:
        started = time.time()
        (record_type, dt), _ = now.rows.most_common(1)[0]
        with console.status(f"GE quality gate (Step Functions → Glue job on local Spark) on {record_type} dt={dt}"):
            done = workflows.wait(sfn, workflows.start(sfn, "ge", [{"record_type": record_type, "dt": dt}])[0], 900)
        timings["GE quality gate workflow"] = time.time() - started
        ok = ok and done["status"] == "SUCCEEDED"
        result = json.loads(done.get("output") or "{}").get("result", done.get("cause", ""))
        console.print(f"GE quality gate on {record_type} dt={dt}: {done['status']} — {result}  (make ge-status)")
    if out.get("ops_state_machine_arn"):
        started = time.time()
        request = {"src_prefix": "bronze/shipments/", "record_type": "shipments", "window_hours": 1,
                   "min_parquet_objects": 1, "poll_interval_seconds": 2, "max_attempts": 150}  # fmt: skip
        with console.status("ops workflow: recomputing the last hour of bronze/shipments/ and polling silver"):
            done = workflows.wait(sfn, workflows.start(sfn, "ops", [request])[0], 600)
        timings["ops replay workflow"] = time.time() - started
        ok = ok and done["status"] == "SUCCEEDED"
        state = json.loads(done.get("output") or "{}")
        replayed = workflows.replay_summary(state) or "replay: no output"
        grew = state.get("progress", {}).get("new_parquet_objects", 0)
        console.print(f"ops {done['status']} — {replayed}; {grew} new silver files")
    return timings, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000, help="records per seeded object (default 2000)")
    parser.add_argument("--invalid-rate", type=float, default=0.02, help="share of invalid records (default 0.02)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds to wait for silver (default 300)")
    args = parser.parse_args()
    out = outputs("local")
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    timings: dict[str, float] = {}

    started = time.time()
    seeded = seed(out["bronze_bucket"], args.records, args.invalid_rate, run_id)
    timings["seed (upload to bronze)"] = time.time() - started
    expected_rows = sum(seeded.valid.values())
    console.print(
        f"seeded {len(seeded.keys)} objects, {seeded.records:,} records ({seeded.invalid} invalid) — run {run_id}"
    )

    cache: dict[str, int] = {}
    waited = time.time()
    with Progress(TextColumn("waiting for silver"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} lines"),
                  TimeElapsedColumn(), console=console) as progress:  # fmt: skip
        task = progress.add_task("silver", total=seeded.records)
        while True:
            now = landed(out["silver_bucket"], seeded, cache)
            progress.update(task, completed=sum(now.rows.values()) + now.quarantined)
            done = sum(now.rows.values()) == expected_rows and now.quarantined == seeded.invalid
            if done or time.time() - waited > args.timeout:
                break
            time.sleep(1)
    timings["bronze → silver"] = time.time() - waited

    table = Table(title=f"silver for demo run {run_id}")
    for column in ("record_type", "dt", "rows", "files"):
        table.add_column(column, justify="right" if column in ("rows", "files") else "left")
    for (record_type, dt), rows in sorted(now.rows.items()):
        table.add_row(record_type, dt, f"{rows:,}", str(now.files[(record_type, dt)]))
    console.print(table)
    sqs = client("sqs")
    dlq_depth = queue_depth(sqs, out["dlq_url"]).visible
    rows, files = sum(now.rows.values()), sum(now.files.values())
    console.print(f"objects: {len(seeded.keys)}   records: {seeded.records:,}   silver rows: {rows:,}")
    console.print(f"silver files: {files}   quarantined: {now.quarantined}   DLQ depth: {dlq_depth}")
    for reason, count in now.reasons.most_common():
        console.print(f"  quarantined {count:>4} × {reason}")
    catalog_timings, catalog_ok = run_catalog_and_workflows(out, now)
    timings.update(catalog_timings)
    for stage, seconds in timings.items():
        console.print(f"  {stage}: {seconds:.1f} s")
    # Written before the verdict so a failed run has its report too; it reads the stack, not this script.
    report = collect(s3=client("s3"), sqs=sqs, dynamodb=client("dynamodb"), sfn=client("stepfunctions"),
                     outputs=out, timings=timings)  # fmt: skip
    console.print(f"report: {write_report(report, ROOT / 'demo' / 'out' / 'report.html')}")
    ok = sum(now.rows.values()) == expected_rows and now.quarantined == seeded.invalid and dlq_depth == 0
    if not catalog_ok:
        console.print("[red]FAILED[/red]: the crawler or a workflow did not succeed; see `make ge-history`, "
                      "`make ops-history` and `make logs`")  # fmt: skip
        return 1
    if not ok:
        console.print(f"[red]FAILED[/red]: expected {expected_rows:,} silver rows and {seeded.invalid} quarantined; "
                      "see `make logs FN=ingest` / `make logs FN=transform`")  # fmt: skip
        return 1
    console.print("[green]every seeded line is one silver row or one quarantine entry[/green]")
    console.print('explore: eval "$(.venv/bin/python -m localcloud env)"')
    console.print(f"         aws s3 ls --recursive s3://{out['silver_bucket']}/silver/")
    console.print("stop:    make down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
