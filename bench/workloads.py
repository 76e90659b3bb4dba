"""The bench's workloads, generated from one stream of records of the three datasets.

W1, W2 and W3 carry the same records, so their figures compare layouts, not data:

* W1 — one JSON Lines object (split by ingest into line-aligned work units);
* W2 — many small JSON Lines objects (one ingest invocation and one work unit each);
* W3 — one gzip JSON Lines object (not splittable: one unit).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from scripts.gen_fake_events import FakeEvents

SEED = 7


@dataclass(frozen=True)
class BronzeObject:
    key: str
    body: bytes
    records: int


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    objects: list[BronzeObject]

    @property
    def records(self) -> int:
        return sum(o.records for o in self.objects)

    @property
    def bytes(self) -> int:
        return sum(len(o.body) for o in self.objects)


def record_lines(count: int, *, seed: int = SEED, now: datetime | None = None) -> list[bytes]:
    """``count`` valid JSON Lines records, types and days mixed as the generator makes them."""
    gen = FakeEvents(seed=seed, now=now or datetime.now(UTC))
    return [line.encode() + b"\n" for line, _ in gen.lines(count)]


def build_workloads(
    lines: list[bytes], *, small_objects: int = 1000, names: tuple[str, ...] = ("W1", "W2", "W3")
) -> list[Workload]:
    out = []
    body = b"".join(lines)
    if "W1" in names:
        out.append(
            Workload(
                "W1",
                f"one JSONL object, {len(lines):,} records",
                [BronzeObject("bronze/mixed/w1.jsonl", body, len(lines))],
            )
        )
    if "W2" in names:
        out.append(
            Workload(
                "W2",
                f"{small_objects:,} JSONL objects x {len(lines) // small_objects:,} records",
                list(_split(lines, small_objects)),
            )
        )
    if "W3" in names:
        out.append(
            Workload(
                "W3",
                f"one gzip JSONL object, {len(lines):,} records",
                [BronzeObject("bronze/mixed/w3.jsonl.gz", gzip.compress(body, compresslevel=6, mtime=0), len(lines))],
            )
        )
    return out


def _split(lines: list[bytes], objects: int) -> Iterator[BronzeObject]:
    per_object = max(1, len(lines) // objects)
    for i in range(objects):
        part = lines[i * per_object : (i + 1) * per_object]
        if part:
            yield BronzeObject(f"bronze/mixed/w2/part-{i:05d}.jsonl", b"".join(part), len(part))


def sized_body(lines: list[bytes], size: int) -> tuple[bytes, int]:
    """A JSON Lines body of about ``size`` bytes (whole lines), repeating ``lines`` if needed."""
    parts: list[bytes] = []
    total = records = 0
    while total < size:
        for line in lines:
            parts.append(line)
            total += len(line)
            records += 1
            if total >= size:
                break
    return b"".join(parts), records
