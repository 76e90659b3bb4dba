#!/usr/bin/env python3
"""Move the messages of a dead-letter queue back to their source queue with SQS's native message
move task (StartMessageMoveTask), follow it, and report its status.

  start   start a move task for the DLQ (by default to the queue whose redrive policy names it);
          --wait follows it to the end with a progress bar
  status  the DLQ's depth and its most recent move tasks
  cancel  cancel the DLQ's running move task

Redriven work units go through the transform again; its outputs are keyed by the unit, so a unit
that half-succeeded before overwrites its own files instead of duplicating rows. Inspect a few DLQ
messages first (aws sqs receive-message) if the cause of the failures is not fixed yet: they will
fail again and return to the DLQ after the queue's maxReceiveCount.

Examples:
  scripts/redrive.py start --wait
  scripts/redrive.py start --max-per-second 50
  scripts/redrive.py status --max-results 5
  ENV=dev scripts/redrive.py start --dlq-url https://sqs.eu-west-1.amazonaws.com/123/elt-events-dlq --wait

The DLQ defaults to the dlq_url Terraform output of ENV (local by default).

Exit codes: 0 started/completed/reported, 1 the task failed or an AWS call failed,
2 a usage error (e.g. the queue is not a dead-letter queue, or no task runs to cancel).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from typing import Any

from elt.queues import queue_depth
from scripts.operator_cli import (
    OperationError,
    UsageError,
    add_progress_flag,
    from_stack,
    progress_bar,
    run_guarded,
)
from scripts.stack import client

ACTIVE = ("RUNNING", "CANCELLING")


def queue_arn(sqs: Any, queue_url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def start_move(sqs: Any, dlq_url: str, destination_url: str | None, max_per_second: int | None) -> str:
    """Start a move task out of the DLQ; returns its handle. UsageError when the queue is no DLQ."""
    source_arn = queue_arn(sqs, dlq_url)
    if not sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls"):
        raise UsageError(f"{dlq_url} is not the dead-letter queue of any queue (no RedrivePolicy names it)")
    request: dict[str, Any] = {"SourceArn": source_arn}
    if destination_url:
        request["DestinationArn"] = queue_arn(sqs, destination_url)
    if max_per_second:
        request["MaxNumberOfMessagesPerSecond"] = max_per_second
    return str(sqs.start_message_move_task(**request)["TaskHandle"])


def tasks(sqs: Any, dlq_url: str, max_results: int = 1) -> list[dict[str, Any]]:
    """The DLQ's most recent move tasks, newest first."""
    response = sqs.list_message_move_tasks(SourceArn=queue_arn(sqs, dlq_url), MaxResults=max_results)
    return list(response.get("Results", []))


def follow(sqs: Any, dlq_url: str, timeout: float, progress: str, interval: float = 1.0) -> dict[str, Any]:
    """Poll the newest task until it leaves RUNNING/CANCELLING; returns its last state."""
    deadline = time.monotonic() + timeout
    with progress_bar(progress, None, "msg", "redrive", threshold=0) as bar:
        while True:
            task = tasks(sqs, dlq_url)[0]
            bar.total = task.get("ApproximateNumberOfMessagesToMove")
            bar.n = task.get("ApproximateNumberOfMessagesMoved", 0)
            bar.refresh()
            if task["Status"] not in ACTIVE:
                return task
            if time.monotonic() > deadline:
                raise OperationError(
                    f"the move task still runs after {timeout:.0f}s ({bar.n} moved); follow it with: redrive.py status"
                )
            time.sleep(interval)


def describe(task: dict[str, Any]) -> str:
    started = datetime.fromtimestamp(task["StartedTimestamp"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = (
        f"{task['Status']:<10} moved {task.get('ApproximateNumberOfMessagesMoved', 0)}"
        f"/{task.get('ApproximateNumberOfMessagesToMove', '?')}  started {started}"
        f"  to {task.get('DestinationArn', '(source queue)')}"
    )
    if task.get("FailureReason"):
        line += f"  reason: {task['FailureReason']}"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    queue = argparse.ArgumentParser(add_help=False)
    queue.add_argument("--dlq-url", help="dead-letter queue (default: Terraform output dlq_url of ENV)")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", parents=[queue], help="start a move task out of the DLQ")
    start.add_argument("--to-queue-url", help="destination queue (default: the DLQ's source queue)")
    start.add_argument("--max-per-second", type=int, help="rate limit, 1..500 messages/s (default: SQS's)")
    start.add_argument("--wait", action="store_true", help="follow the task until it ends")
    start.add_argument("--timeout", type=float, default=900, help="--wait gives up after this many seconds")
    add_progress_flag(start)
    status = commands.add_parser("status", parents=[queue], help="DLQ depth and recent move tasks")
    status.add_argument("--max-results", type=int, default=3, help="tasks to list, 1..10 (default 3)")
    commands.add_parser("cancel", parents=[queue], help="cancel the DLQ's running move task")
    args = parser.parse_args(argv)
    if args.command == "start" and args.max_per_second is not None and not 1 <= args.max_per_second <= 500:
        parser.error("--max-per-second must be between 1 and 500")
    if args.command == "status" and not 1 <= args.max_results <= 10:
        parser.error("--max-results must be between 1 and 10")
    return run_guarded(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    dlq_url = from_stack(args.dlq_url, "dlq_url", "--dlq-url")
    sqs = client("sqs")
    dlq = queue_depth(sqs, dlq_url)
    visible, in_flight = dlq.visible, dlq.in_flight
    if args.command == "status":
        print(f"{dlq_url}: {visible} visible, {in_flight} in flight")
        recent = tasks(sqs, dlq_url, args.max_results)
        for task in recent:
            print(f"  {describe(task)}")
        if not recent:
            print("  no move tasks yet")
        return 0
    if args.command == "cancel":
        running = [t for t in tasks(sqs, dlq_url, 10) if t["Status"] == "RUNNING"]
        if not running:
            raise UsageError(f"no move task is running for {dlq_url}")
        moved = sqs.cancel_message_move_task(TaskHandle=running[0]["TaskHandle"])["ApproximateNumberOfMessagesMoved"]
        print(f"cancelling the move task ({moved} messages moved so far)")
        return 0
    if visible == 0:
        print(f"{dlq_url} holds no visible messages ({in_flight} in flight): nothing to redrive")
        return 0
    handle = start_move(sqs, dlq_url, args.to_queue_url, args.max_per_second)
    print(f"started moving {visible} messages out of {dlq_url} (task {handle})")
    if not args.wait:
        return 0
    final = follow(sqs, dlq_url, args.timeout, args.progress)
    print(describe(final))
    if final["Status"] != "COMPLETED":
        raise OperationError(f"the move task ended {final['Status']}: {final.get('FailureReason', 'no reason given')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
