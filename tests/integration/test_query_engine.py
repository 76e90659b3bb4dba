"""The local query engine against moto in server mode: Glue catalog + Parquet in S3 laid out like silver.

Every answer is compared with what pyarrow computes from the same Parquet tables.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from localcloud.query.contract import QueryOutcome, QueryRequest
from localcloud.query.engine import run_query
from localcloud.settings import REGION, local_client

LAKE, RESULTS, DB = "lake", "results", "silver"
OUTPUT = f"s3://{RESULTS}/athena/"
DAYS = ["2024-07-01", "2024-07-02", "2024-07-03"]
EVENT_COLUMNS = [
    {"Name": "event_id", "Type": "string"},
    {"Name": "user_id", "Type": "string"},
    {"Name": "amount", "Type": "double"},
    {"Name": "qty", "Type": "bigint"},
    {"Name": "ok", "Type": "boolean"},
    {"Name": "event_time", "Type": "timestamp"},
]
PARQUET_SD = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


def events_file(day: str, start: int, count: int) -> pa.Table:
    """Deterministic events of one day; every 7th amount is NULL, users u0..u4."""
    base = datetime.fromisoformat(day).replace(tzinfo=UTC)
    ids = range(start, start + count)
    return pa.table(
        {
            "event_id": [f"e{day}-{i}" for i in ids],
            "user_id": [f"u{i % 5}" for i in ids],
            "amount": [None if i % 7 == 0 else i * 1.25 for i in ids],
            "qty": pa.array([i % 11 for i in ids], pa.int64()),
            "ok": [i % 3 == 0 for i in ids],
            "event_time": pa.array([base + timedelta(minutes=i) for i in ids], pa.timestamp("us", tz="UTC")),
        }
    )


class Lake:
    """The moto server, clients, and the Parquet tables as pyarrow sees them (for expected answers)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.s3 = local_client("s3", endpoint, REGION)
        self.glue = local_client("glue", endpoint, REGION)
        self.events: dict[str, list[pa.Table]] = {}

    def put_parquet(self, key: str, table: pa.Table) -> int:
        sink = io.BytesIO()
        pq.write_table(table, sink)
        self.s3.put_object(Bucket=LAKE, Key=key, Body=sink.getvalue())
        return len(sink.getvalue())

    def events_table(self) -> pa.Table:
        return pa.concat_tables(
            [t.append_column("dt", pa.array([day] * t.num_rows)) for day, ts in self.events.items() for t in ts]
        )

    def run(self, sql: str, **overrides: Any) -> QueryOutcome:
        return run_query(request(self.endpoint, sql, **overrides), self.glue, self.s3)

    def text(self, uri: str) -> str:
        bucket, _, key = uri[5:].partition("/")
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()

    def rows(self, outcome: QueryOutcome) -> list[list[str]]:
        """The CSV result's data rows (NULL and '' both read as '': see test_csv_nulls_and_quoting)."""
        assert outcome.state == "SUCCEEDED", outcome.error
        assert outcome.result_location is not None
        header, *rows = list(csv.reader(io.StringIO(self.text(outcome.result_location))))
        assert header == [c.name for c in outcome.columns]
        assert len(rows) == outcome.rows
        return rows


def request(endpoint: str, sql: str, **overrides: Any) -> QueryRequest:
    fields: dict[str, Any] = {
        "query_id": str(uuid.uuid4()),
        "sql": sql,
        "database": DB,
        "catalog": "AwsDataCatalog",
        "output_location": OUTPUT,
        "endpoint": endpoint,
        "region": REGION,
        "workgroup": "primary",
    }
    return QueryRequest(**(fields | overrides))


def create_table(lake: Lake, name: str, columns: list[dict[str, str]], partitioned: bool) -> None:
    lake.glue.create_table(
        DatabaseName=DB,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": "dt", "Type": "string"}] if partitioned else [],
            "StorageDescriptor": {"Columns": columns, "Location": f"s3://{LAKE}/silver/{name}/", **PARQUET_SD},
        },
    )


