#!/usr/bin/env python3
"""Create the events queue (and its DLQ) outside Terraform, for accounts that forbid the SQS tag
APIs, and write the Terraform variables that make the stack use it.

The AWS provider reads a queue's tags (ListQueueTags) on every plan, so where an SCP denies the SQS
tag APIs Terraform cannot manage the queue. This script creates it with the settings the stack's
sqs_queue module would use — SSE, visibility timeout = 6 x the transform timeout + the batching
window, long polling, a DLQ with maxReceiveCount, TLS-only policies — without calling any tag
API, and with --out writes

    {"existing_queue_url": "...", "existing_queue_arn": "..."}

to a *.auto.tfvars.json file, which Terraform loads on its own: put it in infra/terraform/envs/<env>/.
The stack then creates no queue of its own; the queue's settings and redrive are yours (re-run this
script, or ensure_dlq_for_queue.py for a queue that lacks a DLQ).

Examples:
  ENV=dev scripts/create_sqs_queue.py --name elt-dev-events --with-dlq \\
      --out infra/terraform/envs/dev/queue.auto.tfvars.json
  scripts/create_sqs_queue.py --name elt-local-events --with-dlq --transform-timeout 300

Creating an existing queue with the same settings is a no-op (the same URL comes back); with
different settings SQS refuses and so does this script.

Exit codes: 0 created (or already there), 1 an AWS call failed, 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from scripts.operator_cli import UsageError, run_guarded
from scripts.stack import client

TFVARS_SUFFIX = ".auto.tfvars.json"
#: The stack's variables (infra/terraform/stack/variables.tf) that take an external queue.
QUEUE_URL_VARIABLE, QUEUE_ARN_VARIABLE = "existing_queue_url", "existing_queue_arn"
QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo")


def tls_only_policy(queue_arn: str) -> str:
    """The module's policy: deny every SQS action over plain HTTP."""
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def encryption(kms_key_arn: str | None) -> dict[str, str]:
    if kms_key_arn:
        return {"KmsMasterKeyId": kms_key_arn, "KmsDataKeyReusePeriodSeconds": "300"}
    return {"SqsManagedSseEnabled": "true"}


def create_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    """CreateQueue (no tags); returns (url, arn). Call ``deny_insecure_transport`` once it is configured."""
    if name.endswith(".fifo"):
        attributes = {**attributes, "FifoQueue": "true"}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def deny_insecure_transport(sqs: Any, url: str, arn: str) -> None:
    """Set the TLS-only policy. Last, on purpose: some SQS emulators drop the policy on any later
    SetQueueAttributes that does not repeat it."""
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": tls_only_policy(arn)})


def dlq_name(queue_name: str) -> str:
    """``<name>-dlq``, as the module names it (``<name>-dlq.fifo`` for a FIFO queue)."""
    if queue_name.endswith(".fifo"):
        return f"{queue_name[: -len('.fifo')]}-dlq.fifo"
    return f"{queue_name}-dlq"


def attach_dlq(sqs: Any, queue_url: str, queue_arn: str, dlq_url: str, dlq_arn: str, max_receive_count: int) -> None:
    """Point the queue's RedrivePolicy at the DLQ and let only that queue redrive into it."""
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn]}
    sqs.set_queue_attributes(QueueUrl=dlq_url, Attributes={"RedriveAllowPolicy": json.dumps(allow)})
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"RedrivePolicy": json.dumps(redrive)})


def create_attached_dlq(
    sqs: Any, queue_url: str, queue_arn: str, retention_days: int, max_receive_count: int, kms_key_arn: str | None
) -> str:
    """Create ``<name>-dlq`` for the queue, attach it, protect it; returns its URL."""
    attributes = {"MessageRetentionPeriod": str(retention_days * 86400), **encryption(kms_key_arn)}
    dlq_url, dlq_arn = create_queue(sqs, dlq_name(queue_arn.split(":")[5]), attributes)
    attach_dlq(sqs, queue_url, queue_arn, dlq_url, dlq_arn, max_receive_count)
    deny_insecure_transport(sqs, dlq_url, dlq_arn)
    return dlq_url


