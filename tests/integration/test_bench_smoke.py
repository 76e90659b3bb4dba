"""A scaled-down `make bench`: the bench runs end to end and its JSON carries every figure.

It checks that the bench works, not the numbers (those are for the full run on a quiet machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 3000

WORKLOAD_FIGURES = {
    "records_per_second",
    "ingest_cpu_seconds_per_1m",
    "transform_cpu_seconds_per_1m",
    "transform_cpu_x_floor",
    "requests_per_1m",
    "requests_per_1m_by_operation",
    "silver_files",
    "records_per_file",
}


def test_bench_smoke_writes_every_figure(tmp_path: Path) -> None:
    scaled = ["--records", str(RECORDS), "--w2-objects", "10", "--memory-mib", "8", "--sweep-sizes", "1,2"]
    output = ["--import-repeats", "1", "--out", str(tmp_path), "--json-name", "smoke.json"]
    cmd = [sys.executable, "-m", "bench", *scaled, *output]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-4000:]
    assert "targets" in out.stdout and "AWS requests per 1M records" in out.stdout
    results = json.loads((tmp_path / "smoke.json").read_text())

    assert set(results["workloads"]) == {"W1", "W2", "W3"}
    for name, w in results["workloads"].items():
        assert set(w) >= WORKLOAD_FIGURES, f"{name} lacks {WORKLOAD_FIGURES - set(w)}"
        assert w["records"] == RECORDS and w["rows"] + w["quarantined"] == RECORDS
        assert w["records_per_second"] > 0 and w["transform_cpu_seconds_per_1m"] > 0
        assert w["silver_files"] >= 1 and w["requests_per_1m"] > 0
        ops = w["requests_per_1m_by_operation"]
        assert ops["s3:GetObject"] > 0 and ops["s3:PutObject"] > 0 and ops["sqs:SendMessageBatch"] > 0
        assert ops["dynamodb:PutItem"] > 0, "the idempotency claim is counted"
        assert results["cost"]["per_1m_records_usd"][name]["total"] > 0
    assert results["workloads"]["W2"]["objects"] == 10 and results["workloads"]["W2"]["units"] == 10
    assert results["workloads"]["W3"]["units"] == 1, "a gzip object is one unit"

    assert results["floor"]["records"] == RECORDS and results["floor"]["cpu_seconds"] > 0
    assert results["cold_import"]["ingest"]["heavy_modules"] == [], "ingest must not import pyarrow/pandas/pydantic"
    assert results["cold_import"]["transform"]["seconds"] > 0
    memory = results["memory_mode"]
    assert {c["function"] for c in memory["invocations"]} == {"ingest", "transform"}
    assert all(c["peak_rss_mb"] > 0 for c in memory["invocations"])
    assert sum(c["rows"] for c in memory["invocations"]) == memory["records"]
    assert [p["unit_mib"] for p in results["sweep"]["points"]] == [1, 2]
    sizing = results["sweep"]["sizing"]
    assert sizing["transform_memory_mb"] >= 512 and 0 < sizing["transform_timeout_s"] <= 900
    assert len(sizing["arithmetic"]) == 5
    assert {t["target"] for t in results["targets"]} >= {"AWS requests per 1M records, W2", "ingest cold import (min)"}
    assert all(t["value"] is not None for t in results["targets"]), "every target measured"
    assert results["cost"]["prices_as_of"]
