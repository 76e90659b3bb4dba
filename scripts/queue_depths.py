#!/usr/bin/env python3
"""Print the depths of ENV's work-unit queue and its DLQ; exit 1 when the DLQ holds messages.

  python -m scripts.queue_depths [--queue-url URL] [--dlq-url URL]

Used by `make verify-sqs`; the URLs default to ENV's Terraform outputs.
"""

from __future__ import annotations

import argparse
import sys

from elt.queues import queue_depth
from scripts.operator_cli import from_stack, run_guarded
from scripts.stack import client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue-url", help="default: ENV's queue_url output")
    parser.add_argument("--dlq-url", help="default: ENV's dlq_url output")
    args = parser.parse_args(argv)

    def run() -> int:
        sqs = client("sqs")
        urls = {
            "queue_url": from_stack(args.queue_url, "queue_url", "--queue-url"),
            "dlq_url": from_stack(args.dlq_url, "dlq_url", "--dlq-url"),
        }
        depths = {name: queue_depth(sqs, url) for name, url in urls.items()}
        for name, depth in depths.items():
            print(f"  {name}: {depth.visible} visible, {depth.in_flight} in flight")
        if depths["dlq_url"].visible:
            print(
                f"  the DLQ holds {depths['dlq_url'].visible} messages: inspect them, then make redrive",
                file=sys.stderr,
            )
            return 1
        return 0

    return run_guarded(run)


if __name__ == "__main__":
    sys.exit(main())
