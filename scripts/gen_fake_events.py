#!/usr/bin/env python3
"""Generate realistic fake bronze events (JSON Lines or a JSON array), optionally with bad records.

Examples:
  scripts/gen_fake_events.py --count 1000 --out events.jsonl
  scripts/gen_fake_events.py --type shipments --count 500 --gzip --out shipments.jsonl.gz
  scripts/gen_fake_events.py --count 10000 --invalid-rate 0.02 --seed 7 --out -

Records are streamed one at a time, so any --count runs in constant memory. Invalid records are
the realistic kinds the pipeline must quarantine: broken JSON, a missing key field, a number
sent as a string, an unknown record_type and out-of-range values.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from faker import Faker

RECORD_TYPES = ("shipments", "tracking_events", "invoice_lines")
CARRIERS = ("DHL", "UPS", "FedEx", "DPD", "GLS", "USPS", "PostNL")
STATUSES = ("CREATED", "PICKED_UP", "IN_TRANSIT", "AT_HUB", "OUT_FOR_DELIVERY", "DELIVERED", "EXCEPTION", "RETURNED")
INVALID_KINDS = ("bad_json", "missing_key", "number_as_string", "unknown_type", "out_of_range")


class FakeEvents:
    """Deterministic (given a seed) generator of valid and invalid records."""

    def __init__(self, seed: int | None = None, days_back: int = 7, now: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker()
        self.fake.seed_instance(seed)
        self.now = now or datetime.now(UTC)
        self.days_back = days_back
        self._cities = [self.fake.city() for _ in range(200)]
        self._skus = [f"SKU-{self.rng.randrange(10**5):05d}" for _ in range(500)]
        self._shipment_seq = self.rng.randrange(10**10 - 10**9)

    def _event_time(self) -> str:
        moment = self.now - timedelta(seconds=self.rng.uniform(0, self.days_back * 86400))
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    def record(self, record_type: str) -> dict[str, Any]:
        base = {"record_type": record_type, "event_time": self._event_time()}
        if record_type == "shipments":
            # A shipment is booked once: ids are unique per generator (the quality gate checks it).
            self._shipment_seq += 1
            shipment_id = f"SHP-{self._shipment_seq:010d}"
            return base | {
                "shipment_id": shipment_id,
                "origin": self.rng.choice(self._cities),
                "destination": self.rng.choice(self._cities),
                "carrier": self.rng.choice(CARRIERS),
                "weight_kg": round(self.rng.uniform(0.1, 950.0), 2),
            }
        shipment_id = f"SHP-{self.rng.randrange(10**10):010d}"
        if record_type == "tracking_events":
            return base | {
                "shipment_id": shipment_id,
                "status": self.rng.choice(STATUSES),
                "city": self.rng.choice(self._cities),
            }
        if record_type == "invoice_lines":
            quantity = self.rng.randint(1, 50)
            unit_price = round(self.rng.uniform(0.5, 500.0), 2)
            return base | {
                "invoice_id": f"INV-{self.rng.randrange(10**7):07d}",
                "sku": self.rng.choice(self._skus),
                "quantity": quantity,
                "unit_price": unit_price,
                "line_total": round(quantity * unit_price, 2),
            }
        raise ValueError(f"unknown record type {record_type!r}; choose from {', '.join(RECORD_TYPES)}")

    def invalid_line(self, record_type: str) -> str:
        kind = self.rng.choice(INVALID_KINDS)
        rec = self.record(record_type)
        if kind == "bad_json":
            return json.dumps(rec)[:-7]
        if kind == "missing_key":
            rec.pop("invoice_id" if record_type == "invoice_lines" else "shipment_id")
        elif kind == "number_as_string":
            field = {"shipments": "weight_kg", "invoice_lines": "quantity"}.get(record_type)
            if field:
                rec[field] = str(rec[field])
            else:
                rec["shipment_id"] = self.rng.randrange(10**6)
        elif kind == "unknown_type":
            rec["record_type"] = "returns"
        else:
            field = {"shipments": "weight_kg", "invoice_lines": "quantity", "tracking_events": "status"}[record_type]
            rec[field] = "TELEPORTED" if field == "status" else -abs(rec[field]) - 1
        return json.dumps(rec)

    def lines(
        self, count: int, types: tuple[str, ...] = RECORD_TYPES, invalid_rate: float = 0.0
    ) -> Iterator[tuple[str, bool]]:
        """Yield ``(json_line, is_valid)`` pairs."""
        for _ in range(count):
            record_type = self.rng.choice(types)
            if invalid_rate and self.rng.random() < invalid_rate:
                yield self.invalid_line(record_type), False
            else:
                yield json.dumps(self.record(record_type), separators=(",", ":")), True


def write_events(out: IO[str], lines: Iterator[tuple[str, bool]], fmt: str) -> tuple[int, int]:
    """Write lines as JSON Lines or a JSON array; returns (valid, invalid) counts."""
    valid = invalid = 0
    if fmt == "json":
        out.write("[\n")
    for i, (line, ok) in enumerate(lines):
        if fmt == "json":
            out.write((",\n" if i else "") + line)
        else:
            out.write(line + "\n")
        valid, invalid = valid + ok, invalid + (not ok)
    if fmt == "json":
        out.write("\n]\n")
    return valid, invalid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--type", choices=RECORD_TYPES, action="append", help="record type (repeatable; default: all)")
    parser.add_argument("--count", type=int, default=300, help="records to generate (default 300)")
    parser.add_argument("--format", choices=("jsonl", "json"), default="jsonl", help="JSON Lines or one JSON array")
    parser.add_argument("--gzip", action="store_true", help="gzip the output")
    parser.add_argument("--out", default="-", help="output file, or - for stdout (default)")
    parser.add_argument("--seed", type=int, help="seed for reproducible output")
    parser.add_argument("--days-back", type=int, default=7, help="spread event_time over this many days (default 7)")
    parser.add_argument("--invalid-rate", type=float, default=0.0, help="share of invalid records, 0..1 (default 0)")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    if not 0 <= args.invalid_rate <= 1:
        parser.error("--invalid-rate must be between 0 and 1")
    if args.format == "json" and args.invalid_rate:
        parser.error("--invalid-rate applies to JSON Lines; a JSON array with a broken element is one bad document")
    gen = FakeEvents(seed=args.seed, days_back=args.days_back)
    lines = gen.lines(args.count, tuple(args.type or RECORD_TYPES), args.invalid_rate)
    binary: IO[bytes] = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")  # noqa: SIM115
    try:
        raw: IO[bytes] = gzip.GzipFile(fileobj=binary, mode="wb", mtime=0) if args.gzip else binary  # type: ignore[assignment]
        with io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as text:
            valid, invalid = write_events(text, lines, args.format)
    finally:
        if binary is not sys.stdout.buffer:
            binary.close()
    print(f"wrote {valid} valid and {invalid} invalid records to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
