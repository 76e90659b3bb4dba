"""The local cloud's Athena API against a real emulator (``python -m localcloud up`` on a free port)
and the real query worker, driven with plain boto3 and with awswrangler.

Athena as it documents its API: an execution is QUEUED, RUNNING, then SUCCEEDED, FAILED or
CANCELLED; the result location is the workgroup's when it enforces its configuration; results are
paged at most 1,000 rows at a time, the header row first; GetQueryResults answers only for a
SUCCEEDED query. Each test fails on the emulator's canned behaviour (moto runs nothing).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from localcloud import athena_runner
from localcloud.athena_runner import FINISHED, AthenaLimits, AthenaRunner, QueryExecution, new_execution_id, parse_csv
from localcloud.settings import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, LocalCloudSettings
from localcloud.throwaway import RunningEmulator, free_port, running_emulator

BUCKET = "athena-api-test"
DATABASE = "athena_api_db"
TABLE = "events"
ENFORCED, OPEN = "enforced-wg", "open-wg"
RESULTS = f"s3://{BUCKET}/athena-results/"
ROWS = 2_500
#: The emulator's query timeout in these tests: short, so the timeout test does not wait long.
TIMEOUT_S = 12
#: Runs until stopped or timed out: 10^12 rows, of sequences within Athena's 10,000 entries.
ENDLESS = (
    "SELECT count(*) FROM UNNEST(sequence(1, 10000)) a(x) CROSS JOIN UNNEST(sequence(1, 10000)) b(y) "
    "CROSS JOIN UNNEST(sequence(1, 10000)) c(z)"
)


def events_table() -> pa.Table:
    ids = list(range(ROWS))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "name": pa.array([None if i % 7 == 0 else f"event-{i}" for i in ids], pa.string()),
            "amount": pa.array([i * 3 for i in ids], pa.int64()),
        }
    )


def _seed(cloud: RunningEmulator) -> None:
    s3, glue, athena = cloud.client("s3"), cloud.client("glue"), cloud.client("athena")
    s3.create_bucket(Bucket=BUCKET)
    buffer = io.BytesIO()
    pq.write_table(events_table(), buffer)
    s3.put_object(Bucket=BUCKET, Key=f"data/{TABLE}/part-0.parquet", Body=buffer.getvalue())
    glue.create_database(DatabaseInput={"Name": DATABASE})
    glue.create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": TABLE,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "id", "Type": "bigint"},
                    {"Name": "name", "Type": "string"},
                    {"Name": "amount", "Type": "bigint"},
                ],
                "Location": f"s3://{BUCKET}/data/{TABLE}/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            },
        },
    )
    athena.create_work_group(
        Name=ENFORCED,
        Configuration={
            "EnforceWorkGroupConfiguration": True,
            "PublishCloudWatchMetricsEnabled": True,
            "BytesScannedCutoffPerQuery": 10 * 1024**3,
            "ResultConfiguration": {
                "OutputLocation": RESULTS,
                "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
            },
        },
    )
    athena.create_work_group(Name=OPEN, Configuration={"EnforceWorkGroupConfiguration": False})


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """The emulator on a free port with a private state dir, always stopped."""
    with running_emulator(
        tmp_path_factory.mktemp("athena") / "state", LOCAL_ATHENA_TIMEOUT_SECONDS=str(TIMEOUT_S)
    ) as emulator:
        _seed(emulator)
        yield emulator


@pytest.fixture(scope="module")
def athena(cloud: RunningEmulator) -> Any:
    return cloud.client("athena")


def start(athena: Any, sql: str, workgroup: str = ENFORCED, **kwargs: Any) -> str:
    context = {"Database": DATABASE, "Catalog": "AwsDataCatalog"}
    response = athena.start_query_execution(
        QueryString=sql, WorkGroup=workgroup, QueryExecutionContext=context, **kwargs
    )
    return str(response["QueryExecutionId"])


def wait(athena: Any, query_id: str, timeout: float = 60) -> tuple[dict[str, Any], list[str]]:
    """The finished execution and every state seen while polling."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution, seen
        time.sleep(0.1)
    raise AssertionError(f"query {query_id} still {seen[-1]} after {timeout}s")


def wait_for_state(athena: Any, query_id: str, state: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] != state:
        assert time.monotonic() < deadline, f"query {query_id} never {state}"
        time.sleep(0.1)


def values(rows: list[dict[str, Any]]) -> list[list[str | None]]:
    return [[cell.get("VarCharValue") for cell in row["Data"]] for row in rows]


