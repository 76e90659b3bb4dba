"""The ops workflow's input: the reference workflow's request, every field optional and defaulting
to the stack's settings, validated once and passed between the steps as ``state["request"]``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from elt.config import OpsSettings

EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


class InvalidRequest(ValueError):
    """The workflow input is wrong; the message says which field and why (not retried)."""


def parse_time(name: str, raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise InvalidRequest(f"{name} must be an ISO-8601 string, got {raw!r}")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{name}={raw!r} is not ISO-8601 (e.g. 2024-06-01T00:00:00Z)") from None
    if value.tzinfo is None:
        raise InvalidRequest(f"{name}={raw!r} has no time zone (add Z or an offset)")
    return value.astimezone(UTC)


def _positive_int(request: Mapping[str, Any], name: str, default: int) -> int:
    raw = request.get(name, default)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidRequest(f"{name} must be a positive integer, got {raw!r}")
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1 or value != float(raw):
        raise InvalidRequest(f"{name} must be a positive integer, got {raw!r}")
    return value


def _reingest_as_new_copies(request: Mapping[str, Any]) -> bool:
    copies = request.get("reingest_as_new_copies", False)
    if not isinstance(copies, bool):
        raise InvalidRequest(f"reingest_as_new_copies must be true or false, got {copies!r}")
    if request.get("dest_prefix_base") and not copies:
        # Recompute writes no copies: a destination given alone means the caller expects them.
        raise InvalidRequest("dest_prefix_base applies only with reingest_as_new_copies=true")
    return copies


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class OpsRequest:
    bronze_bucket: str
    src_prefix: str
    dest_prefix_base: str
    start: str
    end: str
    silver_bucket: str
    silver_prefix: str
    record_type: str | None
    min_parquet_objects: int
    poll_interval_seconds: int
    max_attempts: int
    max_objects_per_invocation: int
    #: Bytes of the objects replayed (planned or copied) per invocation (elt.ops.replay: the
    #: time bound; default one 5 GiB object).
    #: A default so that states written before the field existed still load.
    max_bytes_per_invocation: int = 5 * 1024**3
    #: False (the default): replay recomputes the window's rows in place (work units with
    #: ``replay`` set). True: the old behaviour, copies under ``dest_prefix_base`` that ingest
    #: takes for new objects, so their rows land in silver again next to the originals.
    reingest_as_new_copies: bool = False

    @classmethod
    def parse(cls, request: Mapping[str, Any], defaults: OpsSettings, now: datetime) -> OpsRequest:
        unknown = set(request) - {f for f in cls.__dataclass_fields__} - {"window_hours"}
        if unknown:
            raise InvalidRequest(f"unknown input fields: {', '.join(sorted(unknown))}")
        bronze_bucket = request.get("bronze_bucket") or defaults.bronze_bucket
        silver_bucket = request.get("silver_bucket") or defaults.silver_bucket
        if not bronze_bucket or not silver_bucket:
            raise InvalidRequest("bronze_bucket and silver_bucket are required (no stack default is set)")
        src_prefix = request.get("src_prefix") or defaults.bronze_prefix
        if not src_prefix.startswith(defaults.bronze_prefix):
            raise InvalidRequest(f"src_prefix={src_prefix!r} must start with {defaults.bronze_prefix!r}")
        dest = (request.get("dest_prefix_base") or defaults.replay_prefix).rstrip("/") + "/"
        if not dest.startswith(defaults.bronze_prefix):
            # Only keys under the bronze prefix reach the ingest function.
            raise InvalidRequest(f"dest_prefix_base={dest!r} must start with {defaults.bronze_prefix!r}")
        if src_prefix.startswith(dest):
            raise InvalidRequest(f"src_prefix={src_prefix!r} lies inside dest_prefix_base={dest!r}")
        copies = _reingest_as_new_copies(request)
        if "start" in request or "end" in request:
            if "window_hours" in request:
                raise InvalidRequest("give either window_hours or start/end, not both")
            end = parse_time("end", request["end"]) if "end" in request else now
            if "start" not in request:
                raise InvalidRequest("start is required with end")
            start = parse_time("start", request["start"])
        else:
            end = now
            start = end - timedelta(hours=_positive_int(request, "window_hours", 24))
        if start >= end:
            raise InvalidRequest(f"start {_iso(start)} must be before end {_iso(end)}")
        record_type = request.get("record_type") or None
        if record_type is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", record_type):
            raise InvalidRequest(f"record_type={record_type!r} is not a dataset name")
        return cls(
            bronze_bucket=bronze_bucket,
            src_prefix=src_prefix,
            dest_prefix_base=dest,
            start=_iso(start),
            end=_iso(end),
            silver_bucket=silver_bucket,
            silver_prefix=(request.get("silver_prefix") or defaults.silver_prefix).strip("/"),
            record_type=record_type,
            min_parquet_objects=_positive_int(request, "min_parquet_objects", 1),
            poll_interval_seconds=_positive_int(request, "poll_interval_seconds", 15),
            max_attempts=_positive_int(request, "max_attempts", 40),
            max_objects_per_invocation=_positive_int(request, "max_objects_per_invocation", 500),
            max_bytes_per_invocation=_positive_int(request, "max_bytes_per_invocation", 5 * 1024**3),
            reingest_as_new_copies=copies,
        )
