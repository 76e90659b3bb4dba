"""Glue 5.0 job: compact one silver partition into files near a target size.

Arguments: ``--SILVER_BUCKET --SILVER_PREFIX --RECORD_TYPE --DT`` and optionally
``--OUTPUT_PREFIX`` (default ``compacted``), ``--TARGET_FILE_MB`` (default 128),
``--REPLACE true|false`` (default false) and ``--STORAGE_ROOT`` (default ``s3://``).
Copy mode writes ``<OUTPUT_PREFIX>/<RECORD_TYPE>/dt=<DT>/``; replace mode stages under
``<OUTPUT_PREFIX>/_staging/...`` and swaps the verified files into the partition. The logic and
its guarantees are in ``elt.jobs.compaction``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from elt.jobs.arguments import PARTITION_ARGUMENTS, STORAGE_ROOT_DEFAULT, parse_flag, resolve_options
from elt.jobs.compaction import DEFAULT_TARGET_FILE_MB, MIB, compact_partition, new_run_id
from elt.jobs.locations import SilverPartition
from elt.jobs.session import job_session

OPTIONAL = {
    **STORAGE_ROOT_DEFAULT,
    "OUTPUT_PREFIX": "compacted",
    "TARGET_FILE_MB": str(DEFAULT_TARGET_FILE_MB),
    "REPLACE": "false",
}


def main(argv: Sequence[str]) -> None:
    args = resolve_options(argv, PARTITION_ARGUMENTS, OPTIONAL)
    partition = SilverPartition.from_args(args)
    replace_partition = parse_flag("REPLACE", args["REPLACE"])
    run_id = new_run_id()
    output_uri = partition.under(args["OUTPUT_PREFIX"])
    if replace_partition:
        output_uri = f"{partition.under(args['OUTPUT_PREFIX'] + '/_staging')}/{run_id}"
    result = compact_partition(
        job_session("compact_silver"),
        partition.uri,
        output_uri,
        target_file_bytes=int(float(args["TARGET_FILE_MB"]) * MIB),
        replace_partition=replace_partition,
        run_id=run_id,
    )
    print(json.dumps(result.as_dict()))


if __name__ == "__main__":
    main(sys.argv)
