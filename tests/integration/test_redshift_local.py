"""The local cloud's Redshift against a real emulator (``python -m localcloud up`` on a free port):
the Redshift Serverless control plane through boto3, and statements through the Data API run on
the local engine (DuckDB), over a partitioned Parquet table in the Glue catalog and S3.

Redshift as the Data API documents it: a statement is SUBMITTED, STARTED, then FINISHED, FAILED
(with its Error) or ABORTED; results come typed (longValue, stringValue, isNull, ...) and paged
with NextToken; a batch runs in one transaction. COPY appends, as on Redshift: loading the same
prefix twice doubles the rows (the reason the pipeline's Redshift path is an external schema,
not COPY loads). Each test fails on moto's canned Data API.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from localcloud.throwaway import RunningEmulator, running_emulator
from scripts import redshift_query

BUCKET = "redshift-local-test"
GLUE_DATABASE = "silver_db"
TABLE, BROKEN = "events", "broken"
NAMESPACE, WORKGROUP, DATABASE = "elt-test", "elt-test", "dev"
ROLE = "arn:aws:iam::123456789012:role/elt-test-redshift"
DAYS = ("2024-01-01", "2024-01-02", "2024-01-03")
ROWS_PER_DAY = 90
#: GetStatementResult's page size in these tests (LOCAL_REDSHIFT_PAGE_ROWS): small, to page.
PAGE_ROWS = 100
#: Runs until cancelled: 10^12 rows.
ENDLESS = "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE (a.range + b.range) % 7 = 3"


def day_table(day_index: int) -> pa.Table:
    ids = [day_index * ROWS_PER_DAY + i for i in range(ROWS_PER_DAY)]
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "name": pa.array([None if i % 9 == 0 else f"event-{i}" for i in ids], pa.string()),
            "amount": pa.array([i * 1.5 for i in ids], pa.float64()),
        }
    )


def _seed(cloud: RunningEmulator) -> None:
    s3, glue = cloud.client("s3"), cloud.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    parquet = {
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
    }
    columns = [{"Name": n, "Type": t} for n, t in (("id", "bigint"), ("name", "string"), ("amount", "double"))]
    glue.create_database(DatabaseInput={"Name": GLUE_DATABASE})
    location = f"s3://{BUCKET}/silver/{TABLE}/"
    glue.create_table(
        DatabaseName=GLUE_DATABASE,
        TableInput={
            "Name": TABLE,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {"Columns": columns, "Location": location, **parquet},
        },
    )
    # A table whose only object is not Parquet: reading it must fail, not answer.
    s3.put_object(Bucket=BUCKET, Key=f"silver/{BROKEN}/part-0.parquet", Body=b"not parquet")
    glue.create_table(
        DatabaseName=GLUE_DATABASE,
        TableInput={
            "Name": BROKEN,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": columns, "Location": f"s3://{BUCKET}/silver/{BROKEN}/", **parquet},
        },
    )
    for i, day in enumerate(DAYS):
        buffer = io.BytesIO()
        pq.write_table(day_table(i), buffer)
        s3.put_object(Bucket=BUCKET, Key=f"silver/{TABLE}/dt={day}/batch-{i}.parquet", Body=buffer.getvalue())
        glue.create_partition(
            DatabaseName=GLUE_DATABASE,
            TableName=TABLE,
            PartitionInput={
                "Values": [day],
                "StorageDescriptor": {"Columns": columns, "Location": f"{location}dt={day}/", **parquet},
            },
        )


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """The emulator on a free port with a private state dir, always stopped."""
    with running_emulator(
        tmp_path_factory.mktemp("redshift") / "state", LOCAL_REDSHIFT_PAGE_ROWS=str(PAGE_ROWS)
    ) as emulator:
        _seed(emulator)
        yield emulator


@pytest.fixture(scope="module")
def data(cloud: RunningEmulator) -> Any:
    """The Data API, once the namespace and workgroup exist (created as Terraform creates them)."""
    serverless = cloud.client("redshift-serverless")
    serverless.create_namespace(
        namespaceName=NAMESPACE,
        dbName=DATABASE,
        adminUsername="admin",
        manageAdminPassword=True,
        iamRoles=[ROLE],
        defaultIamRoleArn=ROLE,
        logExports=["userlog"],
        tags=[{"key": "Project", "value": "elt"}],
    )
    serverless.create_workgroup(
        workgroupName=WORKGROUP,
        namespaceName=NAMESPACE,
        baseCapacity=8,
        enhancedVpcRouting=True,
        publiclyAccessible=False,
    )
    return cloud.client("redshift-data")


def execute(data: Any, sql: str, **kwargs: Any) -> str:
    return str(data.execute_statement(WorkgroupName=WORKGROUP, Database=DATABASE, Sql=sql, **kwargs)["Id"])


def wait(data: Any, statement_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described: dict[str, Any] = data.describe_statement(Id=statement_id)
        if described["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return described
        time.sleep(0.1)
    raise AssertionError(f"statement {statement_id} did not finish in {timeout}s")


def run(data: Any, sql: str, **kwargs: Any) -> dict[str, Any]:
    described = wait(data, execute(data, sql, **kwargs))
    assert described["Status"] == "FINISHED", described
    return described


def fail(data: Any, sql: str) -> str:
    described = wait(data, execute(data, sql))
    assert described["Status"] == "FAILED", described
    return str(described["Error"])


def records(data: Any, statement_id: str) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]], int]:
    """(ColumnMetadata, every record, the number of pages), following NextToken."""
    page = data.get_statement_result(Id=statement_id)
    columns, rows, pages = page["ColumnMetadata"], list(page["Records"]), 1
    while "NextToken" in page:
        page = data.get_statement_result(Id=statement_id, NextToken=page["NextToken"])
        rows += page["Records"]
        pages += 1
    assert page["TotalNumRows"] == len(rows)
    return columns, rows, pages


def value(field: dict[str, Any]) -> Any:
    (kind, found), *_ = field.items()
    return None if kind == "isNull" else found


def rows_of(data: Any, sql: str) -> list[list[Any]]:
    _, found, _ = records(data, run(data, sql)["Id"])
    return [[value(f) for f in row] for row in found]


def silver() -> pa.Table:
    parts = [day_table(i).append_column("dt", pa.array([day] * ROWS_PER_DAY)) for i, day in enumerate(DAYS)]
    return pa.concat_tables(parts)


def external_schema(schema: str, glue_database: str, if_not_exists: bool = False) -> str:
    guard = "IF NOT EXISTS " if if_not_exists else ""
    return f"CREATE EXTERNAL SCHEMA {guard}{schema} FROM DATA CATALOG DATABASE '{glue_database}' IAM_ROLE '{ROLE}'"


@pytest.fixture(scope="module")
def spectrum(data: Any) -> str:
    run(data, external_schema("spectrum", GLUE_DATABASE, if_not_exists=True))
    return "spectrum"


def test_the_serverless_control_plane_serves_what_the_provider_reads(cloud: RunningEmulator, data: Any) -> None:
    serverless = cloud.client("redshift-serverless")
    namespace = serverless.get_namespace(namespaceName=NAMESPACE)["namespace"]
    assert namespace["status"] == "AVAILABLE" and namespace["dbName"] == DATABASE
    assert namespace["iamRoles"] == [f"IamRole(applyStatus=in-sync, iamRoleArn={ROLE})"]
    secret = cloud.client("secretsmanager").describe_secret(SecretId=namespace["adminPasswordSecretArn"])
    assert secret["Name"] == f"redshift!{NAMESPACE}-admin"
    workgroup = serverless.get_workgroup(workgroupName=WORKGROUP)["workgroup"]
    assert workgroup["status"] == "AVAILABLE" and workgroup["endpoint"]["address"] == "127.0.0.1"
    assert (workgroup["baseCapacity"], workgroup["enhancedVpcRouting"], workgroup["publiclyAccessible"]) == (
        8,
        True,
        False,
    )
    tags = serverless.list_tags_for_resource(resourceArn=namespace["namespaceArn"])["tags"]
    assert tags == [{"key": "Project", "value": "elt"}]
    updated = serverless.update_workgroup(workgroupName=WORKGROUP, baseCapacity=16)["workgroup"]
    assert updated["baseCapacity"] == 16
    assert [w["workgroupName"] for w in serverless.list_workgroups()["workgroups"]] == [WORKGROUP]
    with pytest.raises(ClientError) as conflict:
        serverless.delete_namespace(namespaceName=NAMESPACE)
    assert conflict.value.response["Error"]["Code"] == "ConflictException"
    serverless.create_namespace(namespaceName="short-lived")
    serverless.delete_namespace(namespaceName="short-lived")
    with pytest.raises(ClientError) as missing:
        serverless.get_namespace(namespaceName="short-lived")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_external_schema_query_equals_the_parquet_files(data: Any, spectrum: str) -> None:
    sql = f"SELECT dt, count(*), sum(amount), count(name) FROM {spectrum}.{TABLE} GROUP BY dt ORDER BY dt"
    answer = rows_of(data, sql)

    expected = silver().group_by("dt").aggregate([("id", "count"), ("amount", "sum"), ("name", "count")])
    expected = expected.sort_by("dt")
    assert answer == [
        [dt, n, total, named]
        for dt, n, total, named in zip(
            expected["dt"].to_pylist(),
            expected["id_count"].to_pylist(),
            expected["amount_sum"].to_pylist(),
            expected["name_count"].to_pylist(),
            strict=True,
        )
    ]
    # A partition filter reads its partition only; the answer is still the files'.
    (count,) = rows_of(data, f"SELECT count(*) AS n FROM {spectrum}.{TABLE} WHERE dt = '{DAYS[1]}'")
    assert count == [ROWS_PER_DAY]
    # IF NOT EXISTS: again, nothing happens; without it, the schema exists.
    run(data, external_schema(spectrum, "other", if_not_exists=True))
    error = fail(data, external_schema(spectrum, GLUE_DATABASE))
    assert error == f'ERROR: Schema "{spectrum}" already exists'


def test_results_are_typed_and_paged(data: Any, spectrum: str) -> None:
    described = run(data, f"SELECT id, name, amount, dt, id < 5 AS early FROM {spectrum}.{TABLE} ORDER BY id")
    assert described["HasResultSet"] is True and described["ResultRows"] == len(DAYS) * ROWS_PER_DAY

    columns, found, pages = records(data, described["Id"])

    assert pages == -(-len(DAYS) * ROWS_PER_DAY // PAGE_ROWS) == 3
    assert [(c["name"], c["typeName"]) for c in columns] == [
        ("id", "int8"),
        ("name", "varchar"),
        ("amount", "float8"),
        ("dt", "varchar"),
        ("early", "bool"),
    ]
    expected = silver().sort_by("id")
    assert [f["longValue"] for f in (row[0] for row in found)] == expected["id"].to_pylist()
    assert [value(row[1]) for row in found] == expected["name"].to_pylist()
    assert found[0][1] == {"isNull": True} and found[1][1] == {"stringValue": "event-1"}
    assert found[1][2] == {"doubleValue": 1.5} and found[0][4] == {"booleanValue": True}
    assert [value(row[3]) for row in found] == expected["dt"].to_pylist()


def test_parameters_are_bound(data: Any, spectrum: str) -> None:
    parameters = [{"name": "first", "value": "10"}, {"name": "day", "value": DAYS[0]}]
    sql = f"SELECT id FROM {spectrum}.{TABLE} WHERE id < :first AND dt = :day ORDER BY id"
    _, found, _ = records(data, run(data, sql, Parameters=parameters)["Id"])
    assert [value(row[0]) for row in found] == list(range(10))


def test_copy_appends_parquet_into_a_local_table(data: Any) -> None:
    run(data, "CREATE TABLE loaded (id BIGINT ENCODE az64, name VARCHAR(64), amount FLOAT8) DISTSTYLE AUTO SORTKEY(id)")
    copy = f"COPY loaded FROM 's3://{BUCKET}/silver/{TABLE}/dt={DAYS[0]}/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET"

    assert run(data, copy)["ResultRows"] == ROWS_PER_DAY
    assert rows_of(data, "SELECT count(*), sum(amount) FROM loaded") == [
        [ROWS_PER_DAY, pc.sum(day_table(0)["amount"]).as_py()]
    ]
    # As on Redshift, COPY appends: a second load of the same files doubles the rows.
    run(data, copy)
    assert rows_of(data, "SELECT count(*), count(DISTINCT id) FROM loaded") == [[2 * ROWS_PER_DAY, ROWS_PER_DAY]]
    # Local tables take the rest of the DML.
    assert run(data, "DELETE FROM loaded WHERE id >= 45")["ResultRows"] == 2 * (ROWS_PER_DAY - 45)
    assert run(data, "INSERT INTO loaded VALUES (1000, 'late', 2.0)")["ResultRows"] == 1
    assert rows_of(data, "SELECT max(id) FROM public.loaded") == [[1000]]


def test_failures_are_redshift_errors(data: Any, spectrum: str) -> None:
    assert fail(data, "SELECT * FROM no_such_table").startswith("ERROR: ")
    assert "no_such_table" in fail(data, "SELECT * FROM no_such_table")
    assert fail(data, f"SELECT * FROM {spectrum}.nothing") == f'ERROR: relation "{spectrum}.nothing" does not exist'
    unreadable = fail(data, f"SELECT count(*) FROM {spectrum}.{BROKEN}")
    assert f"s3://{BUCKET}/silver/{BROKEN}/part-0.parquet" in unreadable and "internal error" not in unreadable
    unload = f"UNLOAD ('SELECT 1') TO 's3://{BUCKET}/out/' IAM_ROLE '{ROLE}'"
    assert "not supported on the local cloud" in fail(data, unload)
    assert "not supported on the local cloud" in fail(data, f"INSERT INTO {spectrum}.{TABLE} VALUES (1, 'x', 1.0, 'd')")
    assert "FORMAT AS PARQUET" in fail(data, f"COPY loaded FROM 's3://{BUCKET}/silver/' IAM_ROLE '{ROLE}' CSV")
    missing_bucket = fail(data, f"COPY loaded FROM 's3://no-such-bucket/x/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET")
    assert missing_bucket.startswith("ERROR: ListObjectsV2: ")
    assert "ROLLBACK is not supported" in fail(data, "ROLLBACK")
    failed = execute(data, "SELECT 1 +")
    assert wait(data, failed)["Status"] == "FAILED"
    with pytest.raises(ClientError) as no_result:
        data.get_statement_result(Id=failed)
    assert no_result.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as unknown:
        data.describe_statement(Id="00000000-0000-0000-0000-000000000000")
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_batch_is_one_transaction(data: Any) -> None:
    sqls = ["BEGIN", "CREATE TABLE batch_ok (x INT)", "INSERT INTO batch_ok VALUES (1), (2)"]
    sqls.append("SELECT sum(x) FROM batch_ok")
    batch = data.batch_execute_statement(WorkgroupName=WORKGROUP, Database=DATABASE, Sqls=sqls)["Id"]
    described = wait(data, batch)
    assert described["Status"] == "FINISHED"
    assert [s["Status"] for s in described["SubStatements"]] == ["FINISHED"] * 4
    assert described["SubStatements"][2]["ResultRows"] == 2
    assert data.get_statement_result(Id=f"{batch}:4")["Records"] == [[{"longValue": 3}]]

    sqls = ["CREATE TABLE batch_undone (x INT)", "SELECT * FROM missing", "SELECT 1"]
    batch = data.batch_execute_statement(WorkgroupName=WORKGROUP, Database=DATABASE, Sqls=sqls)["Id"]
    described = wait(data, batch)
    assert described["Status"] == "FAILED" and "missing" in described["Error"]
    assert [s["Status"] for s in described["SubStatements"]] == ["FINISHED", "FAILED", "ABORTED"]
    assert "batch_undone" in fail(data, "SELECT * FROM batch_undone")  # rolled back with the batch


def test_cancel_aborts_a_running_statement(data: Any) -> None:
    statement = execute(data, ENDLESS, StatementName="endless")
    deadline = time.monotonic() + 30
    while data.describe_statement(Id=statement)["Status"] != "STARTED":
        assert time.monotonic() < deadline, "the statement never started"
        time.sleep(0.05)

    assert data.cancel_statement(Id=statement)["Status"] is True

    assert wait(data, statement, timeout=15)["Status"] == "ABORTED"
    with pytest.raises(ClientError) as finished:
        data.cancel_statement(Id=statement)
    assert finished.value.response["Error"]["Code"] == "ValidationException"
    # The workgroup runs the next statement.
    assert rows_of(data, "SELECT 1") == [[1]]
    listed = data.list_statements(StatementName="endless")["Statements"]
    assert [(s["Id"], s["Status"]) for s in listed] == [(statement, "ABORTED")]


def test_catalog_calls_list_local_and_external_tables(data: Any, spectrum: str) -> None:
    run(data, "CREATE TABLE IF NOT EXISTS catalogued (id BIGINT, label VARCHAR(10), price DECIMAL(10,2))")
    where = {"WorkgroupName": WORKGROUP, "Database": DATABASE}

    assert data.list_databases(**where)["Databases"] == [DATABASE]
    assert {"public", spectrum} <= set(data.list_schemas(**where)["Schemas"])
    assert data.list_schemas(**where, SchemaPattern="spec%")["Schemas"] == [spectrum]
    external = data.list_tables(**where, SchemaPattern=spectrum)["Tables"]
    assert external == [{"name": name, "schema": spectrum, "type": "EXTERNAL TABLE"} for name in (BROKEN, TABLE)]
    local = data.list_tables(**where, SchemaPattern="public", TablePattern="catalog_ed")["Tables"]
    assert local == [{"name": "catalogued", "schema": "public", "type": "TABLE"}]

    described = data.describe_table(**where, Schema=spectrum, Table=TABLE)
    assert [(c["name"], c["typeName"]) for c in described["ColumnList"]] == [
        ("id", "int8"),
        ("name", "varchar"),
        ("amount", "float8"),
        ("dt", "varchar"),
    ]
    described = data.describe_table(**where, Table="catalogued")
    assert [(c["name"], c["typeName"], c["precision"], c["scale"]) for c in described["ColumnList"]] == [
        ("id", "int8", 0, 0),
        ("label", "varchar", 0, 0),
        ("price", "numeric", 10, 2),
    ]


def test_the_query_script_reads_every_page(data: Any, spectrum: str) -> None:
    sql = f"SELECT id, dt FROM {spectrum}.{TABLE} ORDER BY id"
    answer = redshift_query.run(data, WORKGROUP, DATABASE, sql, timeout_s=60)
    assert answer.columns == ["id", "dt"] and answer.result_rows == len(DAYS) * ROWS_PER_DAY
    assert [row[0] for row in answer.rows] == silver().sort_by("id")["id"].to_pylist()
    with pytest.raises(redshift_query.StatementFailed, match="no_such_table"):
        redshift_query.run(data, WORKGROUP, DATABASE, "SELECT * FROM no_such_table", timeout_s=60)
