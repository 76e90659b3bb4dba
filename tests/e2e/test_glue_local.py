"""Glue on the local cloud: the deployed job scripts run on local Spark, the crawler catalogs silver."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from elt.contracts.shipments import Shipment
from elt.layout import SilverFile
from elt.records import arrow_schema
from tests.e2e.conftest import LocalStack, needs_java

pytestmark = needs_java


GOOD_DT, BAD_DT = "2024-05-01", "2024-05-02"


def put_partition(stack: LocalStack, dt: str, files: int, rows: int, bad: bool = False) -> None:
    """``files`` silver files of ``rows`` shipments each in ``dt``, as transform batches name them
    (``<batch id>.parquet``), each row with its full lineage (``_source_uri``, ``_source_version``,
    ``_source_line``) from one bronze object per file."""
    s3 = stack.client("s3")
    day = datetime.fromisoformat(dt).replace(tzinfo=UTC)
    for f in range(files):
        batch_id = f"b{day:%Y%m%dT%H%M%S}-{f:012x}"
        records = [
            {
                "record_type": "shipments",
                "event_time": day + timedelta(minutes=f * rows + r),
                "shipment_id": "SHP-DUP" if bad and r < 2 else f"SHP-{dt}-{f}-{r}",
                "origin": "Lyon",
                "destination": "Oslo",
                "carrier": "DHL",
                "weight_kg": -5.0 if bad and r == 3 else 10.0 + r,
                "_source_uri": f"s3://test/bronze/{dt}-{f}.jsonl",
                "_source_version": f"{f:032x}",
                "_source_line": r + 1,
                "_ingested_at": day,
            }
            for r in range(rows)
        ]
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(records, schema=arrow_schema(Shipment)), buffer, compression="snappy")
        key = SilverFile("shipments", dt, batch_id).key()
        s3.put_object(Bucket=stack.outputs["silver_bucket"], Key=key, Body=buffer.getvalue())


def run_job(stack: LocalStack, name: str, arguments: dict[str, str]) -> dict[str, Any]:
    glue = stack.client("glue")
    run_id = glue.start_job_run(JobName=name, Arguments=arguments)["JobRunId"]

    def finished() -> dict[str, Any] | None:
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        return run if run["JobRunState"] in {"SUCCEEDED", "FAILED", "TIMEOUT", "ERROR"} else None

    return stack.wait_for(finished, timeout=300, what=f"Glue job {name} to finish")  # type: ignore[no-any-return]


def read_result(stack: LocalStack, dt: str) -> dict[str, Any]:
    key = f"ge-results/shipments/dt={dt}/result.json"
    body = stack.client("s3").get_object(Bucket=stack.outputs["silver_bucket"], Key=key)["Body"].read()
    return json.loads(body)  # type: ignore[no-any-return]


def test_ge_gate_job_passes_a_good_partition_and_fails_a_bad_one(local_stack: LocalStack) -> None:
    put_partition(local_stack, GOOD_DT, files=2, rows=10)
    put_partition(local_stack, BAD_DT, files=1, rows=10, bad=True)
    job = local_stack.outputs["ge_job_name"]

    good = run_job(local_stack, job, {"--RECORD_TYPE": "shipments", "--DT": GOOD_DT})
    assert good["JobRunState"] == "SUCCEEDED", good.get("ErrorMessage")
    result = read_result(local_stack, GOOD_DT)
    assert result["success"] is True and result["statistics"]["row_count"] == 20

    bad = run_job(local_stack, job, {"--RECORD_TYPE": "shipments", "--DT": BAD_DT})
    assert bad["JobRunState"] == "FAILED" and "exited with status" in bad["ErrorMessage"]
    result = read_result(local_stack, BAD_DT)
    assert result["success"] is False
    failed = " ".join(result["failed_expectations"])
    assert "shipment_id" in failed and "weight_kg" in failed


def test_compaction_job_rewrites_many_small_files(local_stack: LocalStack) -> None:
    dt = "2024-05-03"
    put_partition(local_stack, dt, files=100, rows=5)  # 100 small files, as many small units would leave
    run = run_job(local_stack, local_stack.outputs["glue_job_name"], {"--RECORD_TYPE": "shipments", "--DT": dt})
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    s3, bucket = local_stack.client("s3"), local_stack.outputs["silver_bucket"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"compacted/shipments/dt={dt}/")["Contents"]
    outputs = [o["Key"] for o in listed if o["Key"].endswith(".parquet")]
    assert len(outputs) == 1
    rows = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=outputs[0])["Body"].read())).num_rows
    assert rows == 500


def test_crawler_catalogs_silver_tables_and_partitions(local_stack: LocalStack) -> None:
    put_partition(local_stack, GOOD_DT, files=1, rows=3)
    glue = local_stack.client("glue")
    crawler, database = local_stack.outputs["glue_crawler_name"], local_stack.outputs["glue_database_name"]
    glue.start_crawler(Name=crawler)
    local_stack.wait_for(
        lambda: glue.get_crawler(Name=crawler)["Crawler"].get("LastCrawl", {}).get("Status") == "COMPLETED",
        what="the crawl to complete",
    )
    table = glue.get_table(DatabaseName=database, Name="shipments")["Table"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns["event_time"] == "timestamp" and columns["weight_kg"] == "double"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["dt"]
    assert table["StorageDescriptor"]["Location"].endswith("/silver/shipments/")
    partitions = glue.get_partitions(DatabaseName=database, TableName="shipments")["Partitions"]
    location = next(p["StorageDescriptor"]["Location"] for p in partitions if p["Values"] == [GOOD_DT])
    # Queryable: the catalog's location of the partition reads back as the rows written there.
    bucket, prefix = location.removeprefix("s3://").split("/", 1)
    s3 = local_stack.client("s3")
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"] if o["Key"].endswith(".parquet")
    ]
    tables = [pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in keys]
    assert sum(t.num_rows for t in tables) >= 3
    assert {c for t in tables for c in t.column_names} >= set(columns) - {"dt"}


def test_transform_registers_new_partitions_without_a_crawler(local_stack: LocalStack) -> None:
    """catalog_registration_enabled: the transform creates the table and the partition itself."""
    body = json.dumps({"record_type": "invoice_lines", "event_time": "2024-05-20T10:00:00Z", "invoice_id": "INV-1",
                       "sku": "SKU-1", "quantity": 2, "unit_price": 9.5, "line_total": 19.0})  # fmt: skip
    local_stack.client("s3").put_object(Bucket=local_stack.outputs["bronze_bucket"], Key="bronze/invoices/reg.jsonl",
                                        Body=body.encode() + b"\n")  # fmt: skip
    glue, database = local_stack.client("glue"), local_stack.outputs["glue_database_name"]

    def registered() -> bool:
        try:
            partitions = glue.get_partitions(DatabaseName=database, TableName="invoice_lines")["Partitions"]
        except glue.exceptions.EntityNotFoundException:
            return False
        return any(p["Values"] == ["2024-05-20"] for p in partitions)

    local_stack.wait_for(registered, what="the transform to register invoice_lines dt=2024-05-20")
