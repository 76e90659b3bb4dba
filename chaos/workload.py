"""What one chaos run uploads, and what the pipeline must make of it (the expected ledger).

A run's records are spread over several bronze objects so that every reading path is
exercised: JSON Lines split into many line-aligned units, a gzip object and a JSON array
(one unit each), keys that need URL-encoding in the S3 notification (spaces, ``+``, unicode),
one object that is overwritten with new content (a new etag) while its units are in flight, and
one that is overwritten while a replay of it is in flight.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from scripts.gen_fake_events import FakeEvents

#: Event times are generated relative to this instant, so a seed always yields the same bytes.
GENERATOR_NOW = datetime(2026, 1, 15, tzinfo=UTC)
INVALID_RATE = 0.02
JSONL_OBJECTS = 6


@dataclass(frozen=True)
class SourceObject:
    """One object version to upload: its bytes and, per line, whether the line is valid."""

    key: str
    body: bytes
    lines: dict[int, bool]  # line number (1-based; element position in a JSON array) -> valid

    @property
    def valid(self) -> int:
        return sum(self.lines.values())


@dataclass(frozen=True)
class Workload:
    objects: list[SourceObject]
    #: The same key with new content, uploaded while ``objects``' units are in flight.
    overwrite: SourceObject
    #: New content for another key of ``objects``, uploaded while a replay of that key is in flight.
    replay_overwrite: SourceObject
    work_unit_bytes: int

    @property
    def records(self) -> int:
        return sum(len(o.lines) for o in [*self.objects, self.overwrite, self.replay_overwrite])


def _jsonl(gen: FakeEvents, count: int, invalid_rate: float) -> tuple[bytes, dict[int, bool]]:
    pairs = list(gen.lines(count, invalid_rate=invalid_rate))
    body = "".join(line + "\n" for line, _ in pairs).encode()
    return body, {number: ok for number, (_, ok) in enumerate(pairs, start=1)}


def build_workload(records: int, seed: int, units: int = 60) -> Workload:
    """Deterministic for its arguments; the JSON Lines objects are cut into about ``units`` units."""
    rng = random.Random(seed)
    gen = FakeEvents(seed=seed, days_back=2, now=GENERATOR_NOW)
    gz_count = max(records // 20, 5)
    array_count = max(records // 50, 5)
    overwrite_count = max(records // 30, 5)
    jsonl_total = max(records - gz_count - array_count - 4 * overwrite_count, JSONL_OBJECTS)

    objects: list[SourceObject] = []
    # Uneven object sizes: cut points drawn at random.
    cuts = sorted(rng.sample(range(1, jsonl_total), JSONL_OBJECTS - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, jsonl_total], strict=True)]
    names = ["part 00.jsonl", "part+01.jsonl", "teilstück-02.jsonl", "part-03.jsonl", "part-04.jsonl", "part-05.jsonl"]
    for name, count in zip(names, sizes, strict=True):
        body, lines = _jsonl(gen, count, INVALID_RATE)
        objects.append(SourceObject(f"bronze/mixed/{name}", body, lines))

    body, lines = _jsonl(gen, gz_count, INVALID_RATE)
    objects.append(SourceObject("bronze/mixed/compressed.jsonl.gz", gzip.compress(body, mtime=0), lines))

    array = [gen.record(rng.choice(("shipments", "tracking_events", "invoice_lines"))) for _ in range(array_count)]
    objects.append(
        SourceObject(
            "bronze/mixed/array.json", json.dumps(array).encode(), dict.fromkeys(range(1, array_count + 1), True)
        )
    )

    key = "bronze/shipments/overwritten.jsonl"
    first, first_lines = _jsonl(gen, overwrite_count, INVALID_RATE)
    second, second_lines = _jsonl(gen, overwrite_count, INVALID_RATE)
    objects.append(SourceObject(key, first, first_lines))
    overwrite = SourceObject(key, second, second_lines)

    key = "bronze/shipments/replayed then overwritten.jsonl"
    first, first_lines = _jsonl(gen, overwrite_count, INVALID_RATE)
    second, second_lines = _jsonl(gen, overwrite_count, INVALID_RATE)
    objects.append(SourceObject(key, first, first_lines))
    replay_overwrite = SourceObject(key, second, second_lines)

    # Several line-aligned units per object, so units of one object run out of order.
    splittable = sum(len(o.body) for o in objects if o.key.endswith(".jsonl"))
    work_unit_bytes = max(1024, splittable // units)
    return Workload(objects, overwrite, replay_overwrite, work_unit_bytes)
