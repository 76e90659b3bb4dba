#!/usr/bin/env python3
"""Make sure an existing queue has a dead-letter queue; create and attach one if it has none.

For an events queue created outside Terraform (existing_queue_url / existing_queue_arn, e.g. in an
account that forbids the SQS tag APIs): without a DLQ a poison message is retried until it
expires. This adds ``<name>-dlq`` (SSE, TLS-only policy, no tag API calls), lets only this queue
redrive into it (RedriveAllowPolicy) and sets the queue's RedrivePolicy. A queue that already has
a DLQ is left as it is and its DLQ reported, so the script is safe to re-run.

Examples:
  scripts/ensure_dlq_for_queue.py --queue-url http://127.0.0.1:4599/123456789012/elt-local-events
  ENV=dev scripts/ensure_dlq_for_queue.py --queue-url https://sqs.eu-west-1.amazonaws.com/123/ev --max-receive-count 8

The queue defaults to the queue_url Terraform output of ENV.

Exit codes: 0 the queue has a DLQ (found or created), 1 an AWS call failed or the configured DLQ is
gone, 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys

from botocore.exceptions import ClientError

from scripts.create_sqs_queue import create_attached_dlq
from scripts.operator_cli import OperationError, from_stack, run_guarded
from scripts.stack import client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue-url", help="the queue (default: Terraform output queue_url of ENV)")
    parser.add_argument("--max-receive-count", type=int, default=5, help="receives before the DLQ (>= 5, default 5)")
    parser.add_argument("--dlq-retention-days", type=int, default=14, help="default 14")
    parser.add_argument("--kms-key-arn", help="customer managed key for the DLQ (default: SQS-managed SSE)")
    args = parser.parse_args(argv)
    if args.max_receive_count < 5:
        parser.error("--max-receive-count must be >= 5 (fewer sends slow-but-healthy units to the DLQ)")
    if not 1 <= args.dlq_retention_days <= 14:
        parser.error("--dlq-retention-days must be between 1 and 14 (SQS's limit)")
    return run_guarded(lambda: _ensure(args))


def _ensure(args: argparse.Namespace) -> int:
    queue_url = from_stack(args.queue_url, "queue_url", "--queue-url")
    sqs = client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn", "RedrivePolicy"])["Attributes"]
    queue_arn = attrs["QueueArn"]
    if attrs.get("RedrivePolicy"):
        policy = json.loads(attrs["RedrivePolicy"])
        target = policy["deadLetterTargetArn"]
        account, name = target.split(":")[4], target.split(":")[5]
        try:
            dlq_url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        except ClientError as exc:
            raise OperationError(f"{queue_url} redrives to {target}, which does not exist ({exc})") from None
        print(f"{queue_url} already has a DLQ: {dlq_url} (after {policy['maxReceiveCount']} receives)")
        return 0
    dlq_url = create_attached_dlq(
        sqs, queue_url, queue_arn, args.dlq_retention_days, args.max_receive_count, args.kms_key_arn
    )
    print(f"created {dlq_url} and attached it to {queue_url} (after {args.max_receive_count} receives)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
