#!/usr/bin/env python3
"""`make demo`: seed the deployed local stack, wait for silver, and print what happened.

Run by `make demo` after `up`, `build` and `tf-apply`. Seeds fake events of every dataset (a few
percent invalid) as JSON Lines, gzip and a JSON array, follows them to silver with a progress
bar, prints a per-partition summary, crawls silver, runs the GE gate workflow on the largest
partition and the ops replay workflow on the last hour of shipments (it recomputes their silver
rows in place), and reads all of silver through the S3 API before and after the replay: rows,
duplicate record identities and business-duplicate rows (elt/devkit/silver_audit.py). Ends with
the quick queries through Athena (scripts/query.py: latest shipments, rows per partition, weights
per day), printed and in the run report. Exits
non-zero if silver or quarantine do not account for every seeded line in time, a workflow fails,
or the replay grew silver or left a record in it twice.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from demo.report import QueryAnswer, collect, reason_kind, write_report
from elt.devkit.silver_audit import SilverReader, wait_until_drained
from elt.layout import GATE_MARKER_PREFIX
from elt.queues import queue_depth
from scripts import workflows
from scripts.gen_fake_events import RECORD_TYPES, FakeEvents
from scripts.query import QUICK_QUERIES, QueryError, run_saved, table_of
from scripts.stack import client, outputs, wait_for, wrangler_session

ROOT = Path(__file__).resolve().parent.parent

console = Console()


@dataclass
class Seeded:
    uris: set[str] = field(default_factory=set)  # s3://bucket/key of every seeded object
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
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        seeded.uris.add(f"s3://{bucket}/{key}")

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


def landed(silver: SilverReader, seeded: Seeded) -> Landed:
    """Silver rows and quarantine entries of this run's objects, told apart by their lineage
    (``_source_uri``; a quarantine entry's ``source``): files are named by batch, and a batch may
    also hold other objects' rows."""
    result = Landed()
    for part in silver.read().only(uris=seeded.uris).parts:
        result.rows[(part.record_type, part.dt)] += part.rows
        result.files[(part.record_type, part.dt)] += 1
    s3 = client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=silver.bucket, Prefix="quarantine/"):
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith(".jsonl") or obj["Key"].startswith(GATE_MARKER_PREFIX + "/"):
                continue
            body = s3.get_object(Bucket=silver.bucket, Key=obj["Key"])["Body"].read()
            for entry in (json.loads(line) for line in body.splitlines() if line.strip()):
                source = entry.get("source") or {}
                if f"s3://{source.get('bucket')}/{source.get('key')}" in seeded.uris:
                    result.quarantined += 1
                    result.reasons[reason_kind(entry["reason"])] += 1
    return result


def run_catalog_and_workflows(out: dict[str, Any], now: Landed) -> tuple[dict[str, float], bool]:
    """Crawl silver into the catalog and run the GE gate state machine on the run's largest
    partition."""
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
    return timings, ok


def replay_and_check(out: dict[str, Any], silver: SilverReader) -> tuple[float, bool, list[str]]:
    """Replay the last hour of this run's shipments through the ops workflow (recomputed in place),
    wait until the work queue has drained, and check silver as a reader gets it through S3 before
    and after: the rows must not grow and no record may be there twice. Returns (seconds, the
    workflow succeeded, what is wrong with silver)."""
    sfn, sqs = client("stepfunctions"), client("sqs")
    before = silver.read().audit()
    started = time.time()
    request = {"src_prefix": "bronze/shipments/", "record_type": "shipments", "window_hours": 1,
               "min_parquet_objects": 1, "poll_interval_seconds": 2, "max_attempts": 150}  # fmt: skip
    with console.status("ops workflow: recomputing the last hour of bronze/shipments/ and polling silver"):
        done = workflows.wait(sfn, workflows.start(sfn, "ops", [request])[0], 600)
        drained = wait_until_drained(sqs, out["queue_url"], timeout=300)
    seconds = time.time() - started
    state = json.loads(done.get("output") or "{}")
    replayed = workflows.replay_summary(state) or "replay: no output"
    grew = state.get("progress", {}).get("new_parquet_objects", 0)
    console.print(f"ops {done['status']} — {replayed}; {grew} new silver files")
    after = silver.read().audit()
    console.print(
        f"silver read through S3 (every {silver.prefix}/**.parquet): before the replay {before.rows:,} rows in "
        f"{before.files} files, after {after.rows:,} rows in {after.files} files ({after.rows - before.rows:+,} rows)"
    )
    console.print(
        f"after the replay: {after.duplicate_identities} duplicate record identities (_source_uri, _source_version, "
        f"_source_line), {after.business_duplicates} business-duplicate rows (same values in every other column)"
    )
    problems = after.problems(before)
    if not drained:
        problems.append("the work queue still held messages 300 s after the replay: silver was read mid-replay")
    return seconds, done["status"] == "SUCCEEDED", problems


