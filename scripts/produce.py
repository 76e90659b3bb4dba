#!/usr/bin/env python3
"""Produce fake records into bronze through the streaming producer (docs/producers.md).

Examples:
  scripts/produce.py --dataset shipments --count 10000
  scripts/produce.py --dataset all --count 100000 --invalid-rate 0.02 --seed 7
  ENV=dev scripts/produce.py --dataset orders --count 500 --stream elt-dev-stream

Records come from the same generator as ``make seed`` (scripts/gen_fake_events.FakeEvents) and
are put to the Kinesis stream of ENV (Terraform output ``ingest_stream_name``, on when the stack
has ``stream_ingest_enabled``) with PutRecords: batches of at most 500 records and 5 MiB, each
record's partition key its dataset's key field (so one shipment's records share a shard), failed
entries retried with exponential backoff. Firehose then writes them under
``bronze/<record_type>/stream/`` as gzip JSON Lines, and ingest takes them from there.

``--via http`` is reserved for the HTTP ingest API, which is not built yet (exit 2).

Exit codes: 0 every record accepted, 1 some rejected after retries (or a request failed), 2 a
usage error.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from elt.contracts import CONTRACTS
from scripts.gen_fake_events import FakeEvents
from scripts.operator_cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_progress_flag,
    from_stack,
    progress_bar,
    run_guarded,
)
from scripts.stack import client

#: PutRecords' limits: 500 entries and 5 MiB (data plus partition keys) per request.
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 5 * 1024 * 1024
#: A single record's limit (data plus partition key): 1 MiB.
MAX_RECORD_BYTES = 1024 * 1024
#: Attempts of a failed entry (throttled, internal failure) before it counts as rejected.
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 5.0

Entry = dict[str, Any]


@dataclass
class Summary:
    accepted: int = 0
    rejected: int = 0
    retried: int = 0

    def line(self) -> str:
        return f"accepted {self.accepted:,}, rejected {self.rejected:,} ({self.retried:,} entries retried)"


def partition_key(line: str) -> str:
    """The record's key field (its dataset's ``key_field``): one entity's records share a shard.
    A record without one (broken JSON, unknown dataset, missing key) gets a random key."""
    try:
        record = json.loads(line)
        key_field = CONTRACTS[record["record_type"]].dataset.key_field
        return str(record[key_field])[:256] or uuid.uuid4().hex
    except (ValueError, KeyError, TypeError):
        return uuid.uuid4().hex


def entries(lines: Iterable[str]) -> Iterator[Entry]:
    for line in lines:
        entry = {"Data": line.encode(), "PartitionKey": partition_key(line)}
        if _size(entry) > MAX_RECORD_BYTES:
            raise ValueError(f"a record of {_size(entry):,} bytes is over Kinesis' 1 MiB limit")
        yield entry


def _size(entry: Entry) -> int:
    return len(entry["Data"]) + len(entry["PartitionKey"].encode())


def batches(stream: Iterable[Entry]) -> Iterator[list[Entry]]:
    """Consecutive entries in PutRecords-sized batches (≤ 500 entries, ≤ 5 MiB)."""
    batch: list[Entry] = []
    size = 0
    for entry in stream:
        if batch and (len(batch) == MAX_BATCH_RECORDS or size + _size(entry) > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += _size(entry)
    if batch:
        yield batch


def put_batch(
    kinesis: Any, stream_name: str, batch: list[Entry], summary: Summary, sleep: Callable[[float], None] = time.sleep
) -> None:
    """PutRecords ``batch``; entries that failed are sent again (full-jitter exponential backoff)
    until accepted or out of attempts (then rejected)."""
    pending = batch
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            summary.retried += len(pending)
            sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)))
        response = kinesis.put_records(StreamName=stream_name, Records=pending)
        results = response["Records"]
        failed = [entry for entry, result in zip(pending, results, strict=True) if result.get("ErrorCode")]
        summary.accepted += len(pending) - len(failed)
        if not failed:
            return
        pending = failed
    summary.rejected += len(pending)


def produce(
    kinesis: Any,
    stream_name: str,
    lines: Iterable[str],
    on_batch: Callable[[int], Any] = lambda n: None,
    sleep: Callable[[float], None] = time.sleep,
) -> Summary:
    """Put every line to the stream; ``on_batch`` gets each batch's size (a progress bar's update)."""
    summary = Summary()
    for batch in batches(entries(lines)):
        put_batch(kinesis, stream_name, batch, summary, sleep)
        on_batch(len(batch))
    return summary


def fake_lines(datasets: tuple[str, ...], count: int, invalid_rate: float, seed: int | None) -> Iterator[str]:
    return (line for line, _ in FakeEvents(seed=seed).lines(count, datasets, invalid_rate))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="all", help=f"a dataset ({', '.join(sorted(CONTRACTS))}) or all")
    parser.add_argument("--count", type=int, default=1000, help="records to produce (default 1000)")
    parser.add_argument("--via", choices=("stream", "http"), default="stream", help="the producer path (stream)")
    parser.add_argument("--stream", help="Kinesis stream name (default: ENV's output ingest_stream_name)")
    parser.add_argument("--invalid-rate", type=float, default=0.0, help="share of invalid records, 0..1 (default 0)")
    parser.add_argument("--seed", type=int, help="seed for reproducible records")
    add_progress_flag(parser)
    args = parser.parse_args(argv)
    if args.via == "http":
        print("error: --via http is not available yet (HTTP ingest is not built); use --via stream", file=sys.stderr)
        return EXIT_USAGE
    if args.dataset != "all" and args.dataset not in CONTRACTS:
        parser.error(f"--dataset must be all or one of {', '.join(sorted(CONTRACTS))}")
    if args.count < 0 or not 0 <= args.invalid_rate <= 1:
        parser.error("--count must be >= 0 and --invalid-rate between 0 and 1")
    return run_guarded(lambda: _produce(args))


def _produce(args: argparse.Namespace) -> int:
    stream_name = from_stack(args.stream, "ingest_stream_name", "--stream")
    datasets = tuple(sorted(CONTRACTS)) if args.dataset == "all" else (args.dataset,)
    lines = fake_lines(datasets, args.count, args.invalid_rate, args.seed)
    with progress_bar(args.progress, args.count, "rec", f"put {stream_name}", threshold=1000) as bar:
        summary = produce(client("kinesis"), stream_name, lines, bar.update)
    print(f"{stream_name}: {summary.line()}", file=sys.stderr)
    return EXIT_OK if not summary.rejected else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
