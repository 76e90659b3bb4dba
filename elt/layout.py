"""Every key the pipeline writes, reads or claims, built and parsed here and nowhere else.

=====================  =====================================================================
bronze object          ``<BRONZE>/<dataset>/...`` (the dataset is the first part after the prefix)
replay copy            ``<REPLAY>/<run name>/<original key>`` (a new object on purpose)
silver file            ``<SILVER>/<record_type>/dt=<YYYY-MM-DD>/<output name>.parquet``
quarantine file        ``<QUARANTINE>/<dataset>/<output name>.jsonl``
gate marker            ``<QUARANTINE>/_ge_gate/<record_type>/dt=<YYYY-MM-DD>/...``
gate result            ``<GE_RESULTS>/<record_type>/dt=<YYYY-MM-DD>/result.json``
output name            ``<object id>-<first byte:012d>-<end byte:012d>`` (one per work unit)
object version claim   ``s3://<bucket>/<key>#<etag>`` (the idempotency table's ``pk``)
partition claim        ``partition-ready#<SILVER>/<record_type>/dt=<YYYY-MM-DD>``
=====================  =====================================================================

The defaults below are what Terraform deploys (``modules/pipeline/main.tf`` locals, checked
against these by ``tests/infra``); the functions take the configured prefixes as arguments.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

BRONZE_PREFIX = "bronze/"
REPLAY_PREFIX = f"{BRONZE_PREFIX}replay/"
SILVER_PREFIX = "silver"
QUARANTINE_PREFIX = "quarantine"
GE_RESULTS_PREFIX = "ge-results"
GATE_MARKER_PREFIX = f"{QUARANTINE_PREFIX}/_ge_gate"
PARTITION_CLAIM_PREFIX = "partition-ready#"

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


@dataclass(frozen=True)
class OutputName:
    """Base name of every file one work unit writes: its object version and byte range."""

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
    name: OutputName

    def key(self, silver_prefix: str = SILVER_PREFIX) -> str:
        return f"{partition_prefix(silver_prefix, self.record_type, self.dt)}{self.name}.parquet"

    @classmethod
    def parse(cls, key: str, silver_prefix: str = SILVER_PREFIX) -> SilverFile | None:
        """The silver file a key names, or None for anything else under the prefix."""
        parts = key.removeprefix(f"{silver_prefix}/").split("/")
        if len(parts) != 3 or not parts[1].startswith("dt=") or not parts[2].endswith(".parquet"):
            return None
        name = OutputName.parse(parts[2])
        return cls(parts[0], parts[1].removeprefix("dt="), name) if name else None


def partition_prefix(silver_prefix: str, record_type: str, dt: str | None = None) -> str:
    """``<silver>/<record_type>/`` or, with ``dt``, ``<silver>/<record_type>/dt=<dt>/``."""
    base = f"{silver_prefix}/{record_type}/"
    return base if dt is None else f"{base}dt={dt}/"


def quarantine_key(quarantine_prefix: str, dataset: str, name: OutputName) -> str:
    return f"{quarantine_prefix}/{dataset}/{name}.jsonl"


def partition_claim_key(silver_prefix: str, record_type: str, dt: str) -> str:
    return f"{PARTITION_CLAIM_PREFIX}{partition_prefix(silver_prefix, record_type, dt).rstrip('/')}"


def replay_key(replay_prefix: str, run_name: str, key: str) -> str:
    return f"{replay_prefix}{run_name}/{key}"
