#!/usr/bin/env python3
"""Recompute silver for bronze objects in place by publishing their work units straight to the queue.

This BYPASSES INGEST'S IDEMPOTENCY ON PURPOSE: objects that were already ingested are planned
again and their claim-check messages sent to the events queue, without touching the idempotency
table. Units are planned by ingest's own code (elt.ingest.plan_units) with the deployed ingest
function's settings (WORK_UNIT_BYTES, ...), so every unit has the byte range ingest gave it, and
each carries ``replay`` = the run name: the transform retracts the rows silver holds for the unit
and writes them again, recomputed with the current contracts (elt/ledger.py). Nothing is
appended; replaying unchanged bronze again leaves silver row-for-row the same (but for
``_ingested_at``). (Planned with other settings, the ranges would not match what silver holds
and rows would be added; that is why the settings are read from the function. Without
``replay`` the transform would take the units for redeliveries and skip them.) The ops
workflow's replay (make ops-start) does the same for a time window, in bounded steps. To
re-ingest copies as new objects instead, whose rows land again, use replay_via_s3_copy.py.

Because it bypasses a safety check, sending requires --i-know-this-bypasses-idempotency;
--dry-run plans and lists the units without it.

Examples:
  scripts/replay_from_s3.py --since 6h --dry-run
  scripts/replay_from_s3.py --since 6h --run-name fix-weights --i-know-this-bypasses-idempotency
  scripts/replay_from_s3.py --key bronze/shipments/a.jsonl --i-know-this-bypasses-idempotency
  ENV=dev scripts/replay_from_s3.py --keys-file keys.txt --i-know-this-bypasses-idempotency

Defaults come from ENV's Terraform outputs (bronze_bucket, queue_url, ingest_lambda).

Exit codes: 0 sent (or planned with --dry-run), 1 planning or sending failed, 2 a usage error
(including a missing guard flag and "nothing selected").
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from typing import Any

from elt.config import IngestSettings
from elt.ingest import plan_units, send_units
from elt.s3_events import ObjectRef
from elt.work_units import WorkUnit
from scripts.operator_cli import (
    BronzeObject,
    UsageError,
    add_progress_flag,
    add_selection_args,
    from_stack,
    head_objects,
    progress_bar,
    run_guarded,
    selected_objects,
)
from scripts.stack import client

GUARD_FLAG = "--i-know-this-bypasses-idempotency"
#: Stands in for the idempotency table, which replay never touches (IngestSettings requires a name).
NO_TABLE = "(not used: replay bypasses idempotency)"
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def ingest_settings(lambda_client: Any, function_name: str | None, queue_url: str) -> IngestSettings:
    """The deployed ingest function's settings (its environment), sending to ``queue_url``;
    the defaults when no function is known."""
    env: dict[str, str] = {}
    if function_name:
        config = lambda_client.get_function_configuration(FunctionName=function_name)
        env = dict((config.get("Environment") or {}).get("Variables") or {})
    return IngestSettings.from_env({**env, "QUEUE_URL": queue_url, "IDEMPOTENCY_TABLE": NO_TABLE})


def object_ref(obj: BronzeObject) -> ObjectRef:
    """The reference ingest would build from the object's S3 notification (a null version, written
    while the bucket was unversioned, is named by its ETag, as its notification had no versionId)."""
    written = obj.last_modified.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    version = None if obj.version_id in (None, "null") else obj.version_id
    return ObjectRef(obj.bucket, obj.key, obj.etag, obj.size, version, written)


def with_version_ids(s3: Any, bucket: str, objects: list[BronzeObject]) -> list[BronzeObject]:
    """On a versioned bucket, each listed object as its current version (a HEAD each: the listing
    has no VersionId, and silver's ledger knows the key's versions by it); unchanged otherwise."""
    if all(o.version_id for o in objects):
        return objects
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if status not in ("Enabled", "Suspended"):
        return objects
    return [o if o.version_id else head_objects(s3, bucket, [o.key])[0] for o in objects]


def plan_all(s3: Any, objects: list[BronzeObject], settings: IngestSettings, run_name: str) -> list[WorkUnit]:
    """Every object's units, marked as replay ``run_name`` (they replace the rows silver holds)."""
    units: list[WorkUnit] = []
    for obj in objects:
        units += plan_units(object_ref(obj), s3=s3, settings=settings, replay=run_name)
    return units


