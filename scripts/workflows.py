#!/usr/bin/env python3
"""Start and follow the stack's Step Functions workflows (ENV=local by default).

  python -m scripts.workflows start ops --window-hours 6 --record-type shipments [--wait]
  python -m scripts.workflows start ops --window-hours 6 --reingest-as-new-copies   # rows land again
  python -m scripts.workflows start ge --record-type shipments --dt 2024-06-01 [--wait]
  python -m scripts.workflows start ge          # the newest dt partition of every dataset in silver
  python -m scripts.workflows status ops        # the last started execution(s) (or --execution ARN)
  python -m scripts.workflows history ge        # their events, oldest first

An ops replay recomputes silver in place for the window's objects (work units with ``replay``
set; no row is added); ``--reingest-as-new-copies`` asks for the former behaviour instead: copies
under the replay prefix, ingested as new objects, whose rows land in silver again.

``start`` writes the execution ARNs to ``.last_<workflow>_execution`` (what ``status`` and
``history`` read). Exit codes: 0 started / SUCCEEDED (or still RUNNING for ``status``), 1 the
execution failed or the stack has no such workflow, 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from elt import layout
from scripts.stack import StackError, client, outputs, state_file

WORKFLOWS = {"ops": "ops_state_machine_arn", "ge": "ge_state_machine_arn"}
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def last_execution_file(workflow: str) -> Path:
    return state_file(f".last_{workflow}_execution")


def state_machine_arn(workflow: str) -> str:
    arn = outputs().get(WORKFLOWS[workflow])
    if not arn:
        toggle = "ops_enabled" if workflow == "ops" else "ge_workflow_enabled"
        raise StackError(f"the stack has no {workflow} workflow: set {toggle} = true and apply")
    return str(arn)


def ops_input(args: argparse.Namespace) -> dict[str, Any]:
    """The reference workflow's input; fields left out take the stack's defaults."""
    fields = {
        "src_prefix": args.src_prefix,
        "dest_prefix_base": args.dest_prefix_base,
        "window_hours": args.window_hours,
        "start": args.start,
        "end": args.end,
        "record_type": args.record_type,
        "min_parquet_objects": args.min_parquet_objects,
        "poll_interval_seconds": args.poll_interval_seconds,
        "max_attempts": args.max_attempts,
        "reingest_as_new_copies": True if getattr(args, "reingest_as_new_copies", False) else None,
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}


def replay_summary(output: dict[str, Any]) -> str | None:
    """One line saying what an ops execution's replay did (None: not an ops output)."""
    replay = output.get("replay")
    if not isinstance(replay, dict):
        return None
    more = " (more to come)" if replay.get("more") else ""
    if replay.get("mode") == "copy":
        return (
            f"replay: copied {replay.get('objects', 0)} objects ({replay.get('bytes_copied', 0)} bytes) "
            f"under {replay.get('dest_prefix')} to be ingested as new objects{more}"
        )
    return (
        f"replay: recomputed {replay.get('objects', 0)} objects in place, {replay.get('units_sent', 0)} work units "
        f"sent ({replay.get('bytes_planned', 0)} bytes){more}"
    )


def silver_partitions(s3: Any, bucket: str, silver_prefix: str = layout.SILVER_PREFIX) -> dict[str, list[str]]:
    """record_type -> its ``dt`` partitions in silver, oldest first (one listing per dataset)."""
    found: dict[str, list[str]] = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{silver_prefix}/", Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            record_type = common["Prefix"].removeprefix(f"{silver_prefix}/").strip("/")
            days = [
                p["Prefix"].rstrip("/").rsplit("dt=", 1)[-1]
                for sub in paginator.paginate(Bucket=bucket, Prefix=common["Prefix"], Delimiter="/")
                for p in sub.get("CommonPrefixes", [])
                if "/dt=" in p["Prefix"]
            ]
            if days:
                found[record_type] = sorted(days)
    return found


def ge_inputs(args: argparse.Namespace, partitions: Callable[[], dict[str, list[str]]]) -> list[dict[str, Any]]:
    """One gate request per partition: GE_RECORD_TYPE and GE_DT narrow it; without them, the newest
    ``dt`` of every dataset in silver (of GE_RECORD_TYPE alone, or every dataset that has GE_DT)."""
    if args.dt:
        datetime.strptime(args.dt, "%Y-%m-%d")  # ValueError names the format
    if args.record_type and args.dt:
        chosen = [(args.record_type, args.dt)]
    else:
        found = partitions()
        if args.record_type:
            found = {args.record_type: found.get(args.record_type, [])}
        chosen = [
            (record_type, args.dt if args.dt else days[-1])
            for record_type, days in sorted(found.items())
            if days and (not args.dt or args.dt in days)
        ]
        if not chosen:
            narrowed = " ".join(f for f in (args.record_type, args.dt) if f) or "any dataset"
            raise ValueError(f"silver has no partition for {narrowed}: seed first (make seed) or give GE_DT=")
    extra = {"result_prefix": args.result_prefix.strip("/")} if args.result_prefix else {}
    return [{"record_type": record_type, "dt": dt, **extra} for record_type, dt in chosen]


