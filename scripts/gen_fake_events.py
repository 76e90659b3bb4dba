#!/usr/bin/env python3
"""Generate realistic fake bronze events (JSON Lines or a JSON array), optionally with bad records.

Examples:
  scripts/gen_fake_events.py --count 1000 --out events.jsonl
  scripts/gen_fake_events.py --type shipments --count 500 --gzip --out shipments.jsonl.gz
  scripts/gen_fake_events.py --count 10000 --invalid-rate 0.02 --seed 7 --out -
  scripts/gen_fake_events.py --count 1000000 --gzip --upload s3://my-bronze/bronze/seed/
  ENV=dev scripts/gen_fake_events.py --type orders --count 500 --upload s3://my-bronze/bronze/orders/

Records are streamed one at a time, so any --count runs in constant memory (an upload streams to
a temporary file first, then uploads it in parts). Invalid records are the realistic kinds the
pipeline must quarantine: broken JSON, a missing key field, a number sent as a string, an unknown
record_type and out-of-range values.

--type takes any registered dataset (elt/contracts/registry.py): shipments,
tracking_events and invoice_lines have hand-tuned values; any other dataset's records are derived
from its contract (key, ranges, allowed values), so a scaffolded dataset can be seeded at once.

--upload s3://bucket/prefix puts the output under the prefix (named after --out, or
events-<time>.jsonl[.gz]; a URI ending in .jsonl/.json[.gz] is the exact key) through the endpoint
of the selected ENV: the local cloud for ENV=local (default), the AWS credential chain otherwise.
Ingest only picks up keys under bronze/.

Exit codes: 0 written (and uploaded), 1 the write or upload failed, 2 a usage error.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from faker import Faker

from elt.contracts import CONTRACTS, RecordContract
from elt.contracts.spec import FieldSpec, field_specs
from scripts.operator_cli import (
    add_progress_flag,
    parse_s3_uri,
    progress_bar,
    run_guarded,
)
from scripts.stack import client

#: The datasets with hand-tuned values; every other registered dataset is derived from its contract.
RECORD_TYPES = ("shipments", "tracking_events", "invoice_lines")
UPLOAD_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz")
CARRIERS = ("DHL", "UPS", "FedEx", "DPD", "GLS", "USPS", "PostNL")
STATUSES = ("CREATED", "PICKED_UP", "IN_TRANSIT", "AT_HUB", "OUT_FOR_DELIVERY", "DELIVERED", "EXCEPTION", "RETURNED")
INVALID_KINDS = ("bad_json", "missing_key", "number_as_string", "unknown_type", "out_of_range")


class FakeEvents:
    """Deterministic (given a seed) generator of valid and invalid records."""

    def __init__(
        self,
        seed: int | None = None,
        days_back: int = 7,
        now: datetime | None = None,
        contracts: Mapping[str, type[RecordContract]] = CONTRACTS,
    ) -> None:
        self.contracts = contracts
        self._sequences: dict[str, int] = {}
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
        if record_type in self.contracts:
            return self._from_contract(record_type)
        known = sorted({*RECORD_TYPES, *self.contracts})
        raise ValueError(f"unknown record type {record_type!r}; choose from {', '.join(known)}")

    # --- datasets without hand-tuned values: derived from the contract ---------------------------

    def _from_contract(self, record_type: str) -> dict[str, Any]:
        model = self.contracts[record_type]
        key_field = model.dataset.key_field
        record: dict[str, Any] = {}
        for spec in field_specs(model):
            if spec.name == "record_type":
                record[spec.name] = record_type
            elif spec.name == "event_time":
                record[spec.name] = self._event_time()
            elif spec.name == key_field:
                # Unique per generator, like shipment ids: key-based quality checks pass.
                seq = self._sequences.get(record_type, self.rng.randrange(10**9)) + 1
                self._sequences[record_type] = seq
                record[spec.name] = f"{record_type[:3].upper()}-{seq:010d}"
            else:
                record[spec.name] = self._value(spec)
        return record

    def _value(self, spec: FieldSpec) -> Any:
        if spec.allowed is not None:
            return self.rng.choice(spec.allowed)
        if spec.kind == "bool":
            return self.rng.random() < 0.5
        if spec.kind == "timestamp":
            return self._event_time()
        if spec.kind in ("int", "float"):
            low = spec.ge if spec.ge is not None else spec.gt if spec.gt is not None else 0
            high = spec.le if spec.le is not None else spec.lt if spec.lt is not None else low + 1000
            high = min(high, low + 1000)  # realistic magnitudes, not the contract's outer limits
            if spec.kind == "int":
                return self.rng.randint(int(low) + (spec.gt is not None), int(high) - (spec.lt is not None))
            value = round(self.rng.uniform(low, high), 2)
            return min(
                max(value, low + 0.01 if spec.gt is not None else low), high - 0.01 if spec.lt is not None else high
            )
        if "city" in spec.name:
            return self.rng.choice(self._cities)
        return self.fake.word() + ("" if spec.min_length is None else "x" * spec.min_length)

    def _out_of_range(self, record_type: str, rec: dict[str, Any]) -> bool:
        """Break one value rule of a derived dataset; False when its contract has none."""
        for spec in field_specs(self.contracts[record_type]):
            if spec.name == "record_type":
                continue
            if spec.ge is not None or spec.gt is not None:
                rec[spec.name] = (spec.ge if spec.ge is not None else spec.gt) - 1  # type: ignore[operator]
            elif spec.le is not None or spec.lt is not None:
                rec[spec.name] = (spec.le if spec.le is not None else spec.lt) + 1  # type: ignore[operator]
            elif spec.allowed is not None and spec.kind == "string":
                rec[spec.name] = "NOT_" + "_".join(map(str, spec.allowed))[:40]
            else:
                continue
            return True
        return False

    def invalid_line(self, record_type: str) -> str:
        kind = self.rng.choice(INVALID_KINDS)
        rec = self.record(record_type)
        if record_type not in RECORD_TYPES:
            return self._invalid_derived(record_type, kind, rec)
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

    def _invalid_derived(self, record_type: str, kind: str, rec: dict[str, Any]) -> str:
        key_field = self.contracts[record_type].dataset.key_field
        specs = field_specs(self.contracts[record_type])
        numbers = [s.name for s in specs if s.kind in ("int", "float")]
        if kind == "bad_json":
            return json.dumps(rec)[:-7]
        if kind == "number_as_string" and numbers:
            rec[numbers[0]] = str(rec[numbers[0]])
        elif kind == "number_as_string":
            rec[key_field] = self.rng.randrange(10**6)
        elif kind == "unknown_type":
            rec["record_type"] = "returns" if "returns" not in self.contracts else f"{record_type}_unregistered"
        elif kind == "missing_key" or not self._out_of_range(record_type, rec):
            rec.pop(key_field)
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


def upload_key(prefix: str, out: str | None, fmt: str, gzipped: bool, now: datetime | None = None) -> str:
    """The object key of an upload: the prefix itself when it names a file, else prefix/<name>."""
    if prefix.endswith(UPLOAD_SUFFIXES):
        return prefix
    suffix = f".{fmt}" + (".gz" if gzipped else "")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    name = os.path.basename(out) if out else f"events-{stamp}-{uuid.uuid4().hex[:8]}{suffix}"
    return f"{prefix.rstrip('/')}/{name}" if prefix else name


def upload(s3: Any, path: str, bucket: str, key: str, progress: str) -> None:
    """Upload a file (multipart above 8 MiB: constant memory for any size) with a byte progress bar."""
    size = os.path.getsize(path)
    with progress_bar(progress, size, "B", f"upload s3://{bucket}/{key}", threshold=64 * 1024 * 1024) as bar:
        s3.upload_file(path, bucket, key, Callback=bar.update)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--type",
        choices=sorted(CONTRACTS),
        action="append",
        help="record type, any registered dataset (repeatable; default: every registered dataset)",
    )
    parser.add_argument("--count", type=int, default=300, help="records to generate (default 300)")
    parser.add_argument("--format", choices=("jsonl", "json"), default="jsonl", help="JSON Lines or one JSON array")
    parser.add_argument("--gzip", action="store_true", help="gzip the output")
    parser.add_argument("--out", help="output file, or - for stdout (default: stdout; with --upload a temp file)")
    parser.add_argument("--seed", type=int, help="seed for reproducible output")
    parser.add_argument("--days-back", type=int, default=7, help="spread event_time over this many days (default 7)")
    parser.add_argument("--invalid-rate", type=float, default=0.0, help="share of invalid records, 0..1 (default 0)")
    parser.add_argument("--upload", metavar="S3_URI", help="upload the output to s3://bucket/prefix (ENV's endpoint)")
    add_progress_flag(parser)
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    if args.days_back < 0:
        parser.error("--days-back must be >= 0")
    if not 0 <= args.invalid_rate <= 1:
        parser.error("--invalid-rate must be between 0 and 1")
    if args.format == "json" and args.invalid_rate:
        parser.error("--invalid-rate applies to JSON Lines; a JSON array with a broken element is one bad document")
    if args.upload and args.out == "-":
        parser.error("--upload cannot be combined with --out - (the upload needs a file; give --out FILE or none)")
    return run_guarded(lambda: _generate(args))


def _generate(args: argparse.Namespace) -> int:
    target = parse_s3_uri(args.upload, "--upload") if args.upload else None
    gen = FakeEvents(seed=args.seed, days_back=args.days_back)
    lines = gen.lines(args.count, tuple(args.type or CONTRACTS), args.invalid_rate)
    out = args.out or "-"
    temp_path = None
    if target and not args.out:
        handle, temp_path = tempfile.mkstemp(prefix="fake-events-", suffix=".gz" if args.gzip else "")
        os.close(handle)
        out = temp_path
    try:
        binary: IO[bytes] = sys.stdout.buffer if out == "-" else open(out, "wb")  # noqa: SIM115
        try:
            raw: IO[bytes] = gzip.GzipFile(fileobj=binary, mode="wb", mtime=0) if args.gzip else binary  # type: ignore[assignment]
            with (
                progress_bar(args.progress, args.count, "rec", "generate", threshold=100_000) as bar,
                io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as text,
            ):
                valid, invalid = write_events(text, _counted(lines, bar.update), args.format)
        finally:
            if binary is not sys.stdout.buffer:
                binary.close()
        written_to = args.out or ("a temporary file" if target else "-")
        print(f"wrote {valid} valid and {invalid} invalid records to {written_to}", file=sys.stderr)
        if target:
            bucket, prefix = target
            key = upload_key(prefix, args.out, args.format, args.gzip)
            if not key.startswith("bronze/"):
                print(f"note: s3://{bucket}/{key} is outside bronze/, which ingest does not pick up", file=sys.stderr)
            upload(client("s3"), out, bucket, key, args.progress)
            print(f"uploaded s3://{bucket}/{key}", file=sys.stderr)
            print(f"s3://{bucket}/{key}")
    finally:
        if temp_path:
            os.unlink(temp_path)
    return 0


def _counted(lines: Iterator[tuple[str, bool]], tick: Any) -> Iterator[tuple[str, bool]]:
    """Pass lines through, ticking the progress bar every 1000 (a tick per record costs time)."""
    pending = 0
    for item in lines:
        yield item
        pending += 1
        if pending == 1000:
            tick(pending)
            pending = 0
    if pending:
        tick(pending)


if __name__ == "__main__":
    sys.exit(main())
