"""Drive the real handlers in this process under moto (``mock_aws``), the way AWS would.

S3 notifications go to the ingest handler one object at a time (as S3 delivers them); the
event source mapping is played by receiving up to 10 messages per call, invoking the transform
with batches of ``esm_batch_size`` and deleting what succeeded with ``DeleteMessageBatch``.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws

from bench.meter import CpuMeter, EmulatorClock, RequestCounter, record_batch_results
from bench.workloads import Workload
from elt.devkit.events import s3_object_created_from_head, sqs_record_from_message
from elt.devkit.handlers import LambdaContext, load_handler
from elt.devkit.stack import MOCK_ENV, REGION, StackNames, create_stack, environment, mock_account_env
from localcloud.extensions.sqs import receive_in_linear_time

NAMES = StackNames("bench")
BRONZE, SILVER = NAMES.bronze, NAMES.silver
#: Long enough that a unit being transformed is never redelivered during a run.
VISIBILITY_TIMEOUT = 900
ESM_BATCH_SIZE = 250  # Terraform's esm_batch_size default
SQS_MAX_RECEIVE = 10

#: The handlers' environment besides the resource names (what Terraform sets, quiet logs).
HANDLER_ENV = {
    **MOCK_ENV,
    "POWERTOOLS_SERVICE_NAME": "elt-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "EltBench",
    "LOG_LEVEL": "WARNING",
}


@dataclass
class RunResult:
    """What one workload run measured (raw, not yet per 1M records)."""

    workload: str
    records: int
    input_bytes: int
    objects: int
    wall_seconds: float
    ingest: CpuMeter
    transform: CpuMeter
    ingest_invocations: int
    transform_invocations: int
    units: int
    requests: dict[str, Counter[str]]
    rows: int = 0
    quarantined: int = 0
    silver_files: int = 0
    silver_bytes: int = 0
    batch_results: list[dict[str, Any]] = field(default_factory=list)


class InProcessPipeline:
    """One mocked account with the pipeline's resources and freshly imported handlers."""

    def __init__(self, counter: RequestCounter, clock: EmulatorClock, env: dict[str, str]) -> None:
        self.counter = counter
        self.clock = clock
        self.env = env
        self.session: boto3.Session
        self.ingest: ModuleType
        self.transform: ModuleType
        self.batch_results: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def running(self) -> Iterator[InProcessPipeline]:
        receive_in_linear_time()  # the emulator's drain, not the pipeline's time, would dominate W2
        with mock_account_env(HANDLER_ENV), mock_aws():
            boto3.setup_default_session(region_name=REGION)
            assert boto3.DEFAULT_SESSION is not None
            self.session = boto3.DEFAULT_SESSION
            self.counter.install(self.session._session)  # clients created from now on are counted
            self.clock.install()
            stack = create_stack(self.session, NAMES, visibility_timeout=VISIBILITY_TIMEOUT)
            with environment({**stack.handler_env(), **self.env}):
                self.queue_url, self.queue_arn = stack.queue_url, stack.queue_arn
                self.s3, self.sqs = stack.s3, stack.sqs
                self.ingest = load_handler("ingest")
                self.transform = load_handler("transform")
                record_batch_results(self.transform, self.batch_results)
                yield self
            boto3.DEFAULT_SESSION = None

    def upload(self, workload: Workload) -> list[dict[str, Any]]:
        events = []
        for obj in workload.objects:
            self.s3.put_object(Bucket=BRONZE, Key=obj.key, Body=obj.body)
            events.append(s3_object_created_from_head(BRONZE, obj.key, self.s3.head_object(Bucket=BRONZE, Key=obj.key)))
        return events

    def run(self, workload: Workload, progress: Callable[[int], None] | None = None) -> RunResult:
        events = self.upload(workload)
        self.counter.counts = {}
        self.batch_results.clear()
        ingest_cpu, transform_cpu = CpuMeter(self.clock), CpuMeter(self.clock)
        invocations = {"ingest": 0, "transform": 0}
        units = 0
        sink = io.StringIO()  # the handlers' EMF metric lines (printed, as on Lambda)
        started = time.perf_counter()
        with contextlib.redirect_stdout(sink):
            for event in events:
                with self.counter.counting("ingest"), ingest_cpu.measure():
                    units += self.ingest.handler(event, LambdaContext(function_name="ingest"))["units"]
                invocations["ingest"] += 1
                sink.seek(0)
                sink.truncate()
            for batch in self._poll_batches():
                with self.counter.counting("transform"), transform_cpu.measure():
                    response = self.transform.handler(
                        {"Records": [sqs_record_from_message(m, self.queue_arn) for m in batch]},
                        LambdaContext(function_name="transform"),
                    )
                invocations["transform"] += 1
                failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
                if failed:
                    raise RuntimeError(f"{workload.name}: transform reported failed units {sorted(failed)}")
                self._delete(batch)
                sink.seek(0)
                sink.truncate()
                if progress:
                    progress(sum(r["rows"] + r["quarantined"] for r in self.batch_results))
        wall = time.perf_counter() - started
        result = RunResult(
            workload=workload.name,
            records=workload.records,
            input_bytes=workload.bytes,
            objects=len(workload.objects),
            wall_seconds=wall,
            ingest=ingest_cpu,
            transform=transform_cpu,
            ingest_invocations=invocations["ingest"],
            transform_invocations=invocations["transform"],
            units=units,
            requests={k: Counter(v) for k, v in self.counter.counts.items()},
            batch_results=list(self.batch_results),
        )
        result.rows = sum(r["rows"] for r in self.batch_results)
        result.quarantined = sum(r["quarantined"] for r in self.batch_results)
        result.silver_files = sum(r["silver_files"] for r in self.batch_results)
        result.silver_bytes = sum(r["bytes_written"] for r in self.batch_results)
        if result.rows + result.quarantined != workload.records:
            raise RuntimeError(
                f"{workload.name}: {result.rows} silver rows + {result.quarantined} quarantined "
                f"!= {workload.records} input records"
            )
        return result

    def _poll_batches(self) -> Iterator[list[dict[str, Any]]]:
        """What the event source mapping does: ReceiveMessage (10 at most) until a batch is full."""
        while True:
            batch: list[dict[str, Any]] = []
            while len(batch) < ESM_BATCH_SIZE:
                with self.counter.counting("esm"):
                    got = self.sqs.receive_message(
                        QueueUrl=self.queue_url, MaxNumberOfMessages=min(SQS_MAX_RECEIVE, ESM_BATCH_SIZE - len(batch))
                    ).get("Messages", [])
                if not got:
                    break
                batch += got
            if not batch:
                return
            yield batch

    def _delete(self, batch: list[dict[str, Any]]) -> None:
        for offset in range(0, len(batch), SQS_MAX_RECEIVE):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(batch[offset : offset + SQS_MAX_RECEIVE])
            ]
            with self.counter.counting("esm"):
                self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