def quick_queries(out: dict[str, Any], timings: dict[str, float]) -> tuple[list[QueryAnswer], bool]:
    """The seed's quick look at silver through Athena (awswrangler): printed, timed and reported.
    Returns the answers and whether every query succeeded (no Athena deployed: none, True)."""
    if not (out.get("athena_workgroup") and out.get("glue_database_name")):
        return [], True
    started = time.time()
    answers = []
    try:
        for saved, answer in run_saved(QUICK_QUERIES, workgroup=out["athena_workgroup"], session=wrangler_session()):
            console.print(table_of(answer.frame, f"{saved.name} — {saved.description}", max_rows=10))
            frame = answer.frame.astype(object).where(answer.frame.notna(), "")
            answers.append(QueryAnswer(saved.name, saved.sql, tuple(map(str, frame.columns)),
                                       tuple(tuple(map(str, row)) for row in frame.itertuples(index=False)),
                                       answer.scanned_bytes, answer.engine_ms))  # fmt: skip
    except QueryError as exc:
        console.print(f"[red]the quick queries failed[/red]: {exc}")
        return answers, False
    finally:
        timings["Athena quick queries"] = time.time() - started
    return answers, True


def follow_to_silver(silver: SilverReader, seeded: Seeded, timeout: float) -> Landed:
    """Wait, with a progress bar, until every seeded line is a silver row or a quarantine entry."""
    expected_rows = sum(seeded.valid.values())
    started = time.time()
    with Progress(TextColumn("waiting for silver"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} lines"),
                  TimeElapsedColumn(), console=console) as progress:  # fmt: skip
        task = progress.add_task("silver", total=seeded.records)
        while True:
            now = landed(silver, seeded)
            progress.update(task, completed=sum(now.rows.values()) + now.quarantined)
            done = sum(now.rows.values()) == expected_rows and now.quarantined == seeded.invalid
            if done or time.time() - started > timeout:
                return now
            time.sleep(1)


def print_landed(run_id: str, seeded: Seeded, now: Landed, dlq_depth: int) -> None:
    table = Table(title=f"silver for demo run {run_id}")
    for column in ("record_type", "dt", "rows", "files"):
        table.add_column(column, justify="right" if column in ("rows", "files") else "left")
    for (record_type, dt), rows in sorted(now.rows.items()):
        table.add_row(record_type, dt, f"{rows:,}", str(now.files[(record_type, dt)]))
    console.print(table)
    rows, files = sum(now.rows.values()), sum(now.files.values())
    console.print(f"objects: {len(seeded.uris)}   records: {seeded.records:,}   silver rows: {rows:,}")
    console.print(f"silver files: {files}   quarantined: {now.quarantined}   DLQ depth: {dlq_depth}")
    for reason, count in now.reasons.most_common():
        console.print(f"  quarantined {count:>4} × {reason}")


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
        f"seeded {len(seeded.uris)} objects, {seeded.records:,} records ({seeded.invalid} invalid) — run {run_id}"
    )
    silver = SilverReader(client("s3"), out["silver_bucket"])
    waited = time.time()
    now = follow_to_silver(silver, seeded, args.timeout)
    timings["bronze → silver"] = time.time() - waited
    sqs = client("sqs")
    dlq_depth = queue_depth(sqs, out["dlq_url"]).visible
    print_landed(run_id, seeded, now, dlq_depth)
    catalog_timings, catalog_ok = run_catalog_and_workflows(out, now)
    timings.update(catalog_timings)
    silver_problems: list[str] = []
    if out.get("ops_state_machine_arn"):
        timings["ops replay workflow"], ops_ok, silver_problems = replay_and_check(out, silver)
        catalog_ok = catalog_ok and ops_ok
    queries, queries_ok = quick_queries(out, timings)
    catalog_ok = catalog_ok and queries_ok
    for stage, seconds in timings.items():
        console.print(f"  {stage}: {seconds:.1f} s")
    # Written before the verdict so a failed run has its report too; it reads the stack, not this script.
    report = collect(s3=client("s3"), sqs=sqs, dynamodb=client("dynamodb"), sfn=client("stepfunctions"),
                     outputs=out, timings=timings, queries=queries)  # fmt: skip
    console.print(f"report: {write_report(report, ROOT / 'demo' / 'out' / 'report.html')}")
    ok = sum(now.rows.values()) == expected_rows and now.quarantined == seeded.invalid and dlq_depth == 0
    if not catalog_ok:
        console.print("[red]FAILED[/red]: the crawler, a workflow or a quick query did not succeed; see "
                      "`make ge-history`, `make ops-history` and `make logs`")  # fmt: skip
        return 1
    if silver_problems:
        for problem in silver_problems:
            console.print(f"[red]FAILED[/red]: silver after the ops replay: {problem}")
        return 1
    if not ok:
        console.print(f"[red]FAILED[/red]: expected {expected_rows:,} silver rows and {seeded.invalid} quarantined; "
                      "see `make logs FN=ingest` / `make logs FN=transform`")  # fmt: skip
        return 1
    console.print("[green]every seeded line is one silver row or one quarantine entry[/green]")
    if out.get("ops_state_machine_arn"):
        console.print("[green]the ops replay recomputed silver in place: no row added, none there twice[/green]")
    console.print('explore: eval "$(.venv/bin/python -m localcloud env)"')
    console.print(f"         aws s3 ls --recursive s3://{out['silver_bucket']}/silver/")
    console.print("stop:    make down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
