#!/usr/bin/env python3
"""Replay bronze objects through the whole pipeline by copying them under bronze/replay/<run-name>/.

Each selected object is copied, in the same bucket, to

    bronze/replay/<run-name>/<original key>

A new key is a new object identity (s3://bucket/key#etag), so the copy passes ingest's
idempotency check and is ingested again ON PURPOSE, as new data: its rows land in silver AGAIN,
next to the originals' (with the copy's _source_uri), so silver then holds both. Use it only when
new copies are what you want; to rebuild silver after a fix in the transform or a contract,
recompute in place instead (replay_from_s3.py, `make replay`, or the ops workflow's replay), which
never appends. Re-running with the same --run-name copies the same content to the same keys,
which ingest then skips (same key, same etag).

Examples:
  scripts/replay_via_s3_copy.py --since 6h --dry-run
  scripts/replay_via_s3_copy.py --since 2026-11-20T00:00Z --until 2026-11-21T00:00Z --run-name fix-weights
  scripts/replay_via_s3_copy.py --key bronze/shipments/a.jsonl --key bronze/shipments/b.jsonl
  ENV=dev scripts/replay_via_s3_copy.py --keys-file keys.txt --bucket my-bronze

The bucket defaults to the bronze_bucket Terraform output of ENV (local by default). A time window
leaves out earlier replay copies (keys under bronze/replay/) unless --prefix points there.

Exit codes: 0 copied (or listed with --dry-run), 1 a copy failed or a key does not exist,
2 a usage error (including "nothing selected").
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elt import layout
from scripts.operator_cli import (
    REPLAY_PREFIX,
    BronzeObject,
    UsageError,
    add_progress_flag,
    add_selection_args,
    from_stack,
    progress_bar,
    run_guarded,
    selected_objects,
)
from scripts.stack import client

RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class PlannedCopy:
    source: BronzeObject
    target_key: str


def replay_key(run_name: str, source_key: str) -> str:
    return layout.replay_key(REPLAY_PREFIX, run_name, source_key)


def plan_copies(objects: list[BronzeObject], run_name: str) -> list[PlannedCopy]:
    return [PlannedCopy(obj, replay_key(run_name, obj.key)) for obj in objects]


def copy_objects(s3: Any, copies: list[PlannedCopy], progress: str) -> int:
    """Copy each object (managed copy: multipart above 8 MiB, so objects over 5 GB work too)."""
    total = sum(c.source.size for c in copies)
    with progress_bar(progress, len(copies), "obj", "replay copy", threshold=50) as bar:
        for planned in copies:
            source: dict[str, str] = {"Bucket": planned.source.bucket, "Key": planned.source.key}
            if planned.source.version_id:
                source["VersionId"] = planned.source.version_id
            s3.copy(source, planned.source.bucket, planned.target_key)
            bar.update(1)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bucket", help="bronze bucket (default: Terraform output bronze_bucket of ENV)")
    parser.add_argument(
        "--run-name",
        help="names the replay: copies go to bronze/replay/<run-name>/ (default replay-<UTC time>)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be copied; copy nothing")
    add_selection_args(parser)
    add_progress_flag(parser)
    args = parser.parse_args(argv)
    run_name = args.run_name or f"replay-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    if not RUN_NAME.fullmatch(run_name):
        parser.error(f"--run-name {run_name!r}: use letters, digits, '.', '_' or '-' (at most 100, no '/')")
    return run_guarded(lambda: _replay(args, run_name))


def _replay(args: argparse.Namespace, run_name: str) -> int:
    bucket = from_stack(args.bucket, "bronze_bucket", "--bucket")
    s3 = client("s3")
    copies = plan_copies(selected_objects(s3, bucket, args), run_name)
    if not copies:
        raise UsageError(f"no objects selected in s3://{bucket}/{args.prefix} (check --since/--until/--prefix)")
    total = sum(c.source.size for c in copies)
    verb = "would copy" if args.dry_run else "copying"
    print(f"{verb} {len(copies)} objects ({total} bytes) to s3://{bucket}/{replay_key(run_name, '')}", file=sys.stderr)
    for planned in copies:
        print(f"s3://{bucket}/{planned.source.key} -> s3://{bucket}/{planned.target_key}")
    if args.dry_run:
        return 0
    copy_objects(s3, copies, args.progress)
    print(f"copied {len(copies)} objects; ingest picks them up as new objects", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
