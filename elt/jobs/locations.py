"""Where a silver partition lives, and where the outputs derived from it go.

Silver layout (docs/architecture.md, "Silver and quarantine layout"):
``<bucket root>/<silver prefix>/<record_type>/dt=YYYY-MM-DD/*.parquet``.
The URI scheme is never assumed: the bucket root is built from a storage root (``s3://`` on
AWS, ``s3a://`` or a local mirror directory elsewhere) so the same job logic runs on Glue,
on local Spark and in tests with plain directories.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

_RECORD_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")
_DT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bucket_root(storage_root: str, bucket: str) -> str:
    """``s3://`` + ``b`` → ``s3://b``; ``/mirror`` + ``b`` → ``/mirror/b`` (a directory per bucket)."""
    if not bucket or "/" in bucket:
        raise ValueError(f"bucket must be a bare bucket name, got {bucket!r}")
    if storage_root.endswith("://"):
        return f"{storage_root}{bucket}"
    return f"{storage_root.rstrip('/')}/{bucket}"


def _clean_prefix(prefix: str) -> str:
    cleaned = prefix.strip("/")
    if not cleaned:
        raise ValueError("a key prefix must not be empty")
    return cleaned


@dataclass(frozen=True)
class SilverPartition:
    """One ``dt`` partition of one dataset under a bucket root."""

    root: str
    prefix: str
    record_type: str
    dt: str

    def __post_init__(self) -> None:
        if not _RECORD_TYPE.match(self.record_type):
            raise ValueError(f"record type must match {_RECORD_TYPE.pattern}, got {self.record_type!r}")
        if not _DT.match(self.dt):
            raise ValueError(f"dt must be YYYY-MM-DD, got {self.dt!r}")
        date.fromisoformat(self.dt)  # rejects 2024-02-30
        object.__setattr__(self, "prefix", _clean_prefix(self.prefix))

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> SilverPartition:
        """From the job arguments shared by every silver job (see ``arguments.PARTITION_ARGUMENTS``)."""
        return cls(
            root=bucket_root(args["STORAGE_ROOT"], args["SILVER_BUCKET"]),
            prefix=args["SILVER_PREFIX"],
            record_type=args["RECORD_TYPE"],
            dt=args["DT"],
        )

    @property
    def uri(self) -> str:
        return self.under(self.prefix)

    def under(self, prefix: str) -> str:
        """The same ``<record_type>/dt=<dt>`` directory under another prefix of the bucket."""
        return f"{self.root}/{_clean_prefix(prefix)}/{self.record_type}/dt={self.dt}"
