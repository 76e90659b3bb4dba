"""Work-unit size sweep and the Lambda memory/timeout arithmetic that follows from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.isolated import IsolatedPipeline
from bench.prices import LAMBDA_MB_PER_VCPU
from bench.workloads import sized_body
from elt.config import IngestSettings, TransformSettings

MiB = 1024 * 1024
#: Memory the transform may use per invocation (the issue's target), and the multiple of the
#: measured peak the memory setting must leave for skew in data.
RSS_BUDGET_MB = 512
MEMORY_HEADROOM = 1.5
#: CPU-seconds (at one vCPU) one unit may take: a failed unit is cheap to redo, and one large
#: object still fans out over several concurrent invocations.
UNIT_SECONDS_BUDGET = 5.0
#: Ingest gets at least this much memory: its cold start is CPU-bound imports.
INGEST_MIN_MEMORY_MB = 256
#: Units of the default size one invocation takes (its byte budget over the unit size): 10.
UNITS_PER_INVOCATION = TransformSettings().batch_max_bytes // IngestSettings().work_unit_bytes
#: The timeout must cover an invocation's byte budget of the largest units, twice over.
TIMEOUT_SAFETY = 2.0
LAMBDA_MAX_TIMEOUT_S = 900


@dataclass(frozen=True)
class SweepPoint:
    unit_mib: int
    records: int
    cpu_seconds: float
    wall_seconds: float
    peak_rss_mb: float
    files: int

    @property
    def records_per_file(self) -> float:
        return self.records / max(self.files, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit_mib": self.unit_mib,
            "records": self.records,
            "cpu_seconds": round(self.cpu_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "files": self.files,
            "records_per_file": round(self.records_per_file),
        }


def run_sweep(lines: list[bytes], sizes_mib: list[int], progress: Any = None) -> list[SweepPoint]:
    """One unit of each size through the transform, each in a fresh process."""
    points = []
    with IsolatedPipeline.running() as pipeline:
        for size in sizes_mib:
            body, records = sized_body(lines, size * MiB)
            event = pipeline.put(f"bronze/sweep/unit-{size:04d}mib.jsonl", body)
            # One unit per object: the ingest unit size is set above the object's size.
            calls = pipeline.drain(event, ingest_env={"WORK_UNIT_BYTES": str(len(body) + 1)})
            transform = [c for c in calls if c.function == "transform"]
            assert len(transform) == 1 and len(transform[0].batches) == 1, "one batch expected"
            call = transform[0]
            points.append(
                SweepPoint(
                    size, records, call.cpu_seconds, call.wall_seconds, call.peak_rss_mb, call.batches[0]["files"]
                )
            )
            if progress:
                progress(size)
    return points


@dataclass(frozen=True)
class Sizing:
    unit_mib: int
    transform_memory_mb: int
    transform_timeout_s: int
    ingest_memory_mb: int
    ingest_timeout_s: int
    arithmetic: list[str]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


def choose_sizing(
    points: list[SweepPoint],
    *,
    units_per_invocation: int,
    ingest_peak_rss_mb: float,
    ingest_seconds_per_gib: float,
    max_object_gib: float = 16,
) -> Sizing:
    """The largest unit within the memory and time budgets, and the settings it implies.

    Bigger units mean bigger files and fewer requests; they cost memory and time per unit.
    Transform memory: at least one full vCPU (1,769 MB) — below it a CPU-bound function runs
    proportionally longer for the same GB-seconds, so less memory saves nothing and adds
    latency — and at least peak x headroom. Timeout: as many such units as an invocation takes
    (``BATCH_MAX_BYTES`` / unit size, however large the ESM batch) at that CPU share, x safety,
    rounded up to 30 s.
    """
    fitting = [p for p in points if p.peak_rss_mb <= RSS_BUDGET_MB and p.cpu_seconds <= UNIT_SECONDS_BUDGET]
    chosen = max(fitting, key=lambda p: p.unit_mib) if fitting else min(points, key=lambda p: p.unit_mib)
    memory = max(_round_up(chosen.peak_rss_mb * MEMORY_HEADROOM, 64), LAMBDA_MB_PER_VCPU)
    cpu_share = min(1.0, memory / LAMBDA_MB_PER_VCPU)
    unit_seconds = chosen.cpu_seconds / cpu_share
    timeout = min(_round_up(unit_seconds * units_per_invocation * TIMEOUT_SAFETY, 30), LAMBDA_MAX_TIMEOUT_S)
    ingest_memory = max(_round_up(ingest_peak_rss_mb * MEMORY_HEADROOM, 64), INGEST_MIN_MEMORY_MB)
    ingest_share = min(1.0, ingest_memory / LAMBDA_MB_PER_VCPU)
    ingest_seconds = ingest_seconds_per_gib * max_object_gib / ingest_share
    ingest_timeout = min(_round_up(ingest_seconds * TIMEOUT_SAFETY, 30), LAMBDA_MAX_TIMEOUT_S)
    arithmetic = [
        f"work unit: largest swept size with transform peak RSS <= {RSS_BUDGET_MB} MB and <= "
        f"{UNIT_SECONDS_BUDGET:g} CPU-s per unit -> {chosen.unit_mib} MiB (peak {chosen.peak_rss_mb:.0f} MB, "
        f"{chosen.cpu_seconds:.2f} CPU-s, {chosen.records_per_file:,.0f} records/file)",
        f"transform memory: max({chosen.peak_rss_mb:.0f} MB x {MEMORY_HEADROOM} headroom, one vCPU = "
        f"{LAMBDA_MB_PER_VCPU} MB) -> {memory} MB ({cpu_share:.2f} vCPU)",
        f"transform timeout: {chosen.cpu_seconds:.2f} CPU-s / {cpu_share:.2f} vCPU = {unit_seconds:.1f} s per unit "
        f"x {units_per_invocation} units per invocation (BATCH_MAX_BYTES) x {TIMEOUT_SAFETY:g} safety -> {timeout} s",
        f"ingest memory: max(peak {ingest_peak_rss_mb:.0f} MB x {MEMORY_HEADROOM}, {INGEST_MIN_MEMORY_MB} MB for "
        f"a CPU-bound cold start) -> {ingest_memory} MB ({ingest_share:.2f} vCPU)",
        f"ingest timeout: planning reads {ingest_seconds_per_gib:.2f} CPU-s per GiB; the largest splittable object "
        f"(MAX_OBJECT_BYTES {max_object_gib:g} GiB) at {ingest_share:.2f} vCPU = {ingest_seconds:.0f} s "
        f"x {TIMEOUT_SAFETY:g} -> {ingest_timeout} s",
    ]
    return Sizing(chosen.unit_mib, memory, timeout, ingest_memory, ingest_timeout, arithmetic)
