"""The second mode: drain a workload through a throwaway local cloud (the real zips, the real
Terraform, S3 notifications and the SQS event source mapping driven by the local runtime).

Modelled on the e2e fixture: a free port, a temporary state dir and build dir, `terraform
apply` of infra/terraform/envs/local, and the emulator always stopped at the end.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from localcloud.throwaway import DeployedStack, throwaway_stack

REPORT_LINE = re.compile(r"Duration: ([\d.]+) ms.*Max Memory Used: ([\d.]+) MB")
DRAIN_TIMEOUT_S = 900


def _reports(log: Path) -> list[tuple[float, float]]:
    """(duration ms, max memory MB) of every REPORT line in a function's log."""
    if not log.exists():
        return []
    return [(float(m[1]), float(m[2])) for m in REPORT_LINE.finditer(log.read_text())]


def run_local_cloud(lines: list[bytes]) -> dict[str, Any]:
    if shutil.which("terraform") is None:
        raise RuntimeError("terraform is not on PATH: the local-cloud mode applies the real Terraform")
    import pyarrow.parquet as pq

    work = Path(tempfile.mkdtemp(prefix="bench-localcloud-"))
    setup_started = time.perf_counter()
    try:
        with throwaway_stack(work) as stack:
            return _drain(stack, lines, pq, time.perf_counter() - setup_started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _drain(stack: DeployedStack, lines: list[bytes], pq: Any, setup_seconds: float) -> dict[str, Any]:
    outputs = stack.outputs
    s3 = stack.client("s3")
    body = b"".join(lines)
    started = time.perf_counter()
    s3.put_object(Bucket=outputs["bronze_bucket"], Key="bronze/mixed/bench-local-cloud.jsonl", Body=body)
    rows = _wait_for_rows(s3, outputs["silver_bucket"], len(lines), pq)
    wall = time.perf_counter() - started
    logs = stack.state_dir / "logs"
    reports = {fn: _reports(logs / f"{outputs[f'{fn}_lambda']}.log") for fn in ("ingest", "transform")}
    return {
        "records": len(lines),
        "bytes": len(body),
        "rows": rows,
        "setup_seconds": round(setup_seconds, 1),
        "wall_seconds": round(wall, 2),
        "records_per_second": round(len(lines) / wall),
        "invocations": {fn: len(r) for fn, r in reports.items()},
        "peak_rss_mb": {fn: max((m for _, m in r), default=None) for fn, r in reports.items()},
        "max_duration_ms": {fn: max((d for d, _ in r), default=None) for fn, r in reports.items()},
    }


def _wait_for_rows(s3: Any, bucket: str, expected: int, pq: Any) -> int:
    """Poll silver and quarantine until every record is a row or an entry; each file is read once."""
    counted: dict[str, int] = {}
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key in counted:
                    continue
                data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                if key.endswith(".parquet"):
                    counted[key] = pq.read_metadata(io.BytesIO(data)).num_rows
                elif key.endswith(".jsonl"):
                    counted[key] = data.count(b"\n")
        if sum(counted.values()) >= expected:
            return sum(counted.values())
        time.sleep(0.5)
    raise TimeoutError(
        f"local cloud: {sum(counted.values())} of {expected} records in silver after {DRAIN_TIMEOUT_S} s"
    )
