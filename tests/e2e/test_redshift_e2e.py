"""Silver queried from Redshift on the local cloud: the workgroup and the external schema the real
Terraform deployed (``redshift_enabled`` in envs/local), statements through the Data API, which
the emulator runs on DuckDB. Answers are checked against pyarrow over the Parquet files read
through the S3 API.

Then the seeded bronze object is overwritten: silver retracts the old version's rows and holds the
new ones, and Redshift answers with the new rows at once, with no load step — why the Redshift
path is an external schema and not COPY loads (docs/querying.md, "Redshift").
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from elt.devkit.silver_audit import SilverReader, wait_until_drained
from scripts import redshift_query
from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import LocalStack

FIRST, AFTER_OVERWRITE = 500, 200


def upload(stack: LocalStack, key: str, count: int, seed: int) -> str:
    fake = FakeEvents(seed=seed, days_back=3, now=datetime(2021, 5, 3, 23, 59, tzinfo=UTC))
    body = "".join(json.dumps(fake.record("shipments")) + "\n" for _ in range(count)).encode()
    bronze = stack.outputs["bronze_bucket"]
    stack.client("s3").put_object(Bucket=bronze, Key=key, Body=body)
    return f"s3://{bronze}/{key}"


def silver_per_day(stack: LocalStack, uri: str, rows: int) -> dict[str, int]:
    """Rows per dt of the object's current version in silver, once it has exactly ``rows``."""
    reader = SilverReader(stack.client("s3"), stack.outputs["silver_bucket"])

    def landed() -> dict[str, int] | None:
        mine = reader.read().only(uris={uri}, record_type="shipments")
        if mine.rows != rows:
            return None
        counts: Counter[str] = Counter()
        for part in mine.parts:  # a day may have several files (one per batch)
            counts[part.dt] += part.rows
        return dict(counts)

    stack.wait_for(landed, timeout=180, what=f"{rows} rows of {uri} in silver")
    assert wait_until_drained(stack.client("sqs"), stack.outputs["queue_url"], timeout=120)
    counts = landed()
    assert counts is not None, "silver changed after the queue drained"
    return counts


def redshift_per_day(stack: LocalStack, uri: str) -> dict[str, int]:
    schema = stack.outputs["redshift_external_schema"]
    sql = f"SELECT dt, count(*) AS n FROM {schema}.shipments WHERE _source_uri = '{uri}' GROUP BY dt ORDER BY dt"
    answer = redshift_query.run(
        stack.client("redshift-data"),
        stack.outputs["redshift_workgroup_name"],
        stack.outputs["redshift_database"],
        sql,
        timeout_s=120,
    )
    assert answer.columns == ["dt", "n"]
    return {dt: n for dt, n in answer.rows}


def test_redshift_reads_what_silver_holds_now(local_stack: LocalStack) -> None:
    if not local_stack.outputs.get("redshift_workgroup_name"):
        pytest.skip("envs/local has redshift_enabled = false")
    key = f"bronze/shipments/redshift-e2e-{datetime.now(UTC):%Y%m%dT%H%M%S}/part-0.jsonl"
    uri = upload(local_stack, key, FIRST, seed=31)

    expected = silver_per_day(local_stack, uri, FIRST)
    assert redshift_per_day(local_stack, uri) == expected
    assert sum(expected.values()) == FIRST

    # An overwrite: silver now holds only the new version's rows, and so does Redshift.
    upload(local_stack, key, AFTER_OVERWRITE, seed=32)
    expected = silver_per_day(local_stack, uri, AFTER_OVERWRITE)
    assert redshift_per_day(local_stack, uri) == expected
    assert sum(expected.values()) == AFTER_OVERWRITE
