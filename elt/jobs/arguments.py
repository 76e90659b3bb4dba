"""Glue job arguments: ``--NAME value`` pairs, resolved the same way on Glue and on local Spark.

On Glue, ``awsglue.utils.getResolvedOptions`` is the resolver. It has no notion of optional
arguments, so an optional name is only asked for when it appears on the command line; its
default applies otherwise. Without the ``awsglue`` package (local Spark, tests, the local
cloud) an argparse parser of the same shape stands in, so one script runs everywhere.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

#: Arguments every silver-partition job takes, and the defaults of the optional ones.
PARTITION_ARGUMENTS = ("SILVER_BUCKET", "SILVER_PREFIX", "RECORD_TYPE", "DT")
#: Where buckets live: ``s3://`` on AWS; ``s3a://`` or a local mirror directory elsewhere.
STORAGE_ROOT_DEFAULT = {"STORAGE_ROOT": "s3://"}


def _present(argv: Sequence[str], name: str) -> bool:
    flag = f"--{name}"
    return any(arg == flag or arg.startswith(f"{flag}=") for arg in argv)


def _parse_without_glue(argv: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False)
    for name in names:
        parser.add_argument(f"--{name}", required=True)
    known, _ = parser.parse_known_args(list(argv))  # Glue adds its own arguments (--JOB_ID, ...)
    return {name: getattr(known, name) for name in names}


def resolve_options(
    argv: Sequence[str], required: Sequence[str], optional: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Values of ``required`` names (missing ones exit with status 2) and of ``optional`` ones."""
    defaults = dict(optional or {})
    names = [*required, *(name for name in defaults if _present(argv, name))]
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        resolved = _parse_without_glue(argv, names)
    else:
        resolved = getResolvedOptions(list(argv), names)
    return {**defaults, **{name: resolved[name] for name in names}}


def parse_flag(name: str, value: str) -> bool:
    """A ``true``/``false`` argument; anything else is an error rather than a silent default."""
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"--{name} must be true or false, got {value!r}")
    return lowered == "true"