def run_name(raw: str) -> str:
    if not RUN_NAME.fullmatch(raw):
        raise argparse.ArgumentTypeError(f"{raw!r}: letters, digits, '.', '_', '-' (up to 80)")
    return raw


def publish(sqs: Any, units: list[WorkUnit], settings: IngestSettings, progress: str) -> None:
    with progress_bar(progress, len(units), "unit", "publish", threshold=100) as bar:
        for offset in range(0, len(units), 100):
            batch = units[offset : offset + 100]
            send_units(batch, sqs=sqs, queue_url=settings.queue_url, attempts=settings.send_attempts)
            bar.update(len(batch))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bucket", help="bronze bucket (default: Terraform output bronze_bucket of ENV)")
    parser.add_argument("--queue-url", help="events queue (default: Terraform output queue_url of ENV)")
    parser.add_argument(
        "--ingest-function",
        help="ingest function whose settings plan the units (default: Terraform output ingest_lambda of ENV; "
        "without one, ingest's defaults)",
    )
    parser.add_argument(
        "--run-name",
        type=run_name,
        default=f"replay-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}",
        help="names the replay on every unit (default: replay-<UTC time>); sending the same run name again "
        "finds the units already recomputed and skips them",
    )
    parser.add_argument("--dry-run", action="store_true", help="plan and list the units; send nothing")
    parser.add_argument(GUARD_FLAG, dest="bypass_confirmed", action="store_true", help="required to send")
    add_selection_args(parser)
    add_progress_flag(parser)
    args = parser.parse_args(argv)
    if not args.dry_run and not args.bypass_confirmed:
        parser.error(
            f"this replay bypasses ingest's idempotency (already-ingested objects are recomputed in silver); "
            f"pass {GUARD_FLAG} to send, or --dry-run to see the plan"
        )
    return run_guarded(lambda: _replay(args))


def _replay(args: argparse.Namespace) -> int:
    bucket = from_stack(args.bucket, "bronze_bucket", "--bucket")
    queue_url = from_stack(args.queue_url, "queue_url", "--queue-url")
    function = args.ingest_function
    if not function:
        try:
            function = from_stack(None, "ingest_lambda", "--ingest-function")
        except UsageError as exc:
            print(f"note: planning with ingest's default settings: {exc}", file=sys.stderr)
    settings = ingest_settings(client("lambda") if function else None, function, queue_url)
    s3 = client("s3")
    selected = selected_objects(s3, bucket, args)
    objects = [o for o in selected if o.key.startswith(settings.bronze_prefix)]
    for outside in (o for o in selected if not o.key.startswith(settings.bronze_prefix)):
        print(f"note: skipped s3://{bucket}/{outside.key} (outside {settings.bronze_prefix})", file=sys.stderr)
    if not objects:
        raise UsageError(f"no objects selected under s3://{bucket}/{settings.bronze_prefix} (check the selection)")
    units = plan_all(s3, with_version_ids(s3, bucket, objects), settings, args.run_name)
    for unit in units:
        print(f"{unit.source_uri} unit {unit.index + 1}/{unit.count} bytes {unit.start}-{unit.end}")
    if args.dry_run:
        print(f"planned {len(units)} units for {len(objects)} objects; sent nothing (--dry-run)", file=sys.stderr)
        return 0
    publish(client("sqs"), units, settings, args.progress)
    print(
        f"sent {len(units)} work units (replay {args.run_name}) for {len(objects)} objects to {queue_url}: "
        "silver recomputes their rows in place",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
