"""Glue 5.0 job: Great Expectations (GX Core 1.x) quality gate of one silver partition.

Arguments: ``--SILVER_BUCKET --SILVER_PREFIX --RECORD_TYPE --DT --RESULT_PREFIX`` and optionally
``--STORAGE_ROOT`` (default ``s3://``; ``s3a://`` or a local mirror directory off AWS).
Writes ``<RESULT_PREFIX>/<RECORD_TYPE>/dt=<DT>/result.json`` in the silver bucket and fails the
run (raises ``QualityGateFailed``) when an expectation fails. The logic is ``elt.jobs.quality``;
on Glue it arrives with ``--extra-py-files``; locally it is installed in the venv.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from elt.jobs.arguments import PARTITION_ARGUMENTS, STORAGE_ROOT_DEFAULT, resolve_options
from elt.jobs.locations import SilverPartition
from elt.jobs.quality import run_quality_gate
from elt.jobs.session import job_session


def main(argv: Sequence[str]) -> None:
    args = resolve_options(argv, [*PARTITION_ARGUMENTS, "RESULT_PREFIX"], STORAGE_ROOT_DEFAULT)
    report, result_uri = run_quality_gate(
        job_session("ge_validate_silver"), SilverPartition.from_args(args), args["RESULT_PREFIX"]
    )
    print(json.dumps({"success": report["success"], "statistics": report["statistics"], "result_uri": result_uri}))


if __name__ == "__main__":
    main(sys.argv)
