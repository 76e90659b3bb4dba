"""Every key the pipeline writes, reads or claims, built and parsed here and nowhere else.

=====================  =====================================================================
bronze object          ``<BRONZE>/<dataset>/...`` (the dataset is the first part after the prefix)
replay copy            ``<REPLAY>/<run name>/<original key>`` (a new object on purpose)
streamed object        ``<BRONZE>/<record_type>/stream/YYYY/MM/DD/HH/...`` (Firehose, docs/producers.md)
stream error object    ``<STREAM_ERROR>/stream/<error type>/YYYY/MM/DD/...`` (outside bronze: never ingested)
silver file            ``<SILVER>/<record_type>/dt=<YYYY-MM-DD>/<batch id>.parquet``
quarantine file        ``<QUARANTINE>/<dataset>/<batch id>.jsonl``
gate marker            ``<QUARANTINE>/_ge_gate/<record_type>/dt=<YYYY-MM-DD>/...``
gate result            ``<GE_RESULTS>/<record_type>/dt=<YYYY-MM-DD>/result.json``
batch id               ``b<YYYYMMDD>T<HHMMSS>-<12 hex>`` (one transform invocation's files)
unit name              ``<object id>-<first byte:012d>-<end byte:012d>`` (one per work unit)
object version claim   ``s3://<bucket>/<key>#<etag>`` (the idempotency table's ``pk``)
source record          ``source#s3://<bucket>/<key>`` (which batch holds each unit's rows)
batch record           ``batch#<batch id>`` (open / committed / aborted, and its files)
lease                  ``lease#<directory>/`` (one rewriter of a silver or quarantine directory)
partition claim        ``partition-ready#<SILVER>/<record_type>/dt=<YYYY-MM-DD>``
=====================  =====================================================================

The defaults below are what Terraform deploys (``modules/pipeline/main.tf`` locals, checked
against these by ``tests/infra``); the functions take the configured prefixes as arguments.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

BRONZE_PREFIX = "bronze/"
REPLAY_PREFIX = f"{BRONZE_PREFIX}replay/"
#: Where Firehose puts the records it could not route (no record_type, not JSON): not under bronze/.
STREAM_ERROR_PREFIX = "bronze-errors/"
SILVER_PREFIX = "silver"
QUARANTINE_PREFIX = "quarantine"
GE_RESULTS_PREFIX = "ge-results"
GATE_MARKER_PREFIX = f"{QUARANTINE_PREFIX}/_ge_gate"
PARTITION_CLAIM_PREFIX = "partition-ready#"
SOURCE_RECORD_PREFIX = "source#"
BATCH_RECORD_PREFIX = "batch#"
LEASE_PREFIX = "lease#"
#: Files a replace-mode compaction writes into a partition (elt/jobs/compaction.py).
COMPACTED_FILE_PREFIX = "compacted-"

_BATCH_ID = re.compile(r"^b\d{8}T\d{6}-[0-9a-f]{12}$")

_OUTPUT_NAME = re.compile(r"^(?P<object_id>[0-9a-f]{16})-(?P<start>\d{12})-(?P<end>\d{12})$")


def object_id(bucket: str, key: str, etag: str) -> str:
    """Short stable id of an object version (hash of its claim key): the first part of every
    output file name, so an object's silver files and quarantine entries can be found."""
    return hashlib.sha256(object_version_key(bucket, key, etag).encode()).hexdigest()[:16]


def object_version_key(bucket: str, key: str, etag: str) -> str:
    """The claim of one object version: ``s3://bucket/key#etag`` (readable, as operators query it)."""
    return f"s3://{bucket}/{key}#{etag}"


def parse_object_version_key(pk: str) -> tuple[str, str, str]:
    """(bucket, key, etag) of a claim key; keys may hold '#', etags never do."""
    uri, _, etag = pk.rpartition("#")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key, etag


def stream_prefix(dataset: str, bronze_prefix: str = BRONZE_PREFIX) -> str:
    """Where Firehose writes a dataset's streamed records (its dynamic partition)."""
    return f"{bronze_prefix}{dataset}/stream/"


def new_batch_id(now: datetime) -> str:
    """A transform invocation's id: its UTC start (so files sort by write time) and 48 random bits."""
    return f"b{now:%Y%m%dT%H%M%S}-{secrets.token_hex(6)}"


def is_batch_id(name: str) -> bool:
    return bool(_BATCH_ID.match(name))


def source_record_key(bucket: str, key: str) -> str:
    return f"{SOURCE_RECORD_PREFIX}s3://{bucket}/{key}"


def batch_record_key(batch_id: str) -> str:
    return f"{BATCH_RECORD_PREFIX}{batch_id}"


def lease_key(directory: str) -> str:
    return f"{LEASE_PREFIX}{directory}"


@dataclass(frozen=True)
class OutputName:
    """A work unit's name: its object version and byte range (logs, messages, accounting)."""

    object_id: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.object_id}-{self.start:012d}-{self.end:012d}"

    @classmethod
    def parse(cls, file_name: str) -> OutputName | None:
        match = _OUTPUT_NAME.match(file_name.rsplit("/", 1)[-1].split(".", 1)[0])
        return cls(match["object_id"], int(match["start"]), int(match["end"])) if match else None


@dataclass(frozen=True)
class SilverFile:
    record_type: str
    dt: str
    batch_id: str

    def key(self, silver_prefix: str = SILVER_PREFIX) -> str:
        return f"{partition_prefix(silver_prefix, self.record_type, self.dt)}{self.batch_id}.parquet"

    @classmethod
    def parse(cls, key: str, silver_prefix: str = SILVER_PREFIX) -> SilverFile | None:
        """The silver file a key names, or None for anything else under the prefix."""
        parts = key.removeprefix(f"{silver_prefix}/").split("/")
        if len(parts) != 3 or not parts[1].startswith("dt=") or not parts[2].endswith(".parquet"):
            return None
        name = parts[2].removesuffix(".parquet")
        return cls(parts[0], parts[1].removeprefix("dt="), name) if is_batch_id(name) else None


def partition_prefix(silver_prefix: str, record_type: str, dt: str | None = None) -> str:
    """``<silver>/<record_type>/`` or, with ``dt``, ``<silver>/<record_type>/dt=<dt>/``."""
    base = f"{silver_prefix}/{record_type}/"
    return base if dt is None else f"{base}dt={dt}/"


def quarantine_key(quarantine_prefix: str, dataset: str, batch_id: str) -> str:
    return f"{quarantine_prefix}/{dataset}/{batch_id}.jsonl"


def partition_claim_key(silver_prefix: str, record_type: str, dt: str) -> str:
    return f"{PARTITION_CLAIM_PREFIX}{partition_prefix(silver_prefix, record_type, dt).rstrip('/')}"


def replay_key(replay_prefix: str, run_name: str, key: str) -> str:
    return f"{replay_prefix}{run_name}/{key}"
