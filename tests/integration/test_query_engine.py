"""The local query engine against moto in server mode: Glue catalog + Parquet in S3 laid out like silver.

Every answer is compared with what pyarrow computes from the same Parquet tables.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
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
    outcome = lake.run("SELECT 1 AS x, 'a' AS Y, 2 + 3")
    assert outcome.statement_type == "DML"
    assert [(c.name, c.type) for c in outcome.columns] == [("x", "integer"), ("Y", "varchar"), ("_col2", "integer")]
    assert lake.rows(outcome) == [["1", "a", "5"]]
    assert lake.text(outcome.result_location or "") == '"x","Y","_col2"\n"1","a","5"\n'


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


def partition_bytes(lake: Lake, *days: str) -> int:
    sizes = [
        o["Size"]
        for day in days
        for o in lake.s3.list_objects_v2(Bucket=LAKE, Prefix=f"silver/events/dt={day}/")["Contents"]
        if o["Key"].endswith(".parquet")
    ]
    return sum(sizes)


@pytest.mark.parametrize(
    ("where", "days"),
    [
        ("dt = '2024-07-01'", ["2024-07-01"]),
        ("dt IN ('2024-07-01', '2024-07-03') AND qty > 2", ["2024-07-01", "2024-07-03"]),
        ("e.dt BETWEEN '2024-07-02' AND '2024-07-09'", ["2024-07-02", "2024-07-03"]),
        ("dt >= '2024-07-02' AND (ok OR qty > 5)", ["2024-07-02", "2024-07-03"]),
        ("date(dt) > date '2024-07-02'", ["2024-07-03"]),
        ("dt = '2024-07-01' OR qty = 3", DAYS),  # mixes a data column: no pruning
    ],
)
def test_partition_pruning(lake: Lake, where: str, days: list[str]) -> None:
    outcome = lake.run(f"SELECT e.event_id, e.dt FROM silver.events e WHERE {where} ORDER BY e.event_id")
    assert outcome.data_scanned_bytes == partition_bytes(lake, *days)
    table = lake.events_table()
    sql_filter = {
        "dt = '2024-07-01'": pc.equal(table["dt"], "2024-07-01"),
        "dt IN ('2024-07-01', '2024-07-03') AND qty > 2": pc.and_(
            pc.is_in(table["dt"], pa.array(["2024-07-01", "2024-07-03"])), pc.greater(table["qty"], 2)
        ),
        "e.dt BETWEEN '2024-07-02' AND '2024-07-09'": pc.greater_equal(table["dt"], "2024-07-02"),
        "dt >= '2024-07-02' AND (ok OR qty > 5)": pc.and_(
            pc.greater_equal(table["dt"], "2024-07-02"), pc.or_(table["ok"], pc.greater(table["qty"], 5))
        ),
        "date(dt) > date '2024-07-02'": pc.equal(table["dt"], "2024-07-03"),
        "dt = '2024-07-01' OR qty = 3": pc.or_(pc.equal(table["dt"], "2024-07-01"), pc.equal(table["qty"], 3)),
    }[where]
    expected = table.filter(sql_filter).sort_by("event_id")
    assert lake.rows(outcome) == [
        [i, d] for i, d in zip(expected["event_id"].to_pylist(), expected["dt"].to_pylist(), strict=True)
    ]


def test_outer_join_side_is_not_pruned(lake: Lake) -> None:
    """WHERE on the NULL-padded side of a LEFT JOIN must not prune it (it would turn misses into matches)."""
    sql = (
        "SELECT u.user_id, count(e.event_id) AS n FROM users u LEFT JOIN events e ON e.user_id = u.user_id "
        "WHERE e.dt IS NULL OR e.dt = '2024-07-01' GROUP BY u.user_id ORDER BY u.user_id"
    )
    outcome = lake.run(sql)
    assert outcome.data_scanned_bytes > partition_bytes(lake, "2024-07-01")
    table = lake.events_table()
    # Every user has events on every day, so only the 2024-07-01 matches survive the WHERE.
    day = table.filter(pc.equal(table["dt"], "2024-07-01"))
    counts = {u: day.filter(pc.equal(day["user_id"], u)).num_rows for u in ["u0", "u1", "u2", "u3"]}
    assert lake.rows(outcome) == [[u, str(n)] for u, n in counts.items()]


def test_select_star_columns_in_catalog_order(lake: Lake) -> None:
    outcome = lake.run("SELECT * FROM awsdatacatalog.silver.events WHERE dt = '2024-07-03' ORDER BY event_id LIMIT 3")
    assert [(c.name, c.type) for c in outcome.columns] == [
        ("event_id", "varchar"),
        ("user_id", "varchar"),
        ("amount", "double"),
        ("qty", "bigint"),
        ("ok", "boolean"),
        ("event_time", "timestamp"),
        ("dt", "varchar"),
    ]
    expected = pa.concat_tables(lake.events["2024-07-03"]).sort_by("event_id").slice(0, 3).to_pylist()
    for row, want in zip(lake.rows(outcome), expected, strict=True):
        assert row[0] == want["event_id"] and row[1] == want["user_id"] and row[6] == "2024-07-03"
        assert (float(row[2]) if row[2] else None) == want["amount"]
        assert row[3] == str(want["qty"]) and row[4] == str(want["ok"]).lower()
        assert row[5] == want["event_time"].strftime("%Y-%m-%d %H:%M:%S.000")


def test_csv_nulls_and_quoting(lake: Lake) -> None:
    outcome = lake.run("SELECT CAST(NULL AS varchar) AS a, '' AS b, 'say \"hi\", ok' AS c, 2.5e-7 AS d, true AS e")
    assert lake.text(outcome.result_location or "").splitlines()[1] == ',"","say ""hi"", ok","2.5E-7","true"'


def test_joins_windows_ctes_unions(lake: Lake) -> None:
    sql = """
        WITH totals AS (
            SELECT user_id, sum(amount) AS total, approx_distinct(event_id) AS events
            FROM events WHERE dt <= '2024-07-02' GROUP BY user_id
        )
        SELECT u.name, t.total, t.events, rank() OVER (ORDER BY t.total DESC) AS r
        FROM totals t JOIN "SILVER"."Users" u ON u.user_id = t.user_id
        UNION ALL
        SELECT 'none', NULL, 0, 0 FROM events WHERE dt = '2024-07-09'
        ORDER BY r
    """
    outcome = lake.run(sql)
    table = lake.events_table()
    table = table.filter(pc.less_equal(table["dt"], "2024-07-02"))
    grouped = table.group_by("user_id").aggregate([("amount", "sum"), ("event_id", "count_distinct")])
    by_user = {r["user_id"]: r for r in grouped.to_pylist() if r["user_id"] != "u4"}
    ranked = sorted(by_user.values(), key=lambda r: -r["amount_sum"])
    rows = lake.rows(outcome)
    assert [r[0] for r in rows] == [f"User {r['user_id'][1]}" for r in ranked]
    for row, want in zip(rows, ranked, strict=True):
        assert float(row[1]) == pytest.approx(want["amount_sum"]) and int(row[2]) == want["event_id_count_distinct"]
    assert [r[3] for r in rows] == ["1", "2", "3", "4"]
    assert (
        outcome.data_scanned_bytes
        == partition_bytes(lake, "2024-07-01", "2024-07-02")
        + lake.s3.head_object(Bucket=LAKE, Key="silver/users/users.parquet")["ContentLength"]
    )


def test_dates_and_integer_division(lake: Lake) -> None:
    sql = (
        "SELECT date_trunc('day', max(event_time)) AS d, date_format(min(event_time), '%Y-%m-%d %H:%i') AS f, "
        "7 / 2 AS q, count(*) / 2 AS half, from_iso8601_timestamp('2024-07-01T10:00:00Z') AS iso "
        "FROM events WHERE dt = '2024-07-02'"
    )
    outcome = lake.run(sql)
    day = pa.concat_tables(lake.events["2024-07-02"])
    first = pc.min(day["event_time"]).as_py()
    assert lake.rows(outcome) == [
        [
            "2024-07-02 00:00:00.000",
            first.strftime("%Y-%m-%d %H:%M"),
            "3",
            str(day.num_rows // 2),
            "2024-07-01 10:00:00.000 UTC",
        ]
    ]
    assert [c.type for c in outcome.columns] == [
        "timestamp",
        "varchar",
        "integer",
        "bigint",
        "timestamp with time zone",
    ]


def test_empty_table_has_columns_and_no_rows(lake: Lake) -> None:
    outcome = lake.run("SELECT * FROM empty")
    assert lake.rows(outcome) == [] and outcome.data_scanned_bytes == 0
    assert [c.name for c in outcome.columns] == [c["Name"] for c in EVENT_COLUMNS] + ["dt"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM nope", "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.silver.nope' does not exist"),
        ("SELECT * FROM gold.events", "SCHEMA_NOT_FOUND: line 1:15: Schema 'gold' does not exist"),
        ("SELECT nosuch FROM events", "COLUMN_NOT_FOUND: line 1:8: Column 'nosuch' cannot be resolved"),
        ("SELECT 1 FROM", "SYNTAX_ERROR: line 1:"),
        ("INSERT INTO events SELECT * FROM events", "NOT_SUPPORTED: INSERT is not supported on the local cloud"),
        ("CREATE VIEW v AS SELECT 1", "NOT_SUPPORTED: CREATE VIEW is not supported on the local cloud"),
        ("SELECT nosuchfn(1)", "FUNCTION_NOT_FOUND: line 1:8: Function 'nosuchfn' not registered"),
        ("SELECT CAST('x' AS integer)", "INVALID_CAST_ARGUMENT: "),
    ],
)
def test_errors(lake: Lake, sql: str, message: str) -> None:
    outcome = lake.run(sql)
    assert outcome.state == "FAILED" and outcome.error is not None
    assert outcome.error.message.startswith(message), outcome.error.message
    assert outcome.error.category == 2


def test_scan_cutoff_fails_before_reading(lake: Lake) -> None:
    outcome = lake.run("SELECT count(*) FROM events", scan_cutoff_bytes=partition_bytes(lake, *DAYS) - 1)
    assert outcome.state == "FAILED" and outcome.error is not None
    assert "exceeded the data scanned limit" in outcome.error.message and outcome.data_scanned_bytes == 0
    assert (
        lake.run(
            "SELECT count(*) FROM events WHERE dt = '2024-07-01'", scan_cutoff_bytes=partition_bytes(lake, "2024-07-01")
        ).state
        == "SUCCEEDED"
    )


def text_lines(lake: Lake, outcome: QueryOutcome) -> list[str]:
    assert outcome.state == "SUCCEEDED", outcome.error
    assert (outcome.result_location or "").endswith(".txt")
    return lake.text(outcome.result_location or "").splitlines()


def test_show_and_describe(lake: Lake) -> None:
    assert text_lines(lake, lake.run("SHOW TABLES")) == ["empty", "events", "users"]
    assert text_lines(lake, lake.run("SHOW TABLES IN silver 'e*|us*'")) == ["empty", "events", "users"]
    assert text_lines(lake, lake.run("SHOW TABLES 'ev*'")) == ["events"]
    assert text_lines(lake, lake.run("SHOW PARTITIONS silver.events")) == [f"dt={d}" for d in DAYS]
    assert text_lines(lake, lake.run("SHOW COLUMNS IN events")) == [c["Name"] for c in EVENT_COLUMNS] + ["dt"]
    assert "silver" in text_lines(lake, lake.run("SHOW DATABASES"))
    describe = lake.run("DESCRIBE events")
    assert describe.statement_type == "UTILITY"
    lines = [line.split("\t") for line in text_lines(lake, describe)]
    assert [(f[0].strip(), f[1].strip()) for f in lines[:6]] == [(c["Name"], c["Type"]) for c in EVENT_COLUMNS]
    assert lines[-1][0].strip() == "dt" and "# Partition Information" in lines[8][0]


def make_clicks(lake: Lake, name: str, days: list[str]) -> pa.Table:
    """A partitioned table whose partitions are on S3 but not (yet) in the catalog."""
    create_table(lake, name, [{"Name": "n", "Type": "bigint"}], partitioned=True)
    for i, day in enumerate(days):
        lake.put_parquet(f"silver/{name}/dt={day}/data.parquet", pa.table({"n": pa.array([i, i + 10], pa.int64())}))
    lake.s3.put_object(Bucket=LAKE, Key=f"silver/{name}/_tmp/dt=2024-01-01/x.parquet", Body=b"ignored")
    return pa.table({"n": [n for i in range(len(days)) for n in (i, i + 10)]})


def test_msck_repair_registers_new_partitions(lake: Lake) -> None:
    make_clicks(lake, "clicks", ["2024-07-01", "2024-07-02"])
    lake.glue.create_partition(
        DatabaseName=DB,
        TableName="clicks",
        PartitionInput={
            "Values": ["2024-07-01"],
            "StorageDescriptor": {"Location": f"s3://{LAKE}/silver/clicks/dt=2024-07-01/"},
        },
    )
    outcome = lake.run("MSCK REPAIR TABLE clicks")
    assert outcome.statement_type == "DDL"
    assert text_lines(lake, outcome)[-1] == "Repair: Added partition to metastore clicks:dt=2024-07-02"
    added = lake.glue.get_partition(DatabaseName=DB, TableName="clicks", PartitionValues=["2024-07-02"])["Partition"]
    assert added["StorageDescriptor"]["Location"] == f"s3://{LAKE}/silver/clicks/dt=2024-07-02/"
    assert added["StorageDescriptor"]["SerdeInfo"] == PARQUET_SD["SerdeInfo"]
    assert text_lines(lake, lake.run("SHOW PARTITIONS clicks")) == ["dt=2024-07-01", "dt=2024-07-02"]
    assert lake.rows(lake.run("SELECT sum(n) FROM clicks")) == [["22"]]
    assert text_lines(lake, lake.run("MSCK REPAIR TABLE clicks")) == []


def test_alter_table_add_and_drop_partitions(lake: Lake) -> None:
    make_clicks(lake, "views", ["2024-07-01", "2024-07-02", "2024-07-03"])
    add = "ALTER TABLE views ADD PARTITION (dt='2024-07-01') PARTITION (dt = '2024-07-03') LOCATION 's3://{}/silver/views/dt=2024-07-03/'"
    assert lake.run(add.format(LAKE)).state == "SUCCEEDED"
    assert lake.rows(lake.run("SELECT n FROM views ORDER BY n")) == [["0"], ["2"], ["10"], ["12"]]
    again = lake.run("ALTER TABLE views ADD PARTITION (dt='2024-07-01')")
    assert again.state == "FAILED" and again.error is not None and "AlreadyExists" in again.error.message
    assert lake.run("ALTER TABLE views ADD IF NOT EXISTS PARTITION (dt='2024-07-01')").state == "SUCCEEDED"
    assert lake.run("ALTER TABLE silver.views DROP PARTITION (dt='2024-07-01')").state == "SUCCEEDED"
    assert text_lines(lake, lake.run("SHOW PARTITIONS views")) == ["dt=2024-07-03"]
    missing = lake.run("ALTER TABLE views DROP PARTITION (dt='2024-07-01')")
    assert (
        missing.state == "FAILED"
        and lake.run("ALTER TABLE views DROP IF EXISTS PARTITION (dt='2024-07-01')").state == "SUCCEEDED"
    )
    bad = lake.run("ALTER TABLE views ADD PARTITION (day='x')")
    assert bad.state == "FAILED"
    # Two partitions at one location: its rows count once per partition, as Athena reads them.
    lake.run(f"ALTER TABLE views ADD PARTITION (dt='copy') LOCATION 's3://{LAKE}/silver/views/dt=2024-07-03'")
    rows = lake.rows(lake.run("SELECT dt, n FROM views ORDER BY dt, n"))
    assert rows == [["2024-07-03", "2"], ["2024-07-03", "12"], ["copy", "2"], ["copy", "12"]]


def test_ctas_as_awswrangler_sends_it(lake: Lake) -> None:
    query = (
        "SELECT user_id, sum(qty) AS total, max(event_time) AS last_seen, avg(amount) AS mean "
        "FROM events GROUP BY user_id"
    )
    sql = f'CREATE TABLE "silver"."temp_table_0a1b"\nWITH(\n    format = \'PARQUET\'\n)\nAS {query}'
    outcome = lake.run(sql)
    assert outcome.state == "SUCCEEDED", outcome.error
    assert outcome.statement_type == "DDL" and outcome.data_scanned_bytes == partition_bytes(lake, *DAYS)
    manifest = lake.text(outcome.manifest_location or "")
    assert outcome.manifest_location == f"{OUTPUT}tables/{request_id(outcome)}-manifest.csv"
    [data_uri] = manifest.splitlines()
    assert data_uri.startswith(f"{OUTPUT}tables/")
    written = pq.read_table(
        io.BytesIO(lake.s3.get_object(Bucket=RESULTS, Key=data_uri[len(f"s3://{RESULTS}/") :])["Body"].read())
    )
    table = lake.events_table()
    expected = table.group_by("user_id").aggregate([("qty", "sum"), ("event_time", "max"), ("amount", "mean")])
    got = {r["user_id"]: r for r in written.to_pylist()}
    for want in expected.to_pylist():
        row = got[want["user_id"]]
        assert row["total"] == want["qty_sum"] and row["mean"] == pytest.approx(want["amount_mean"])
        assert row["last_seen"] == want["event_time_max"].replace(tzinfo=None)
    glue_table = lake.glue.get_table(DatabaseName=DB, Name="temp_table_0a1b")["Table"]
    assert [(c["Name"], c["Type"]) for c in glue_table["StorageDescriptor"]["Columns"]] == [
        ("user_id", "string"),
        ("total", "bigint"),
        ("last_seen", "timestamp"),
        ("mean", "double"),
    ]
    assert glue_table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    back = lake.rows(lake.run("SELECT user_id, total FROM temp_table_0a1b ORDER BY user_id"))
    assert back == [[r["user_id"], str(r["qty_sum"])] for r in expected.sort_by("user_id").to_pylist()]
    exists = lake.run(sql)
    assert exists.error is not None and exists.error.message.startswith("ALREADY_EXISTS")
    again = lake.run(sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
    assert again.state == "SUCCEEDED" and again.manifest_location is None
    assert lake.run("DROP TABLE temp_table_0a1b").state == "SUCCEEDED"
    assert lake.run("SELECT 1 FROM temp_table_0a1b").state == "FAILED"
    assert lake.s3.head_object(Bucket=RESULTS, Key=data_uri[len(f"s3://{RESULTS}/") :])  # the data stays
    assert lake.run("DROP TABLE IF EXISTS temp_table_0a1b").state == "SUCCEEDED"


def request_id(outcome: QueryOutcome) -> str:
    return (outcome.result_location or "").rsplit("/", 1)[1].split(".")[0]


def test_ctas_external_location_and_refusals(lake: Lake) -> None:
    location = f"s3://{LAKE}/ctas/daily/"
    sql = (
        f"CREATE TABLE daily WITH (format='PARQUET', external_location='{location}', write_compression='SNAPPY') "
        "AS SELECT dt, count(*) AS n FROM events GROUP BY dt"
    )
    assert lake.run(sql).state == "SUCCEEDED"
    assert lake.rows(lake.run("SELECT dt, n FROM daily ORDER BY dt")) == [
        [d, str(sum(t.num_rows for t in lake.events[d]))] for d in DAYS
    ]
    refusals = {
        "CREATE TABLE t1 AS SELECT 1": "COLUMN_NAME_NOT_SPECIFIED",
        "CREATE TABLE t2 AS SELECT 1 AS a, 2 AS A": "DUPLICATE_COLUMN_NAME",
        "CREATE TABLE t3 WITH (partitioned_by = ARRAY['dt']) AS SELECT 'x' AS dt, 1 AS a": "HIVE_COLUMN_ORDER_MISMATCH",
        f"CREATE TABLE t4 WITH (external_location='{location}') AS SELECT 1 AS a": "HIVE_PATH_ALREADY_EXISTS",
        "CREATE TABLE t5 WITH (format='ORC') AS SELECT 1 AS a": "NOT_SUPPORTED",
    }
    for statement, code in refusals.items():
        outcome = lake.run(statement)
        assert outcome.error is not None and outcome.error.message.startswith(code), (statement, outcome.error)
    empty = lake.run("CREATE TABLE nodata AS SELECT event_id FROM events WITH NO DATA")
    assert empty.state == "SUCCEEDED" and lake.text(empty.manifest_location or "") == ""
    assert lake.rows(lake.run("SELECT * FROM nodata")) == []


def test_ctas_partitioned_by(lake: Lake) -> None:
    sql = (
        "CREATE TABLE by_day WITH (partitioned_by = ARRAY['dt']) AS "
        "SELECT user_id, count(*) AS n, dt FROM events WHERE dt >= '2024-07-02' GROUP BY user_id, dt"
    )
    outcome = lake.run(sql)
    assert outcome.state == "SUCCEEDED", outcome.error
    uris = lake.text(outcome.manifest_location or "").splitlines()
    assert sorted(u.split("/")[-2] for u in uris) == ["dt=2024-07-02", "dt=2024-07-03"]
    table = lake.glue.get_table(DatabaseName=DB, Name="by_day")["Table"]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert text_lines(lake, lake.run("SHOW PARTITIONS by_day")) == ["dt=2024-07-02", "dt=2024-07-03"]
    events = lake.events_table()
    expected = events.filter(pc.equal(events["dt"], "2024-07-03")).group_by("user_id").aggregate([("user_id", "count")])
    got = lake.rows(lake.run("SELECT user_id, n FROM by_day WHERE dt = '2024-07-03' ORDER BY user_id"))
    assert got == [[r["user_id"], str(r["user_id_count"])] for r in expected.sort_by("user_id").to_pylist()]


def test_a_damaged_object_fails_the_query_naming_it(lake: Lake) -> None:
    create_table(lake, "broken", [{"Name": "n", "Type": "bigint"}], partitioned=False)
    lake.s3.put_object(Bucket=LAKE, Key="silver/broken/data.parquet", Body=b"this is not parquet at all")
    outcome = lake.run("SELECT count(*) FROM broken")
    assert outcome.state == "FAILED" and outcome.error is not None
    assert outcome.error.message.startswith("HIVE_BAD_DATA: ") and outcome.error.category == 2
    assert f"s3://{LAKE}/silver/broken/data.parquet" in outcome.error.message, outcome.error.message


def test_information_schema(lake: Lake) -> None:
    columns = lake.run(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'silver' AND table_name = 'events' ORDER BY ordinal_position"
    )
    expected = [
        [c["Name"], {"string": "varchar", "timestamp": "timestamp(3)"}.get(c["Type"], c["Type"])] for c in EVENT_COLUMNS
    ]
    assert lake.rows(columns) == [*expected, ["dt", "varchar"]]
    tables = lake.rows(lake.run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'silver'"))
    assert {"events", "users", "empty"} <= {r[0] for r in tables}
    assert ["silver"] in lake.rows(lake.run("SELECT schema_name FROM information_schema.schemata"))


def test_the_query_workdir_is_removed(lake: Lake) -> None:
    query_id = f"workdir-{uuid.uuid4().hex[:12]}"  # short: the directory keeps 40 characters of it
    outcome = lake.run("SELECT count(*) AS n FROM events", query_id=query_id)
    assert outcome.state == "SUCCEEDED" and outcome.engine_ms >= 0
    failed = lake.run("SELECT nosuch FROM events", query_id=query_id + "-failed")
    assert failed.state == "FAILED"
    assert not list(Path(tempfile.gettempdir()).glob(f"lc-query-{query_id}*"))


def test_create_external_table_then_repair_and_read(lake: Lake) -> None:
    expected = make_clicks(lake, "taps", ["2024-07-01", "2024-07-02"])
    lake.glue.delete_table(DatabaseName=DB, Name="taps")  # make_clicks catalogued it: DDL does it here
    ddl = (
        "CREATE EXTERNAL TABLE taps (n bigint COMMENT 'count') PARTITIONED BY (dt string) "
        f"STORED AS PARQUET LOCATION 's3://{LAKE}/silver/taps/'"
    )
    created = lake.run(ddl)
    assert created.state == "SUCCEEDED" and created.statement_type == "DDL", created.error
    table = lake.glue.get_table(DatabaseName=DB, Name="taps")["Table"]
    assert table["StorageDescriptor"]["Columns"] == [{"Name": "n", "Type": "bigint", "Comment": "count"}]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    again = lake.run(ddl)
    assert again.error is not None and "AlreadyExists" in again.error.message
    assert lake.run(ddl.replace("TABLE taps", "TABLE IF NOT EXISTS taps")).state == "SUCCEEDED"
    assert lake.rows(lake.run("SELECT count(*) FROM taps")) == [["0"]]  # no partitions yet
    lake.run("MSCK REPAIR TABLE taps")
    assert lake.rows(lake.run("SELECT sum(n) FROM taps")) == [[str(sum(expected["n"].to_pylist()))]]


def test_a_column_stored_as_another_type_fails_instead_of_being_cast(lake: Lake) -> None:
    create_table(lake, "drift", [{"Name": "n", "Type": "bigint"}, {"Name": "s", "Type": "string"}], partitioned=False)
    lake.put_parquet("silver/drift/a.parquet", pa.table({"n": pa.array([1, 2], pa.int32()), "s": ["x", "y"]}))
    assert lake.rows(lake.run("SELECT sum(n) AS n FROM drift")) == [["3"]]  # int32 widens to bigint, as in Athena
    lake.put_parquet("silver/drift/b.parquet", pa.table({"n": [2.5], "s": ["z"]}))
    outcome = lake.run("SELECT sum(n) AS n FROM drift")
    assert outcome.error is not None and outcome.error.message.startswith("HIVE_BAD_DATA: Field n's type DOUBLE")


def test_tables_that_are_not_plain_parquet_are_refused(lake: Lake) -> None:
    for name, parameters in [("proj", {"projection.enabled": "true"}), ("ice", {"table_type": "ICEBERG"})]:
        lake.glue.create_table(
            DatabaseName=DB,
            TableInput={
                "Name": name,
                "Parameters": parameters,
                "StorageDescriptor": {"Columns": [{"Name": "n", "Type": "bigint"}], "Location": f"s3://{LAKE}/{name}/"},
            },
        )
        outcome = lake.run(f"SELECT * FROM {name}")
        assert outcome.error is not None and outcome.error.message.startswith("NOT_SUPPORTED: "), outcome.error


def test_percentages_round_like_trino(lake: Lake) -> None:
    """count(*) * 100.0 / total is a decimal with one digit in Trino (rounded half up), not a double."""
    sql = (
        "SELECT dt, count(*) * 100.0 / sum(count(*)) OVER () AS pct, sum(qty) * 1.0 / count(*) AS mean "
        "FROM events GROUP BY dt ORDER BY dt"
    )
    outcome = lake.run(sql)
    table = lake.events_table()
    total = table.num_rows
    expected = []
    for day in DAYS:
        rows = table.filter(pc.equal(table["dt"], day))
        pct = (Decimal(rows.num_rows * 1000) / total).quantize(Decimal("1"), ROUND_HALF_UP).scaleb(-1)
        mean = (Decimal(pc.sum(rows["qty"]).as_py() * 10) / rows.num_rows).quantize(Decimal("1"), ROUND_HALF_UP)
        mean = mean.scaleb(-1)
        expected.append([day, str(pct), str(mean)])
    assert lake.rows(outcome) == expected
    assert [(c.type, c.scale) for c in outcome.columns[1:]] == [("decimal", 1), ("decimal", 1)]


def test_create_and_drop_database(lake: Lake) -> None:
    assert lake.run("CREATE DATABASE scratch COMMENT 'tmp'").state == "SUCCEEDED"
    assert lake.glue.get_database(Name="scratch")["Database"]["Description"] == "tmp"
    again = lake.run("CREATE DATABASE scratch")
    assert again.error is not None and "AlreadyExists" in again.error.message
    assert lake.run("CREATE SCHEMA IF NOT EXISTS scratch").state == "SUCCEEDED"
    assert lake.run("CREATE TABLE scratch.t AS SELECT 1 AS a").state == "SUCCEEDED"
    restricted = lake.run("DROP DATABASE scratch")
    assert restricted.error is not None and "is not empty" in restricted.error.message
    assert lake.run("DROP DATABASE scratch CASCADE").state == "SUCCEEDED"
    assert "scratch" not in text_lines(lake, lake.run("SHOW DATABASES"))
    assert lake.run("DROP DATABASE IF EXISTS scratch").state == "SUCCEEDED"
