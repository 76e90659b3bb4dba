"""One Lambda invocation in a fresh process (``python -m bench.invoke`` < job JSON > result JSON).

The parent gives the function name, the event and the environment (pointing the SDK at an
emulator with ``AWS_ENDPOINT_URL``); this process imports the handler, invokes it once and
reports what Lambda's REPORT line would: duration, CPU, peak memory, plus the API calls made.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class _WithoutPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (not in the function's zip)", name=name)


def main() -> int:
    job: dict[str, Any] = json.load(sys.stdin)
    os.environ.update(job["env"])
    # pandas is in no zip; pyarrow would import it lazily from the virtualenv and inflate the peak.
    sys.meta_path.insert(0, _WithoutPandas())

    import boto3

    from bench.meter import RequestCounter, peak_rss_mb, record_batch_results
    from elt.devkit.handlers import LambdaContext, load_handler

    counter = RequestCounter()
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    counter.install(boto3.DEFAULT_SESSION._session)
    started = time.perf_counter()
    module = load_handler(job["function"])
    import_seconds = time.perf_counter() - started
    batches: list[dict[str, Any]] = []
    if job["function"] == "transform":
        record_batch_results(module, batches)
    cpu, wall = time.process_time(), time.perf_counter()
    with counter.counting(job["function"]), contextlib.redirect_stdout(io.StringIO()):
        response = module.handler(
            job["event"], LambdaContext(job["function"], job.get("memory_mb", 1024), remaining_millis=900_000)
        )
    result = {
        "response": response,
        "cpu_seconds": time.process_time() - cpu,
        "wall_seconds": time.perf_counter() - wall,
        "import_seconds": import_seconds,
        "peak_rss_mb": peak_rss_mb(),
        "requests": dict(counter.total()),
        "batches": batches,
    }
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
