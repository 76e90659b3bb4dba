"""Silver queried through Athena on the local cloud (the workgroup, saved queries and catalog the
real Terraform deployed; the emulator's Athena runs the SQL on DuckDB), through plain boto3 and
through awswrangler, every answer checked against what pyarrow computes from the Parquet files
read through the S3 API.

The test seeds its own records on days no other test writes (2021-03-01..03), waits until they are
in silver and the queue has drained, and then reads all of silver once: whole-table queries (the
saved ones) are compared with the whole of silver, the others with this test's days.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from elt.devkit.silver_audit import Silver, SilverReader, wait_until_drained
from scripts.gen_fake_events import FakeEvents
from tests.e2e.conftest import LocalStack

DAYS = ("2021-03-01", "2021-03-02", "2021-03-03")
ON_MY_DAYS = f"dt BETWEEN '{DAYS[0]}' AND '{DAYS[-1]}'"
#: Shipments seeded over DAYS: more than one GetQueryResults page (1,000 rows) for the full scan.
SHIPMENTS, OTHER_RECORDS = 1_600, 300
FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


@dataclass(frozen=True)
class Seeded:
    silver: Silver  # all of silver once this test's rows landed and the queue drained
    database: str
    workgroup: str

    def table(self, record_type: str, *, only_my_days: bool = False) -> pa.Table:
        """The record type's rows, with the partition column ``dt`` as Athena adds it."""
        parts = [p for p in self.silver.parts if p.record_type == record_type and (not only_my_days or p.dt in DAYS)]
        tables = [p.table.append_column("dt", pa.array([p.dt] * p.rows, pa.string())) for p in parts]
        return pa.concat_tables(tables, promote_options="default")


def seed_records(stack: LocalStack) -> set[str]:
    """Upload this test's objects; returns their s3:// URIs."""
    s3, bronze = stack.client("s3"), stack.outputs["bronze_bucket"]
    fake = FakeEvents(seed=16, days_back=3, now=datetime(2021, 3, 3, 23, 59, tzinfo=UTC))
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    uris = set()
    for record_type, count in (("shipments", SHIPMENTS), ("tracking_events", OTHER_RECORDS),
                               ("invoice_lines", OTHER_RECORDS)):  # fmt: skip
        key = f"bronze/{record_type}/athena-e2e-{run}/part-0.jsonl"
        body = "".join(json.dumps(fake.record(record_type)) + "\n" for _ in range(count)).encode()
        s3.put_object(Bucket=bronze, Key=key, Body=body)
        uris.add(f"s3://{bronze}/{key}")
    return uris


@pytest.fixture(scope="module")
def seeded(local_stack: LocalStack) -> Seeded:
    uris = seed_records(local_stack)
    reader = SilverReader(local_stack.client("s3"), local_stack.outputs["silver_bucket"])
    expected = SHIPMENTS + 2 * OTHER_RECORDS

    def landed() -> Silver | None:
        mine = reader.read().only(uris=uris)
        return mine if mine.rows >= expected else None

    local_stack.wait_for(landed, timeout=180, what=f"the {expected:,} seeded rows in silver")
    assert wait_until_drained(local_stack.client("sqs"), local_stack.outputs["queue_url"], timeout=120)
    silver = reader.read()
    assert silver.only(uris=uris).rows == expected
    return Seeded(silver, local_stack.outputs["glue_database_name"], local_stack.outputs["athena_workgroup"])


# --------------------------------------------------------------------------- boto3