def write_tfvars(path: str, queue_url: str, queue_arn: str) -> None:
    """Set the two variables in ``path``, keeping whatever else the file holds."""
    target = Path(path)
    values: dict[str, Any] = {}
    if target.exists():
        try:
            values = json.loads(target.read_text() or "{}")
        except json.JSONDecodeError as exc:
            raise UsageError(f"--out {path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(values, dict):
            raise UsageError(f"--out {path}: holds a JSON {type(values).__name__}, expected an object")
    values.update({QUEUE_URL_VARIABLE: queue_url, QUEUE_ARN_VARIABLE: queue_arn})
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(values, indent=2) + "\n")
    tmp.replace(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True, help="queue name, e.g. elt-dev-events")
    parser.add_argument("--with-dlq", action="store_true", help="also create <name>-dlq and the redrive policy")
    parser.add_argument("--out", help=f"write existing_queue_url/_arn to this *{TFVARS_SUFFIX} file")
    parser.add_argument("--transform-timeout", type=int, default=120, help="transform timeout, s (default 120)")
    parser.add_argument("--batching-window", type=int, default=5, help="ESM batching window, s (default 5)")
    parser.add_argument("--visibility-timeout", type=int, help="override 6 x transform timeout + batching window")
    parser.add_argument("--message-retention-seconds", type=int, default=345600, help="default 4 days")
    parser.add_argument("--max-receive-count", type=int, default=5, help="receives before the DLQ (>= 5, default 5)")
    parser.add_argument("--dlq-retention-days", type=int, default=14, help="default 14")
    parser.add_argument("--kms-key-arn", help="customer managed key (default: SQS-managed SSE)")
    args = parser.parse_args(argv)
    if not QUEUE_NAME.fullmatch(args.name):
        parser.error(f"--name {args.name!r}: 1-80 letters, digits, '-' or '_' (a FIFO name ends in .fifo)")
    if args.out and not args.out.endswith(TFVARS_SUFFIX):
        parser.error(f"--out {args.out!r} must end in {TFVARS_SUFFIX}: Terraform loads only those on its own")
    if args.max_receive_count < 5:
        parser.error("--max-receive-count must be >= 5 (fewer sends slow-but-healthy units to the DLQ)")
    visibility = args.visibility_timeout or 6 * args.transform_timeout + args.batching_window
    if visibility < 6 * args.transform_timeout:
        parser.error(
            f"--visibility-timeout {visibility} is below 6 x --transform-timeout ({6 * args.transform_timeout})"
        )
    if not 0 <= visibility <= 43200:
        parser.error(f"visibility timeout {visibility}s is outside SQS's 0..43200")
    return run_guarded(lambda: _create(args, visibility))


def _create(args: argparse.Namespace, visibility: int) -> int:
    sqs = client("sqs")
    attributes = {
        "VisibilityTimeout": str(visibility),
        "MessageRetentionPeriod": str(args.message_retention_seconds),
        "ReceiveMessageWaitTimeSeconds": "20",
        **encryption(args.kms_key_arn),
    }
    queue_url, queue_arn = create_queue(sqs, args.name, attributes)
    print(f"queue {queue_url} (visibility timeout {visibility}s)", file=sys.stderr)
    if args.with_dlq:
        dlq_url = create_attached_dlq(
            sqs, queue_url, queue_arn, args.dlq_retention_days, args.max_receive_count, args.kms_key_arn
        )
        print(f"dlq   {dlq_url} (after {args.max_receive_count} receives)", file=sys.stderr)
    deny_insecure_transport(sqs, queue_url, queue_arn)
    if args.out:
        write_tfvars(args.out, queue_url, queue_arn)
        print(f"wrote {QUEUE_URL_VARIABLE} and {QUEUE_ARN_VARIABLE} to {args.out}", file=sys.stderr)
    print(json.dumps({QUEUE_URL_VARIABLE: queue_url, QUEUE_ARN_VARIABLE: queue_arn}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
