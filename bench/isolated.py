"""Handlers in their own processes against a moto server: per-invocation peak memory.

In one process the emulator holds every object in memory, so the process's peak RSS says
nothing about a handler. Here the emulator runs in this process (moto's threaded server on a
free port) and each invocation runs in a fresh child (``bench.invoke``), whose peak RSS is what
Lambda reports as "Max Memory Used". Used by the memory mode (a 1 GB object) and the work-unit
sweep.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from bench.inprocess import BRONZE, ESM_BATCH_SIZE, HANDLER_ENV, NAMES, REGION, SQS_MAX_RECEIVE, VISIBILITY_TIMEOUT
from elt.devkit.events import s3_object_created_from_head, sqs_record_from_message
from elt.devkit.stack import InProcessStack, create_stack
from localcloud.throwaway import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Invocation:
    function: str
    cpu_seconds: float
    wall_seconds: float
    import_seconds: float
    peak_rss_mb: float
    requests: Counter[str]
    batches: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "cpu_seconds": round(self.cpu_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 3),
            "import_seconds": round(self.import_seconds, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "units": sum(sum(b["units"].values()) for b in self.batches),
            "rows": sum(b["rows"] for b in self.batches),
            "files": sum(b["silver_files"] for b in self.batches),
        }


class IsolatedPipeline:
    def __init__(self, endpoint: str, stack: InProcessStack, extra_env: dict[str, str]) -> None:
        self.endpoint = endpoint
        self.stack = stack
        self.resources = stack.handler_env()
        self.extra_env = extra_env
        self.session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        self.s3 = self.session.client("s3", endpoint_url=endpoint)
        self.sqs = self.session.client("sqs", endpoint_url=endpoint)

    @classmethod
    @contextmanager
    def running(cls, extra_env: dict[str, str] | None = None) -> Iterator[IsolatedPipeline]:
        port = free_port()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{port}"
            # The server shares moto's in-process backends: start from an empty account.
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30)
            session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
            stack = create_stack(_EndpointSession(session, endpoint), NAMES, visibility_timeout=VISIBILITY_TIMEOUT)
            yield cls(endpoint, stack, extra_env or {})
        finally:
            server.stop()

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        with tempfile.NamedTemporaryFile(prefix="bench-object-") as f:
            f.write(body)
            f.flush()
            self.s3.upload_file(f.name, BRONZE, key)
        return s3_object_created_from_head(BRONZE, key, self.s3.head_object(Bucket=BRONZE, Key=key))

    def invoke(self, function: str, event: dict[str, Any], env: dict[str, str] | None = None) -> Invocation:
        job = {
            "function": function,
            "event": event,
            "env": {
                **HANDLER_ENV,
                **self.resources,
                **self.extra_env,
                **(env or {}),
                "AWS_ENDPOINT_URL": self.endpoint,
            },
        }
        out = subprocess.run(
            [sys.executable, "-m", "bench.invoke"],
            input=json.dumps(job),
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if k != "AWS_PROFILE"},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if out.returncode != 0:
            raise RuntimeError(f"{function} invocation failed ({out.returncode}):\n{out.stderr[-3000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if function == "transform" and result["response"]["batchItemFailures"]:
            raise RuntimeError(f"transform reported failed units: {result['response']['batchItemFailures']}")
        return Invocation(
            function,
            result["cpu_seconds"],
            result["wall_seconds"],
            result["import_seconds"],
            result["peak_rss_mb"],
            Counter(result["requests"]),
            result["batches"],
        )

    def drain(self, event: dict[str, Any], ingest_env: dict[str, str] | None = None) -> list[Invocation]:
        """Ingest one object, then transform its units in event-source-mapping batches."""
        calls = [self.invoke("ingest", event, ingest_env)]
        messages: list[dict[str, Any]] = []
        while got := self.sqs.receive_message(
            QueueUrl=self.resources["QUEUE_URL"], MaxNumberOfMessages=SQS_MAX_RECEIVE
        ).get("Messages", []):
            messages += got
        for offset in range(0, len(messages), ESM_BATCH_SIZE):
            batch = messages[offset : offset + ESM_BATCH_SIZE]
            calls.append(
                self.invoke("transform", {"Records": [sqs_record_from_message(m, self.stack.queue_arn) for m in batch]})
            )
            for m in batch:
                self.sqs.delete_message(QueueUrl=self.resources["QUEUE_URL"], ReceiptHandle=m["ReceiptHandle"])
        return calls


class _EndpointSession:
    """A session whose clients talk to the emulator's endpoint (for create_stack)."""

    def __init__(self, session: boto3.Session, endpoint: str) -> None:
        self._session, self._endpoint = session, endpoint

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._session.client(service, endpoint_url=self._endpoint, **kwargs)  # type: ignore[call-overload]
