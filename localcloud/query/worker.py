"""``python -m localcloud.query.worker``: run one query (a QueryRequest as JSON on stdin).

Prints the QueryOutcome as JSON on the last stdout line. A failed query exits 0; a non-zero exit is a
crash of the engine (or a kill by the API's timeout or memory limit).
"""

from __future__ import annotations

import sys

from localcloud.query.contract import QueryRequest
from localcloud.query.engine import connect, run_query
from localcloud.settings import local_client


def main() -> int:
    request = QueryRequest.from_json(sys.stdin.read())
    glue = local_client("glue", request.endpoint, request.region)
    s3 = local_client("s3", request.endpoint, request.region)
    outcome = run_query(request, glue, s3, connect(request.memory_limit_mb))
    print(outcome.to_json(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
