"""Silver as its readers get it, through the S3 API, on the local cloud (the real Terraform, zips,
event source mapping and ops workflow): every ``silver/**.parquet`` listed and read whole
(``elt.devkit.silver_audit``), for the rows of this test's bronze objects.

* Two ops replays (as ``make ops-start`` runs them) recompute silver in place: no row added, every
  row computed again, no duplicate record identity and no business-duplicate row.
* Overwriting a bronze key leaves only the new version's rows.
* 200 small objects land in few, large files: the event source mapping batches up to its batch
  size within its window, and one batch writes one file per partition. The records spread over
  21 days (21 partitions per batch), so a batch of 10 messages would give ~95 rows per file and
  the ≥ 150 asserted needs batches of ≥ 16 messages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from elt.devkit.silver_audit import Silver, SilverAudit, SilverReader, wait_until_drained
from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import LocalStack
from tests.e2e.test_workflows_local import workflows

RECORD_TYPE = "invoice_lines"
#: Of the local stack's batching: rows per silver file, over the files the small objects made.
MIN_ROWS_PER_FILE = 150
SMALL_OBJECTS, SMALL_RECORDS, SMALL_DAYS = 200, 200, 20


def jsonl(fake: FakeEvents, count: int) -> bytes:
    return "".join(json.dumps(fake.record(RECORD_TYPE)) + "\n" for _ in range(count)).encode()


def settle(stack: LocalStack, read: Callable[[], Silver], done: Callable[[Silver], bool], timeout: float) -> Silver:
    """Silver once ``done`` holds and the work queue has drained (or the time is up: the caller's
    assertions then say what is wrong)."""
    deadline = time.monotonic() + timeout
    silver = read()
    while time.monotonic() < deadline:
        if done(silver) and wait_until_drained(stack.client("sqs"), stack.outputs["queue_url"], timeout=30):
            return read()
        time.sleep(1)
        silver = read()
    return silver


def replay(stack: LocalStack, tmp_path: Path, prefix: str) -> None:
    started = workflows(stack, tmp_path, "start", "ops", "--src-prefix", prefix, "--window-hours", "1",
                        "--record-type", RECORD_TYPE, "--min-parquet-objects", "1", "--poll-interval-seconds", "2",
                        "--max-attempts", "90", "--wait", "--timeout", "240")  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr


def assert_clean(audit: SilverAudit, expected_rows: int, what: str) -> None:
    assert audit.duplicate_identities == 0, f"{what}: {audit}"
    assert audit.business_duplicates == 0, f"{what}: {audit}"
    assert audit.rows == expected_rows, f"{what}: {audit.rows:,} rows, expected {expected_rows:,} ({audit})"


def replays_recompute_in_place(stack: LocalStack, tmp_path: Path, prefix: str, mine: Callable[[], Silver],
                               first: SilverAudit) -> list[str]:  # fmt: skip
    measured = []
    for n in (1, 2):
        since = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
        replay(stack, tmp_path, prefix)

        def recomputed(s: Silver, since: datetime = since) -> bool:
            return s.rows == first.rows and all(at >= since for at in s.column("_ingested_at"))

        silver = settle(stack, mine, recomputed, timeout=90)
        audit = silver.audit()
        assert_clean(audit, first.rows, f"after ops replay {n}")  # 0 rows added
        stale = sum(at < since for at in silver.column("_ingested_at"))
        assert stale == 0, f"replay {n}: {stale} rows were not recomputed"
        measured.append(f"replay {n}: {audit.rows:,} rows in {audit.files} files ({audit.rows - first.rows:+})")
    return measured


def overwrite_keeps_only_the_new_version(stack: LocalStack, key: str, mine: Callable[[], Silver], rows: int) -> None:
    s3, bronze = stack.client("s3"), stack.outputs["bronze_bucket"]
    etag = s3.put_object(Bucket=bronze, Key=key, Body=jsonl(FakeEvents(seed=31, days_back=3), 300))["ETag"]
    version, uri = etag.strip('"'), f"s3://{bronze}/{key}"

    def versions(s: Silver) -> list[str]:
        return [v for u, v in zip(s.column("_source_uri"), s.column("_source_version"), strict=True) if u == uri]

    silver = settle(stack, mine, lambda s: set(versions(s)) == {version} and len(versions(s)) == 300, timeout=90)
    assert set(versions(silver)) == {version}, f"versions of {key} in silver: {set(versions(silver))}, new {version}"
    assert len(versions(silver)) == 300
    assert_clean(silver.audit(), rows, "after the overwrite")


def small_objects_land_in_large_files(stack: LocalStack, reader: SilverReader, prefix: str) -> tuple[SilverAudit, str]:
    s3, bronze = stack.client("s3"), stack.outputs["bronze_bucket"]
    spread = FakeEvents(seed=37, days_back=SMALL_DAYS)
    objects = {f"{prefix}small/obj-{i:03d}.jsonl": jsonl(spread, SMALL_RECORDS) for i in range(SMALL_OBJECTS)}
    uploaded = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=bronze, Key=key, Body=objects[key]), objects))
    uris = {f"s3://{bronze}/{key}" for key in objects}
    expected = SMALL_OBJECTS * SMALL_RECORDS
    silver = settle(stack, lambda: reader.read().only(uris=uris), lambda s: s.rows >= expected, timeout=150)
    took = time.monotonic() - uploaded
    audit = silver.audit()
    assert_clean(audit, expected, "after 200 small objects")
    partitions = len({p.dt for p in silver.parts})
    return audit, (
        f"small objects: {expected:,} rows in {audit.files} files over {partitions} partitions, "
        f"{audit.rows_per_file:.0f} rows per file (≈ {audit.files / partitions:.1f} batches), {took:.0f} s"
    )


def test_silver_holds_each_record_once_through_replays_overwrites_and_batches(
    local_stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    began = time.monotonic()
    s3, bronze = local_stack.client("s3"), local_stack.outputs["bronze_bucket"]
    prefix = f"bronze/invoices/e2e-readers-{datetime.now(UTC):%Y%m%dT%H%M%S}/"
    reader = SilverReader(s3, local_stack.outputs["silver_bucket"])

    keys = [f"{prefix}part-{i}.jsonl" for i in range(4)]
    fake = FakeEvents(seed=29, days_back=3)
    for key in keys:
        s3.put_object(Bucket=bronze, Key=key, Body=jsonl(fake, 500))
    uris = {f"s3://{bronze}/{key}" for key in keys}

    def mine() -> Silver:
        return reader.read().only(uris=uris)

    first = settle(local_stack, mine, lambda s: s.rows >= 2000, timeout=90).audit()
    assert_clean(first, 2000, "after the first ingest")
    measured = replays_recompute_in_place(local_stack, tmp_path, prefix, mine, first)
    overwrite_keeps_only_the_new_version(local_stack, keys[0], mine, 1500 + 300)
    audit, line = small_objects_land_in_large_files(local_stack, reader, prefix)
    with capsys.disabled():
        print(f"\nsilver readers ({time.monotonic() - began:.0f} s): " + "; ".join([*measured, line]))
    assert audit.rows_per_file >= MIN_ROWS_PER_FILE, (
        f"{line}: the event source mapping did not batch up to its batch size within its window"
    )