def execute(stack: LocalStack, seeded: Seeded, sql: str, timeout: float = 120) -> dict[str, Any]:
    """StartQueryExecution and poll GetQueryExecution until the query is final; the execution."""
    athena = stack.client("athena")
    query_id = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": seeded.database}, WorkGroup=seeded.workgroup
    )["QueryExecutionId"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution: dict[str, Any] = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in FINAL:
            return execution
        time.sleep(0.2)
    raise AssertionError(f"query {query_id} not final after {timeout:.0f}s: {sql}")


def rows_of(stack: LocalStack, query_id: str, page_size: int = 1000) -> tuple[list[str], list[dict[str, str | None]]]:
    """Every result row through the GetQueryResults paginator: (column names, rows as dicts)."""
    pages = (
        stack.client("athena")
        .get_paginator("get_query_results")
        .paginate(QueryExecutionId=query_id, PaginationConfig={"PageSize": page_size})
    )
    names: list[str] = []
    values: list[list[str | None]] = []
    for n, page in enumerate(pages):
        if n == 0:
            names = [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
        values.extend([d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"])
    assert values and values[0] == names, "the first row of a SELECT's results is its header"
    return names, [dict(zip(names, row, strict=True)) for row in values[1:]]


def query(stack: LocalStack, seeded: Seeded, sql: str) -> list[dict[str, str | None]]:
    execution = execute(stack, seeded, sql)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    return rows_of(stack, execution["QueryExecutionId"])[1]


def saved_sql(stack: LocalStack, seeded: Seeded, name: str) -> str:
    athena = stack.client("athena")
    ids = athena.list_named_queries(WorkGroup=seeded.workgroup)["NamedQueryIds"]
    queries = athena.batch_get_named_query(NamedQueryIds=ids)["NamedQueries"]
    return next(q["QueryString"] for q in queries if q["Name"] == name)


def test_saved_quick_queries_answer_what_the_parquet_files_hold(local_stack: LocalStack, seeded: Seeded) -> None:
    shipments = seeded.table("shipments")

    latest = query(local_stack, seeded, saved_sql(local_stack, seeded, "latest-shipments"))
    order = shipments.sort_by([("event_time", "descending"), ("shipment_id", "ascending")])
    assert [r["shipment_id"] for r in latest] == order["shipment_id"].to_pylist()[:10]

    per_day = query(local_stack, seeded, saved_sql(local_stack, seeded, "silver-rows-per-day"))
    expected = Counter((p.record_type, p.dt) for p in seeded.silver.parts for _ in range(p.rows))
    assert {(r["dataset"], r["dt"]): int(r["row_count"] or 0) for r in per_day} == dict(expected)

    weights = query(local_stack, seeded, saved_sql(local_stack, seeded, "shipment-weight-per-day"))
    assert [r["dt"] for r in weights] == sorted(set(shipments["dt"].to_pylist()))
    for row in weights:
        day = shipments.filter(pc.equal(shipments["dt"], row["dt"]))
        assert int(row["shipments"] or 0) == day.num_rows
        assert float(row["min_weight_kg"] or "nan") == pytest.approx(pc.min(day["weight_kg"]).as_py())
        assert float(row["max_weight_kg"] or "nan") == pytest.approx(pc.max(day["weight_kg"]).as_py())
        distinct = pc.count_distinct(day["shipment_id"]).as_py()
        assert abs(int(row["distinct_shipments"] or 0) - distinct) <= max(2, 0.05 * distinct)  # approximate


def test_a_full_scan_pages_through_every_row(local_stack: LocalStack, seeded: Seeded) -> None:
    execution = execute(local_stack, seeded, f"SELECT shipment_id, weight_kg, dt FROM shipments WHERE {ON_MY_DAYS}")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["StatementType"] == "DML"
    assert execution["ResultConfiguration"]["OutputLocation"].endswith(f"/{execution['QueryExecutionId']}.csv")
    assert execution["Statistics"]["DataScannedInBytes"] > 0
    names, rows = rows_of(local_stack, execution["QueryExecutionId"], page_size=500)
    mine = seeded.table("shipments", only_my_days=True)
    assert names == ["shipment_id", "weight_kg", "dt"]
    assert len(rows) == mine.num_rows > 1_000
    assert sorted(r["shipment_id"] or "" for r in rows) == sorted(mine["shipment_id"].to_pylist())


def test_ctas_writes_parquet_and_registers_the_table(local_stack: LocalStack, seeded: Seeded) -> None:
    bucket = local_stack.outputs["silver_bucket"]
    table = f"athena_e2e_ctas_{datetime.now(UTC):%H%M%S}"
    location = f"s3://{bucket}/athena-e2e/{table}/"
    created = execute(
        local_stack,
        seeded,
        f"""
        CREATE TABLE "{seeded.database}"."{table}"
        WITH (format = 'PARQUET', external_location = '{location}', write_compression = 'SNAPPY')
        AS SELECT carrier, count(*) AS shipments FROM shipments WHERE {ON_MY_DAYS} GROUP BY carrier""",
    )
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"]
    glue_table = local_stack.client("glue").get_table(DatabaseName=seeded.database, Name=table)["Table"]
    assert glue_table["StorageDescriptor"]["Location"].rstrip("/") == location.rstrip("/")
    listed = local_stack.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"athena-e2e/{table}/")
    assert listed.get("KeyCount", 0) >= 1, "CTAS wrote no data file"

    rows = query(local_stack, seeded, f'SELECT carrier, shipments FROM "{table}"')
    mine = seeded.table("shipments", only_my_days=True)
    expected = Counter(mine["carrier"].to_pylist())
    assert {r["carrier"]: int(r["shipments"] or 0) for r in rows} == dict(expected)
    assert execute(local_stack, seeded, f'DROP TABLE "{table}"')["Status"]["State"] == "SUCCEEDED"


def test_msck_repair_table_brings_back_a_missing_partition(local_stack: LocalStack, seeded: Seeded) -> None:
    glue, day = local_stack.client("glue"), DAYS[1]
    glue.batch_delete_partition(
        DatabaseName=seeded.database, TableName="shipments", PartitionsToDelete=[{"Values": [day]}]
    )
    count_sql = f"SELECT count(*) AS n FROM shipments WHERE dt = '{day}'"
    assert query(local_stack, seeded, count_sql) == [{"n": "0"}], "a partition not in the catalog is not read"

    repaired = execute(local_stack, seeded, "MSCK REPAIR TABLE shipments")
    assert repaired["Status"]["State"] == "SUCCEEDED", repaired["Status"]
    assert glue.get_partition(DatabaseName=seeded.database, TableName="shipments", PartitionValues=[day])
    expected = sum(p.rows for p in seeded.silver.parts if p.record_type == "shipments" and p.dt == day)
    assert query(local_stack, seeded, count_sql) == [{"n": str(expected)}]


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("SELECT FROM shipments WHERE", "SYNTAX_ERROR"),
        ("SELECT count(*) FROM no_such_table", "TABLE_NOT_FOUND"),
        ("SELECT no_such_column FROM shipments", "COLUMN_NOT_FOUND"),
    ],
)
def test_bad_queries_fail_like_athena(local_stack: LocalStack, seeded: Seeded, sql: str, error: str) -> None:
    execution = execute(local_stack, seeded, sql)
    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert status["StateChangeReason"].startswith(error), status
    assert status["AthenaError"]["ErrorCategory"] == 2  # the user's error, not the engine's
    athena = local_stack.client("athena")
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])


