"""The one typed settings layer: every environment variable the pipeline reads, with its default.

Stdlib dataclasses instead of pydantic-settings on purpose: the ingest function must cold-start
without pydantic or pyarrow (docs/performance.md, "Cold start"). Each setting documents its default here
and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from elt.layout import BRONZE_PREFIX, QUARANTINE_PREFIX, REPLAY_PREFIX, SILVER_PREFIX

MiB = 1024 * 1024


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use true/false)")


def _load(cls: type, env: Mapping[str, str] | None) -> Any:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in fields(cls):
        name = f.metadata["env"]
        raw = env.get(name)
        if raw is None or raw == "":
            if f.metadata.get("required"):
                raise SettingsError(f"environment variable {name} is required")
            continue
        kind = f.metadata.get("kind", str)
        try:
            if kind is bool:
                values[f.name] = _parse_bool(name, raw)
            elif kind is int:
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        except ValueError as exc:
            raise SettingsError(f"{name}={raw!r} is not a valid {kind.__name__}") from exc
    settings = cls(**values)
    settings.validate()
    return settings


def _env(name: str, *, kind: type = str, required: bool = False, **kwargs: Any) -> Any:
    return field(metadata={"env": name, "kind": kind, "required": required}, **kwargs)


@dataclass(frozen=True)
class IngestSettings:
    queue_url: str = _env("QUEUE_URL", required=True, default="")
    idempotency_table: str = _env("IDEMPOTENCY_TABLE", required=True, default="")
    #: How long an object's idempotency record lives (DynamoDB TTL): 30 days.
    idempotency_ttl_seconds: int = _env("IDEMPOTENCY_TTL_SECONDS", kind=int, default=30 * 24 * 3600)
    #: A crashed attempt's IN_PROGRESS record blocks retries for this long (>= the Lambda timeout).
    in_progress_expiry_seconds: int = _env("IN_PROGRESS_EXPIRY_SECONDS", kind=int, default=900)
    #: Only keys under this prefix are ingested; others are ignored with a log line.
    bronze_prefix: str = _env("BRONZE_PREFIX", default=BRONZE_PREFIX)
    #: Target size of one line-aligned JSONL work unit: 128 MiB, the largest unit of the
    #: `make bench` sweep within 512 MB peak RSS and 5 CPU-s per unit
    #: (docs/performance.md, "Work-unit size and Lambda sizing").
    work_unit_bytes: int = _env("WORK_UNIT_BYTES", kind=int, default=128 * MiB)
    #: Objects larger than this are not split (the transform quarantines them as one entry).
    max_object_bytes: int = _env("MAX_OBJECT_BYTES", kind=int, default=16 * 1024 * MiB)
    #: Attempts per SendMessageBatch for entries SQS reported as failed.
    send_attempts: int = _env("SEND_ATTEMPTS", kind=int, default=4)
    #: CloudWatch namespace of the EMF metrics (Powertools).
    metrics_namespace: str = _env("POWERTOOLS_METRICS_NAMESPACE", default="ServerlessElt")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestSettings:
        return _load(cls, env)

    def validate(self) -> None:
        if self.work_unit_bytes < 1024:
            raise SettingsError("WORK_UNIT_BYTES must be at least 1024")
        if self.idempotency_ttl_seconds <= self.in_progress_expiry_seconds:
            raise SettingsError("IDEMPOTENCY_TTL_SECONDS must exceed IN_PROGRESS_EXPIRY_SECONDS")
        if self.send_attempts < 1:
            raise SettingsError("SEND_ATTEMPTS must be at least 1")


@dataclass(frozen=True)
class TransformSettings:
    silver_bucket: str = _env("SILVER_BUCKET", required=True, default="")
    #: The idempotency table, which also holds silver's ledger (batch and source records, leases).
    ledger_table: str = _env("IDEMPOTENCY_TABLE", required=True, default="")
    #: The work queue: units over an invocation's byte budget go back to it as new messages (so
    #: waiting does not use up their receives). Empty: they are reported as batch item failures.
    queue_url: str = _env("QUEUE_URL", default="")
    #: Attempts per SendMessageBatch when handing units back (as for ingest's sends).
    send_attempts: int = _env("SEND_ATTEMPTS", kind=int, default=IngestSettings.send_attempts)
    #: An OPEN batch older than this is dead and may be taken over: it must exceed the function's
    #: timeout (90 s) by enough that a killed invocation's last requests have landed: 900 s.
    batch_lease_seconds: int = _env("BATCH_LEASE_SECONDS", kind=int, default=900)
    #: Bytes of work units one invocation takes; the rest of its batch is handed back. The 90 s
    #: timeout was sized for 10 units of 128 MiB at 4.2 CPU-s each with 2x headroom, so 10 x 128
    #: MiB = 1,280 MiB (docs/performance.md, "Work-unit size and Lambda sizing").
    batch_max_bytes: int = _env("BATCH_MAX_BYTES", kind=int, default=1280 * MiB)
    silver_prefix: str = _env("SILVER_PREFIX", default=SILVER_PREFIX)
    quarantine_prefix: str = _env("QUARANTINE_PREFIX", default=QUARANTINE_PREFIX)
    #: Publish a "silver partition ready" EventBridge event per partition written.
    emit_partition_events: bool = _env("EMIT_PARTITION_EVENTS", kind=bool, default=False)
    event_bus_name: str = _env("EVENT_BUS_NAME", default="default")
    #: At most one "partition ready" event per partition per this many seconds (0 = every write).
    partition_event_debounce_seconds: int = _env("PARTITION_EVENT_DEBOUNCE_SECONDS", kind=int, default=300)
    #: DynamoDB table holding the debounce claims (the idempotency table, under its own key prefix).
    partition_claims_table: str = _env("PARTITION_CLAIMS_TABLE", default="")
    #: Glue database to register new silver partitions in directly (empty = leave it to the crawler).
    catalog_database: str = _env("CATALOG_DATABASE", default="")
    #: Prefix of the catalog table names (the crawler's table prefix, so both name tables alike).
    catalog_table_prefix: str = _env("CATALOG_TABLE_PREFIX", default="")
    #: Objects larger than this are quarantined as one entry instead of being read.
    max_object_bytes: int = _env("MAX_OBJECT_BYTES", kind=int, default=16 * 1024 * MiB)
    #: CloudWatch namespace of the EMF metrics (Powertools).
    metrics_namespace: str = _env("POWERTOOLS_METRICS_NAMESPACE", default="ServerlessElt")
    #: Lines longer than this are quarantined without being parsed.
    max_line_bytes: int = _env("MAX_LINE_BYTES", kind=int, default=1 * MiB)
    #: Decompressed-size ceiling for a gzip object. A gzip object is one unit that one invocation
    #: reads whole, so it may not decompress to more than an invocation validates within its
    #: timeout: BATCH_MAX_BYTES, 1,280 MiB (10 x 128 MiB at 4.2 CPU-s each x 2 headroom = 84 s of
    #: the 90 s). Past it the lines already decoded are kept and the rest is one quarantine entry.
    max_decompressed_bytes: int = _env("MAX_DECOMPRESSED_BYTES", kind=int, default=1280 * MiB)
    #: A JSON (non-lines) document is parsed whole; larger ones are quarantined.
    max_json_document_bytes: int = _env("MAX_JSON_DOCUMENT_BYTES", kind=int, default=256 * MiB)
    #: Bytes handed to the columnar parser at a time (bounds memory per unit).
    parse_block_bytes: int = _env("PARSE_BLOCK_BYTES", kind=int, default=8 * MiB)
    #: Rows buffered per partition before a Parquet row group is flushed.
    row_group_rows: int = _env("ROW_GROUP_ROWS", kind=int, default=256 * 1024)
    #: Earliest accepted event_time (ISO date); older records are quarantined.
    event_time_min: str = _env("EVENT_TIME_MIN", default="2000-01-01")
    #: Accepted clock skew: event_time may be at most this far after the object was written.
    event_time_max_future_seconds: int = _env("EVENT_TIME_MAX_FUTURE_SECONDS", kind=int, default=24 * 3600)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TransformSettings:
        return _load(cls, env)

    def validate(self) -> None:
        for name in ("silver_prefix", "quarantine_prefix"):
            value = getattr(self, name)
            if not value or value.startswith("/") or value.endswith("/"):
                raise SettingsError(f"{name.upper()}={value!r} must be a non-empty prefix without leading/trailing '/'")
        if self.max_line_bytes < 1024:
            raise SettingsError("MAX_LINE_BYTES must be at least 1024")
        if self.parse_block_bytes < self.max_line_bytes:
            raise SettingsError("PARSE_BLOCK_BYTES must be at least MAX_LINE_BYTES")
        if self.send_attempts < 1:
            raise SettingsError("SEND_ATTEMPTS must be at least 1")
        if self.batch_lease_seconds < 60:
            raise SettingsError("BATCH_LEASE_SECONDS must be at least 60 (and exceed the function timeout)")
        if self.partition_event_debounce_seconds < 0:
            raise SettingsError("PARTITION_EVENT_DEBOUNCE_SECONDS must not be negative")
        if self.emit_partition_events and self.partition_event_debounce_seconds and not self.partition_claims_table:
            raise SettingsError(
                "PARTITION_CLAIMS_TABLE is required when EMIT_PARTITION_EVENTS is on and "
                "PARTITION_EVENT_DEBOUNCE_SECONDS > 0 (set it, or set the debounce to 0)"
            )


@dataclass(frozen=True)
class OpsSettings:
    """The ops workflow's task functions: the stack defaults a workflow request falls back to."""

    bronze_bucket: str = _env("BRONZE_BUCKET", default="")
    bronze_prefix: str = _env("BRONZE_PREFIX", default=BRONZE_PREFIX)
    #: Replay copies land under <REPLAY_PREFIX><execution name>/<original key>.
    replay_prefix: str = _env("REPLAY_PREFIX", default=REPLAY_PREFIX)
    silver_bucket: str = _env("SILVER_BUCKET", default="")
    silver_prefix: str = _env("SILVER_PREFIX", default=SILVER_PREFIX)
    quarantine_prefix: str = _env("QUARANTINE_PREFIX", default=QUARANTINE_PREFIX)
    #: The work queue: the replay step sends recomputing work units to it; the progress step
    #: reports its depth.
    queue_url: str = _env("QUEUE_URL", default="")
    dlq_url: str = _env("DLQ_URL", default="")
    #: The replay step plans units with ingest's code, so these must be ingest's values: a unit
    #: replaces the rows silver holds for the same byte range (other ranges would add rows).
    work_unit_bytes: int = _env("WORK_UNIT_BYTES", kind=int, default=IngestSettings.work_unit_bytes)
    max_object_bytes: int = _env("MAX_OBJECT_BYTES", kind=int, default=IngestSettings.max_object_bytes)
    send_attempts: int = _env("SEND_ATTEMPTS", kind=int, default=IngestSettings.send_attempts)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OpsSettings:
        return _load(cls, env)

    def validate(self) -> None:
        if not self.replay_prefix.startswith(self.bronze_prefix):
            raise SettingsError(f"REPLAY_PREFIX={self.replay_prefix!r} must start with BRONZE_PREFIX")