def build_silver(lake: Lake) -> None:
    lake.s3.create_bucket(Bucket=LAKE)
    lake.s3.create_bucket(Bucket=RESULTS)
    lake.glue.create_database(DatabaseInput={"Name": DB})
    create_table(lake, "events", EVENT_COLUMNS, partitioned=True)
    for n, day in enumerate(DAYS):
        prefix = f"silver/events/dt={day}/"
        files = [events_file(day, 100 * n, 40), events_file(day, 100 * n + 40, 25 + n)]
        lake.put_parquet(prefix + "part-0001.parquet", files[0])
        lake.put_parquet(prefix + "compacted-0002.parquet", files[1])
        lake.s3.put_object(Bucket=LAKE, Key=prefix + "_SUCCESS", Body=b"not parquet")
        lake.events[day] = files
        lake.glue.create_partition(
            DatabaseName=DB,
            TableName="events",
            PartitionInput={"Values": [day], "StorageDescriptor": {"Location": f"s3://{LAKE}/{prefix}", **PARQUET_SD}},
        )
    create_table(lake, "users", [{"Name": "user_id", "Type": "string"}, {"Name": "name", "Type": "string"}], False)
    users = pa.table({"user_id": [f"u{i}" for i in range(4)], "name": [f"User {i}" for i in range(4)]})
    lake.put_parquet("silver/users/users.parquet", users)
    create_table(lake, "empty", EVENT_COLUMNS, partitioned=True)


@pytest.fixture(scope="module")
def lake() -> Iterator[Lake]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        lake = Lake(f"http://{host}:{port}")
        build_silver(lake)
        yield lake
    finally:
        server.stop()


def test_select_constant(lake: Lake) -> None:
    outcome = lake.run("SELECT 1 AS x, 'a' AS y")
    assert outcome.statement_type == "DML"
    assert [(c.name, c.type) for c in outcome.columns] == [("x", "integer"), ("y", "varchar")]
    assert lake.rows(outcome) == [["1", "a"]]
    assert lake.text(outcome.result_location or "") == '"x","y"\n"1","a"\n'


def test_select_whole_table_reads_every_file(lake: Lake) -> None:
    outcome = lake.run('SELECT count(*) AS n, sum(qty) AS q FROM "silver"."events"')
    expected = lake.events_table()
    assert lake.rows(outcome) == [[str(expected.num_rows), str(pc.sum(expected["qty"]).as_py())]]
    assert [c.type for c in outcome.columns] == ["bigint", "bigint"]


def test_worker_subprocess(lake: Lake) -> None:
    """The real worker: request on stdin, outcome as JSON on the last stdout line, exit 0."""
    sql = "SELECT user_id, count(*) AS n FROM events WHERE dt = '2024-07-02' GROUP BY user_id ORDER BY user_id"
    payload = request(lake.endpoint, sql).to_json()
    done = subprocess.run(
        [sys.executable, "-m", "localcloud.query.worker"], input=payload, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    outcome = QueryOutcome.from_json(done.stdout.strip().splitlines()[-1])
    day = pa.concat_tables(lake.events["2024-07-02"])
    counts = day.group_by("user_id").aggregate([("user_id", "count")]).sort_by("user_id")
    assert lake.rows(outcome) == [
        [u, str(n)] for u, n in zip(counts["user_id"].to_pylist(), counts["user_id_count"].to_pylist(), strict=True)
    ]
    assert outcome.data_scanned_bytes == sum(
        o["Size"]
        for o in lake.s3.list_objects_v2(Bucket=LAKE, Prefix="silver/events/dt=2024-07-02/")["Contents"]
        if not o["Key"].endswith("_SUCCESS")
    )
    assert json.loads(lake.text((outcome.result_location or "") + ".metadata"))["columns"][1]["type"] == "bigint"