# --------------------------------------------------------------------------- awswrangler


@pytest.fixture
def wrangler(local_stack: LocalStack) -> Iterator[Any]:
    """awswrangler pointed at the local cloud, restored afterwards."""
    import awswrangler as wr
    import boto3

    saved = {s: getattr(wr.config, f"{s}_endpoint_url") for s in ("s3", "athena", "glue", "sts")}
    for service in saved:
        setattr(wr.config, f"{service}_endpoint_url", local_stack.endpoint)
    yield boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    for service, url in saved.items():
        setattr(wr.config, f"{service}_endpoint_url", url)


@pytest.mark.parametrize("ctas_approach", [False, True])
def test_awswrangler_reads_the_same_answer(seeded: Seeded, wrangler: Any, ctas_approach: bool) -> None:
    import awswrangler as wr

    frame = wr.athena.read_sql_query(
        f"SELECT dt, count(*) AS shipments, sum(weight_kg) AS weight FROM shipments WHERE {ON_MY_DAYS} GROUP BY dt",
        database=seeded.database,
        workgroup=seeded.workgroup,
        ctas_approach=ctas_approach,
        boto3_session=wrangler,
    )
    mine = seeded.table("shipments", only_my_days=True)
    expected = mine.group_by("dt").aggregate([("dt", "count"), ("weight_kg", "sum")])
    want = {r["dt"]: (r["dt_count"], r["weight_kg_sum"]) for r in expected.to_pylist()}
    got = {str(r.dt): (int(r.shipments), float(r.weight)) for r in frame.itertuples(index=False)}
    assert set(got) == set(want)
    for day, (count, weight) in want.items():
        assert got[day][0] == count
        assert got[day][1] == pytest.approx(weight)
