"""Reference points measured in the same run: the pyarrow floor and the handlers' cold import."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Floor:
    cpu_seconds: float
    wall_seconds: float
    rows: int


def pyarrow_floor(body: bytes) -> Floor:
    """pyarrow's native NDJSON reader + snappy Parquet writer on the same bytes: the least CPU
    any design that reads JSON and writes Parquet can spend (no validation, one file)."""
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        cpu, wall = time.process_time(), time.perf_counter()
        table = pj.read_json(pa.BufferReader(body))
        pq.write_table(table, os.path.join(tmp, "floor.parquet"), compression="snappy")
        return Floor(time.process_time() - cpu, time.perf_counter() - wall, table.num_rows)


_IMPORT_PROBE = """
import importlib.util, json, sys, time
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", {path!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
elapsed = time.perf_counter() - started
heavy = sorted(m for m in ("pyarrow", "pandas", "pydantic") if m in sys.modules)
print(json.dumps({{"seconds": elapsed, "heavy_modules": heavy}}))
"""


def cold_import(function: str, env: dict[str, str], repeats: int = 5) -> dict[str, object]:
    """Seconds to import ``lambdas/<function>/app.py`` in a fresh interpreter (module-level
    clients and settings included), median of ``repeats``; bytecode is compiled by a first,
    discarded run, as the build precompiles it into the zip."""
    code = _IMPORT_PROBE.format(path=str(ROOT / "lambdas" / function / "app.py"))
    runs = []
    for _ in range(repeats + 1):
        out = subprocess.run(
            [sys.executable, "-I", "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
        )
        if out.returncode != 0:
            raise RuntimeError(f"importing lambdas/{function}/app.py failed:\n{out.stderr[-2000:]}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    timed = runs[1:]
    return {
        "seconds": statistics.median(r["seconds"] for r in timed),
        "min_seconds": min(r["seconds"] for r in timed),
        "heavy_modules": timed[0]["heavy_modules"],
    }