def start(sfn: Any, workflow: str, requests: list[dict[str, Any]]) -> list[str]:
    """Start one execution per request; remember them all (what ``status`` and ``history`` read)."""
    arn = state_machine_arn(workflow)
    executions = []
    for index, request in enumerate(requests):
        name = f"{workflow}-{datetime.now().strftime('%Y%m%dT%H%M%S')}-{int(time.time() * 1000) % 1000:03d}-{index}"
        started = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(request))
        executions.append(str(started["executionArn"]))
    last_execution_file(workflow).write_text("".join(f"{e}\n" for e in executions))
    return executions


def resolve_executions(workflow: str, execution: str | None) -> list[str]:
    if execution:
        return [execution]
    path = last_execution_file(workflow)
    if not path.exists():
        raise StackError(f"no {workflow} execution started from here yet: run `make {workflow}-start` first")
    return path.read_text().split()


def wait(sfn: Any, execution: str, timeout: float) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if described["status"] in TERMINAL or time.time() > deadline:
            return described
        time.sleep(2)


def report(described: dict[str, Any]) -> int:
    status = described["status"]
    started = described["startDate"]
    stopped = described.get("stopDate")
    took = f" in {(stopped - started).total_seconds():.0f}s" if stopped else ""
    print(f"{described['name']}: {status}{took}")
    if described.get("output"):
        output = json.loads(described["output"])
        summary = replay_summary(output) if isinstance(output, dict) else None
        if summary:
            print(summary)
        print(json.dumps(output, indent=2))
    if status in {"FAILED", "TIMED_OUT", "ABORTED"}:
        print(f"error: {described.get('error', status)}", file=sys.stderr)
        if described.get("cause"):
            print(f"cause: {described['cause']}", file=sys.stderr)
        return 1
    return 0


def history(sfn: Any, execution: str) -> list[tuple[str, str, str]]:
    """(time, event type, state or detail) per event, oldest first."""
    rows = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution):
        for event in page["events"]:
            details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            label = details.get("name") or details.get("error") or details.get("resourceType") or ""
            rows.append((event["timestamp"].strftime("%H:%M:%S"), event["type"], str(label)))
    return rows


def _silver_partitions() -> dict[str, list[str]]:
    return silver_partitions(client("s3"), str(outputs()["silver_bucket"]))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    start_parser = sub.add_parser("start", help="start an execution")
    start_parser.add_argument("workflow", choices=sorted(WORKFLOWS))
    start_parser.add_argument("--src-prefix", help="ops: bronze prefix to replay (default: the bronze prefix)")
    start_parser.add_argument(
        "--reingest-as-new-copies",
        action="store_true",
        help="ops: copy the window under the replay prefix so it is ingested as new objects (its rows land in "
        "silver again); default: recompute silver in place",
    )
    start_parser.add_argument(
        "--dest-prefix-base", help="ops, with --reingest-as-new-copies: copies land under <this>/<execution>/"
    )
    start_parser.add_argument("--window-hours", type=int, help="ops: replay objects written in the last N hours")
    start_parser.add_argument("--start", help="ops: window start, ISO-8601 (with --end instead of --window-hours)")
    start_parser.add_argument("--end", help="ops: window end, ISO-8601 (default: now)")
    start_parser.add_argument(
        "--record-type", help="ops: poll only this dataset's silver; ge: dataset to validate (default: every dataset)"
    )
    start_parser.add_argument("--min-parquet-objects", type=int, help="ops: new Parquet objects that mean done")
    start_parser.add_argument("--poll-interval-seconds", type=int, help="ops: seconds between silver polls")
    start_parser.add_argument("--max-attempts", type=int, help="ops: polls before the workflow fails")
    start_parser.add_argument("--dt", help="ge: partition day, YYYY-MM-DD (default: each dataset's newest)")
    start_parser.add_argument("--result-prefix", help="ge: where the result JSON goes (default: the stack's)")
    start_parser.add_argument("--wait", action="store_true", help="wait for the end; exit 1 if it fails")
    start_parser.add_argument("--timeout", type=float, default=1800, help="seconds --wait waits (default 1800)")
    for command in ("status", "history"):
        p = sub.add_parser(command, help=f"{command} of the last started (or a given) execution")
        p.add_argument("workflow", choices=sorted(WORKFLOWS))
        p.add_argument("--execution", help="execution ARN (default: the one in .last_<workflow>_execution)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        sfn = client("stepfunctions")
        if args.command == "start":
            try:
                requests = [ops_input(args)] if args.workflow == "ops" else ge_inputs(args, _silver_partitions)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            executions = start(sfn, args.workflow, requests)
            for execution, request in zip(executions, requests, strict=True):
                print(f"started {execution}\n  input: {json.dumps(request)}")
            if not args.wait:
                return 0
            return max(report(wait(sfn, execution, args.timeout)) for execution in executions)
        executions = resolve_executions(args.workflow, args.execution)
        if args.command == "status":
            return max(report(sfn.describe_execution(executionArn=execution)) for execution in executions)
        for execution in executions:
            if len(executions) > 1:
                print(execution)
            for row in history(sfn, execution):
                print("  ".join(f"{cell:<32}" if i == 1 else cell for i, cell in enumerate(row)))
        return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
