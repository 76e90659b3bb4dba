"""The chaos runs' stack: the pipeline's resources in-process (``elt.devkit.stack``) with the
settings every run shares. The harness instruments the clients the handlers create at import
with the fault injector; its own clients (playing S3, the event source mapping and the
operator) are never faulted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from elt.devkit.stack import InProcessStack, StackNames, in_process_stack

NAMES = StackNames("chaos")
BRONZE, SILVER, TABLE = NAMES.bronze, NAMES.silver, NAMES.table
MAX_RECEIVE_COUNT = 5

#: Fixed settings of every run. The SDK's retries are off so injected faults reach the pipeline.
BASE_ENV = {
    "AWS_MAX_ATTEMPTS": "1",
    "AWS_RETRY_MODE": "standard",
    "POWERTOOLS_SERVICE_NAME": "elt-chaos",
    "POWERTOOLS_METRICS_NAMESPACE": "EltChaos",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "LOG_LEVEL": "CRITICAL",
    # A crashed ingest's claim blocks its retries this long: short, so a run waits seconds.
    "IN_PROGRESS_EXPIRY_SECONDS": "1",
}


@contextmanager
def chaos_stack(extra_env: dict[str, str], *, versioned_bronze: bool = False) -> Iterator[InProcessStack]:
    """A fresh emulated account for one run; the environment is restored afterwards."""
    with in_process_stack(
        NAMES, {**BASE_ENV, **extra_env}, max_receive_count=MAX_RECEIVE_COUNT, versioned_bronze=versioned_bronze
    ) as stack:
        yield stack
