"""What the operator scripts share: exit codes, S3 URIs, stack defaults, time windows, progress.

Exit codes of every operator script: 0 success, 1 the operation failed (AWS error, missing
object, task failed), 2 a usage error (bad or missing argument) — argparse's own code.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from tqdm import tqdm

from elt.layout import REPLAY_PREFIX
from scripts.stack import StackError, env_name, outputs

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Below this many items a progress bar is noise; ``--progress auto`` hides it.
PROGRESS_THRESHOLD = 10_000


class UsageError(ValueError):
    """An argument is wrong or missing (exit 2); the message names it."""


class OperationError(RuntimeError):
    """The operation itself failed (exit 1); the message names what and why."""


def run_guarded(body: Callable[[], int]) -> int:
    """Run a script body, turning the errors operators meet into one ``error:`` line and an exit code."""
    try:
        return body()
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OperationError, StackError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"error: {exc.operation_name} failed: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
        return EXIT_FAILED
    except Boto3Error as exc:  # e.g. S3UploadFailedError, which wraps the ClientError's text
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BotoCoreError as exc:
        hint = " (is the local cloud running? make up / make status)" if env_name() == "local" else ""
        print(f"error: AWS request failed (ENV={env_name()}): {exc}{hint}", file=sys.stderr)
        return EXIT_FAILED


def parse_s3_uri(uri: str, what: str = "S3 URI") -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix")``."""
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(.*))?", uri)
    if not match:
        raise UsageError(f"{what} {uri!r} is not of the form s3://<bucket>[/<prefix>]")
    return match.group(1), match.group(2) or ""


def from_stack(value: str | None, output: str, flag: str) -> str:
    """``value`` when given, else the Terraform output ``output`` of ENV (UsageError naming both)."""
    if value:
        return value
    try:
        found = outputs().get(output)
    except StackError as exc:
        raise UsageError(f"{flag} not given and ENV={env_name()}'s outputs are unavailable ({exc})") from None
    if not found:
        raise UsageError(f"{flag} not given and ENV={env_name()} has no Terraform output {output!r}")
    return str(found)


_RELATIVE = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_time(value: str, now: datetime | None = None) -> datetime:
    """A UTC instant from ISO-8601 (no zone means UTC) or a look-back like ``90m``, ``6h``, ``2d``."""
    relative = _RELATIVE.fullmatch(value.strip())
    if relative:
        amount, unit = relative.groups()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{value!r} is neither an ISO-8601 time nor a look-back like 30m, 6h or 2d") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def add_progress_flag(parser: Any) -> None:
    parser.add_argument(
        "--progress",
        choices=("auto", "on", "off"),
        default="auto",
        help=f"progress bar on stderr; auto: when stderr is a terminal and the job is large (>= {PROGRESS_THRESHOLD})",
    )


def progress_bar(mode: str, total: int | None, unit: str, desc: str, threshold: int = PROGRESS_THRESHOLD) -> tqdm[Any]:
    """A tqdm bar on stderr; disabled (a no-op) unless ``mode`` and the job size call for one:
    ``auto`` shows it when stderr is a terminal and ``total`` reaches ``threshold``."""
    stream = sys.stderr
    show = mode == "on" or (mode == "auto" and stream.isatty() and (total is None or total >= threshold))
    return tqdm(total=total, unit=unit, desc=desc, file=stream, disable=not show, unit_scale=unit == "B")


@dataclass(frozen=True)
class BronzeObject:
    bucket: str
    key: str
    etag: str
    size: int
    last_modified: datetime
    version_id: str | None = None


def head_objects(s3: Any, bucket: str, keys: list[str]) -> list[BronzeObject]:
    """The named objects, each checked to exist (OperationError naming the first missing key)."""
    found = []
    for key in keys:
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in {"404", "NoSuchKey", "NotFound"}:
                raise OperationError(f"s3://{bucket}/{key} does not exist") from None
            raise
        found.append(
            BronzeObject(
                bucket, key, head["ETag"].strip('"'), head["ContentLength"], head["LastModified"], head.get("VersionId")
            )
        )
    return found


def list_objects(
    s3: Any, bucket: str, prefix: str, since: datetime | None, until: datetime | None, exclude: tuple[str, ...] = ()
) -> Iterator[BronzeObject]:
    """Non-empty objects under ``prefix`` last modified in ``[since, until)``, minus ``exclude`` prefixes."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key, modified = obj["Key"], obj["LastModified"]
            if obj["Size"] == 0 or key.endswith("/") or key.startswith(exclude):
                continue
            if (since and modified < since) or (until and modified >= until):
                continue
            yield BronzeObject(bucket, key, obj["ETag"].strip('"'), obj["Size"], modified)


def read_keys_file(path: str) -> list[str]:
    """One key per line; blank lines and ``#`` comments skipped."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line.strip() for line in handle]
    except OSError as exc:
        raise UsageError(f"--keys-file {path}: {exc.strerror}") from None
    return [line for line in lines if line and not line.startswith("#")]


#: Where replay copies land (``bronze/replay/<run>/<original key>``); a time window skips them.


def add_selection_args(parser: Any) -> None:
    group = parser.add_argument_group("which bronze objects: a time window or explicit keys")
    group.add_argument("--since", help="objects last modified at or after this (ISO-8601, or a look-back: 90m, 6h, 2d)")
    group.add_argument("--until", help="... and before this (same forms; default: now)")
    group.add_argument("--prefix", default="bronze/", help="window: only keys under this prefix (default bronze/)")
    group.add_argument("--key", action="append", default=[], help="an object key (repeatable)")
    group.add_argument("--keys-file", help="a file of object keys, one per line (# comments allowed)")


def selected_objects(s3: Any, bucket: str, args: Any) -> list[BronzeObject]:
    """The objects the selection arguments name; a window leaves out earlier replay copies."""
    keys = [*args.key, *(read_keys_file(args.keys_file) if args.keys_file else [])]
    if keys and (args.since or args.until):
        raise UsageError("give a time window (--since/--until) or keys (--key/--keys-file), not both")
    if keys:
        return head_objects(s3, bucket, keys)
    if not args.since:
        raise UsageError("choose the objects: --since [--until], or --key/--keys-file")
    since = parse_time(args.since)
    until = parse_time(args.until) if args.until else None
    if until is not None and until <= since:
        raise UsageError(f"--until ({until:%Y-%m-%dT%H:%M:%SZ}) must be after --since ({since:%Y-%m-%dT%H:%M:%SZ})")
    exclude = () if args.prefix.startswith(REPLAY_PREFIX) else (REPLAY_PREFIX,)
    return list(list_objects(s3, bucket, args.prefix, since, until, exclude))