def test_select_1_round_trip(cloud: RunningEmulator, athena: Any) -> None:
    query_id = start(athena, "SELECT 1 AS x")
    execution, seen = wait(athena, query_id)

    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert seen[-1] == "SUCCEEDED" and set(seen) <= {"QUEUED", "RUNNING", "SUCCEEDED"}
    assert execution["StatementType"] == "DML"
    assert execution["Query"] == "SELECT 1 AS x"
    assert execution["WorkGroup"] == ENFORCED
    assert execution["QueryExecutionContext"] == {"Database": DATABASE, "Catalog": "AwsDataCatalog"}
    status, statistics = execution["Status"], execution["Statistics"]
    assert status["SubmissionDateTime"] <= status["CompletionDateTime"]
    assert statistics["TotalExecutionTimeInMillis"] >= statistics["QueryQueueTimeInMillis"]
    assert statistics["TotalExecutionTimeInMillis"] > 0
    assert {"EngineExecutionTimeInMillis", "DataScannedInBytes"} <= set(statistics)
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"{RESULTS}{query_id}.csv"
    assert execution["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}

    results = athena.get_query_results(QueryExecutionId=query_id)
    assert values(results["ResultSet"]["Rows"]) == [["x"], ["1"]]
    (column,) = results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert (column["Name"], column["Label"], column["Type"], column["Nullable"]) == ("x", "x", "integer", "UNKNOWN")
    assert column["CatalogName"] == "hive" and column["CaseSensitive"] is False
    assert results["UpdateCount"] == 0 and "NextToken" not in results
    runtime = athena.get_query_runtime_statistics(QueryExecutionId=query_id)["QueryRuntimeStatistics"]
    assert runtime["Rows"]["OutputRows"] == 1
    assert runtime["Timeline"]["TotalExecutionTimeInMillis"] == statistics["TotalExecutionTimeInMillis"]
    # The workgroup's encryption applies to the result file.
    head = cloud.client("s3").head_object(Bucket=BUCKET, Key=location.removeprefix(f"s3://{BUCKET}/"))
    assert head["ServerSideEncryption"] == "AES256"


def test_table_paginated_equals_parquet(athena: Any) -> None:
    query_id = start(athena, f"SELECT id, name, amount FROM {TABLE} ORDER BY id")
    execution, _ = wait(athena, query_id)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["Statistics"]["DataScannedInBytes"] > 0

    pages = list(athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id))
    rows = [row for page in pages for row in values(page["ResultSet"]["Rows"])]

    assert len(pages) == 3  # 2,501 rows (the header first) at most 1,000 a page
    assert rows[0] == ["id", "name", "amount"]
    expected = [[str(r["id"]), r["name"], str(r["amount"])] for r in events_table().to_pylist()]
    assert rows[1:] == expected  # NULL is {} (no VarCharValue), as Athena returns it
    types = [
        (c["Name"], c["Type"], c["CaseSensitive"]) for c in pages[0]["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    ]
    assert types == [("id", "bigint", False), ("name", "varchar", True), ("amount", "bigint", False)]
    small = athena.get_query_results(QueryExecutionId=query_id, MaxResults=10)
    assert len(small["ResultSet"]["Rows"]) == 10 and small["NextToken"]
    with pytest.raises(ClientError, match="InvalidRequestException"):
        athena.get_query_results(QueryExecutionId=query_id, MaxResults=1001)


def test_syntax_error_fails_with_athena_error(athena: Any) -> None:
    query_id = start(athena, "SELEC 1")
    execution, _ = wait(athena, query_id)

    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert status["AthenaError"]["ErrorCategory"] == 2  # a user error
    assert status["AthenaError"]["ErrorMessage"] == status["StateChangeReason"]
    assert status["AthenaError"]["Retryable"] is False
    with pytest.raises(ClientError) as raised:
        athena.get_query_results(QueryExecutionId=query_id)
    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"
    assert raised.value.response["Error"]["Message"] == status["StateChangeReason"]


def test_ddl_result_is_text_without_header(athena: Any) -> None:
    query_id = start(athena, "SHOW TABLES")
    execution, _ = wait(athena, query_id)

    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["StatementType"] in ("DDL", "UTILITY")  # the engine classifies SHOW
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{RESULTS}{query_id}.txt"
    rows = values(athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"])
    assert [TABLE] in rows and ["tab_name"] not in rows


def test_ctas_reports_manifest_and_update_count(cloud: RunningEmulator, athena: Any) -> None:
    sql = f"CREATE TABLE big_events WITH (format = 'PARQUET') AS SELECT id FROM {TABLE} WHERE amount >= 300"
    execution, _ = wait(athena, start(athena, sql))

    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    manifest = execution["Statistics"]["DataManifestLocation"]
    bucket, _, key = manifest.removeprefix("s3://").partition("/")
    files = cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode().split()
    assert files and all(f.startswith("s3://") for f in files)
    results = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert results["UpdateCount"] == ROWS - 100  # the rows it wrote: amount = 3 * id


def test_execution_parameters_are_bound(athena: Any) -> None:
    query_id = start(athena, "SELECT ? AS n, '?' AS q", ExecutionParameters=["42"])
    execution, _ = wait(athena, query_id)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["ExecutionParameters"] == ["42"]
    assert values(athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]) == [["n", "q"], ["42", "?"]]

    failed, _ = wait(athena, start(athena, "SELECT ? AS n", ExecutionParameters=["1", "2"]))
    assert failed["Status"]["State"] == "FAILED"
    assert failed["Status"]["AthenaError"]["ErrorCategory"] == 2


def test_stop_cancels_running_and_queued_queries(athena: Any) -> None:
    """Two queries run at once at most; a third waits QUEUED. Stopping kills the workers."""
    running = [start(athena, ENDLESS) for _ in range(2)]
    for query_id in running:
        wait_for_state(athena, query_id, "RUNNING")
    queued = start(athena, "SELECT 1")
    time.sleep(0.5)
    assert athena.get_query_execution(QueryExecutionId=queued)["QueryExecution"]["Status"]["State"] == "QUEUED"
    with pytest.raises(ClientError, match=r"Query has not yet finished\. Current state: RUNNING"):
        athena.get_query_results(QueryExecutionId=running[0])

    for query_id in [*running, queued]:
        athena.stop_query_execution(QueryExecutionId=query_id)
    for query_id in [*running, queued]:
        execution, _ = wait(athena, query_id, timeout=10)
        assert execution["Status"]["State"] == "CANCELLED"
        assert "CompletionDateTime" in execution["Status"]
    athena.stop_query_execution(QueryExecutionId=running[0])  # idempotent
    assert athena.get_query_execution(QueryExecutionId=running[0])["QueryExecution"]["Status"]["State"] == "CANCELLED"
    with pytest.raises(ClientError, match="InvalidRequestException"):
        athena.get_query_results(QueryExecutionId=running[0])
    # The slots are free again.
    assert wait(athena, start(athena, "SELECT 2"))[0]["Status"]["State"] == "SUCCEEDED"


def test_query_past_the_timeout_fails(athena: Any) -> None:
    query_id = start(athena, ENDLESS)
    execution, _ = wait(athena, query_id, timeout=TIMEOUT_S + 20)

    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"] == "Query timeout"
    assert execution["Status"]["AthenaError"]["ErrorCategory"] == 1


def test_result_location(athena: Any) -> None:
    elsewhere = f"s3://{BUCKET}/elsewhere/"
    enforced = start(athena, "SELECT 1", ResultConfiguration={"OutputLocation": elsewhere})
    chosen = start(athena, "SELECT 1", workgroup=OPEN, ResultConfiguration={"OutputLocation": elsewhere})

    assert wait(athena, enforced)[0]["ResultConfiguration"]["OutputLocation"] == f"{RESULTS}{enforced}.csv"
    assert wait(athena, chosen)[0]["ResultConfiguration"]["OutputLocation"] == f"{elsewhere}{chosen}.csv"
    with pytest.raises(ClientError, match="No output location provided"):
        start(athena, "SELECT 1", workgroup=OPEN)


def test_unknown_or_disabled_workgroup_rejected(athena: Any) -> None:
    with pytest.raises(ClientError) as raised:
        start(athena, "SELECT 1", workgroup="no-such-workgroup")
    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"

    athena.create_work_group(Name="disabled-wg", Configuration={"ResultConfiguration": {"OutputLocation": RESULTS}})
    athena.update_work_group(WorkGroup="disabled-wg", State="DISABLED")
    assert athena.get_work_group(WorkGroup="disabled-wg")["WorkGroup"]["State"] == "DISABLED"
    with pytest.raises(ClientError, match="disabled"):
        start(athena, "SELECT 1", workgroup="disabled-wg")


def test_client_request_token_is_idempotent(athena: Any) -> None:
    first = start(athena, "SELECT 3", ClientRequestToken="token-0123456789abcdef0123456789abcdef")
    again = start(athena, "SELECT 3", ClientRequestToken="token-0123456789abcdef0123456789abcdef")
    assert first == again
    with pytest.raises(ClientError, match="InvalidRequestException"):
        start(athena, "SELECT 4", ClientRequestToken="token-0123456789abcdef0123456789abcdef")


def test_list_and_batch_get_executions(athena: Any) -> None:
    started = [start(athena, f"SELECT {i}") for i in range(3)]
    for query_id in started:
        wait(athena, query_id)

    pages = list(
        athena.get_paginator("list_query_executions").paginate(WorkGroup=ENFORCED, PaginationConfig={"PageSize": 2})
    )
    listed = [query_id for page in pages for query_id in page["QueryExecutionIds"]]
    assert listed[:3] == started[::-1]  # newest first
    assert len(listed) == len(set(listed)) and all(len(page["QueryExecutionIds"]) <= 2 for page in pages)
    assert not set(started) & set(athena.list_query_executions(WorkGroup=OPEN)["QueryExecutionIds"])

    batch = athena.batch_get_query_execution(QueryExecutionIds=[*started, "no-such-id"])
    assert [e["QueryExecutionId"] for e in batch["QueryExecutions"]] == started
    assert {e["Status"]["State"] for e in batch["QueryExecutions"]} == {"SUCCEEDED"}
    assert [u["QueryExecutionId"] for u in batch["UnprocessedQueryExecutionIds"]] == ["no-such-id"]


def test_work_group_configuration_and_named_queries(athena: Any) -> None:
    configuration = athena.get_work_group(WorkGroup=ENFORCED)["WorkGroup"]["Configuration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert configuration["ResultConfiguration"] == {
        "OutputLocation": RESULTS,
        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
    }

    query_id = athena.create_named_query(
        Name="all-events", Database=DATABASE, WorkGroup=ENFORCED, QueryString=f"SELECT * FROM {TABLE}"
    )["NamedQueryId"]
    named = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
    assert (named["QueryString"], named["Database"], named["WorkGroup"]) == (
        f"SELECT * FROM {TABLE}",
        DATABASE,
        ENFORCED,
    )
    assert athena.list_named_queries(WorkGroup=ENFORCED)["NamedQueryIds"] == [query_id]
    batch = athena.batch_get_named_query(NamedQueryIds=[query_id, "no-such-id"])
    assert [q["Name"] for q in batch["NamedQueries"]] == ["all-events"]
    assert [u["NamedQueryId"] for u in batch["UnprocessedNamedQueryIds"]] == ["no-such-id"]
    with pytest.raises(ClientError, match="InvalidRequestException"):
        athena.get_named_query(NamedQueryId="no-such-id")


@pytest.fixture
def wrangler(cloud: RunningEmulator) -> Iterator[Any]:
    """awswrangler pointed at the emulator (its clients are built from wr.config)."""
    import awswrangler as wr
    import boto3

    for service in ("s3", "athena", "glue", "sts"):
        setattr(wr.config, f"{service}_endpoint_url", cloud.endpoint)
    try:
        yield boto3.Session(
            aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY, region_name=REGION
        )
    finally:
        wr.config.reset()


@pytest.mark.parametrize("ctas_approach", [False, True])
def test_awswrangler_read_sql_query(wrangler: Any, ctas_approach: bool) -> None:
    import awswrangler as wr

    sql = f"SELECT id, name, amount FROM {TABLE} WHERE amount >= 300 ORDER BY id"
    frame = wr.athena.read_sql_query(
        sql, database=DATABASE, workgroup=ENFORCED, ctas_approach=ctas_approach, boto3_session=wrangler
    )

    expected = [r for r in events_table().to_pylist() if r["amount"] >= 300]
    got = frame.sort_values("id").to_dict("records")
    assert [
        (int(r["id"]), None if r["name"] is None or r["name"] != r["name"] else r["name"], int(r["amount"]))
        for r in got
    ] == [(r["id"], r["name"], r["amount"]) for r in expected]


@pytest.mark.parametrize(
    ("worker", "expected"),
    [("json.tool", "(exit 0)"), ("localcloud.no_such_worker", "No module named localcloud.no_such_worker")],
)
def test_worker_crash_or_garbage_is_a_system_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: str, expected: str
) -> None:
    """A worker that answers no outcome (json.tool echoes the request) or exits non-zero fails the
    query as Athena's internal error, with the worker's output in the reason. No emulator needed."""
    monkeypatch.setattr(athena_runner, "WORKER_MODULE", worker)
    runner = AthenaRunner(LocalCloudSettings(port=free_port(), state_dir=tmp_path), AthenaLimits(30, 256, 1))
    execution = QueryExecution(id=new_execution_id(), sql="SELECT 1", workgroup="primary", output_dir="s3://b/r/")
    runner.submit(execution)
    deadline = time.monotonic() + 30
    while execution.state not in FINISHED:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    assert execution.state == "FAILED" and execution.error is not None
    assert (execution.error.category, execution.error.type) == (1, 200)
    assert expected in execution.error.message
    assert f"END QueryExecution {execution.id} exit" in (tmp_path / "logs" / "athena.log").read_text()


def test_result_csv_parsing() -> None:
    """Athena's CSV: quoted values (commas, newlines and doubled quotes inside), NULL unquoted."""
    text = '"a","b","c"\n"1,5","",\n"line\nbreak","say ""hi""","x"\n'
    assert parse_csv(text) == [["a", "b", "c"], ["1,5", "", None], ["line\nbreak", 'say "hi"', "x"]]
