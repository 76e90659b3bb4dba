"""Query silver from Redshift on ENV (the local cloud by default) through the Data API.

    python -m scripts.redshift_query --sql "SELECT dt, count(*) FROM silver.shipments GROUP BY dt"
    python -m scripts.redshift_query --verify   # rows per partition of every table = Parquet's

The statement runs in the stack's Redshift Serverless workgroup (``redshift_workgroup_name``) and
database (``redshift_database``), where the external schema ``redshift_external_schema`` maps the
silver tables of the Glue catalog: ``<schema>.<record type>``. On the local cloud the same calls
are answered by the emulator's Data API (DuckDB behind Redshift's SQL), so what works here works
on AWS. Needs ``redshift_enabled = true``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from scripts.stack import StackError, client, outputs

console = Console()
DEFAULT_MAX_ROWS = 50
FINISHED = ("FINISHED", "FAILED", "ABORTED")


class StatementFailed(RuntimeError):
    """Redshift reported the statement FAILED or ABORTED (the message is its Error)."""


@dataclass(frozen=True)
class Answer:
    statement_id: str
    columns: list[str]
    rows: list[list[Any]]
    #: Rows returned, or affected by INSERT/UPDATE/DELETE/COPY (-1: the statement reports none).
    result_rows: int
    duration_ms: int


def field_value(field: dict[str, Any]) -> Any:
    """A Data API Field as a Python value (isNull is None)."""
    (kind, value), *_ = field.items()
    return None if kind == "isNull" else value


def wait(data: Any, statement_id: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        described: dict[str, Any] = data.describe_statement(Id=statement_id)
        if described["Status"] in FINISHED:
            return described
        if time.monotonic() > deadline:
            data.cancel_statement(Id=statement_id)
            raise StatementFailed(
                f"statement {statement_id} still {described['Status']} after {timeout_s:.0f}s: cancelled"
            )
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def run(data: Any, workgroup: str, database: str, sql: str, timeout_s: float = 300) -> Answer:
    """Execute ``sql``, wait for it, and read every page of its result."""
    statement_id = data.execute_statement(WorkgroupName=workgroup, Database=database, Sql=sql)["Id"]
    described = wait(data, statement_id, timeout_s)
    if described["Status"] != "FINISHED":
        raise StatementFailed(described.get("Error") or f"statement {statement_id} {described['Status']}")
    columns: list[str] = []
    rows: list[list[Any]] = []
    if described.get("HasResultSet"):
        page = data.get_statement_result(Id=statement_id)
        columns = [c["name"] for c in page["ColumnMetadata"]]
        rows = [[field_value(f) for f in record] for record in page["Records"]]
        while "NextToken" in page:
            page = data.get_statement_result(Id=statement_id, NextToken=page["NextToken"])
            rows += [[field_value(f) for f in record] for record in page["Records"]]
    duration_ms = max(int(described.get("Duration", -1)) // 1_000_000, 0)
    return Answer(statement_id, columns, rows, int(described.get("ResultRows", -1)), duration_ms)


def render(answer: Answer, max_rows: int) -> None:
    if not answer.columns:
        affected = f"{answer.result_rows} rows affected" if answer.result_rows >= 0 else "done"
        console.print(f"[green]{affected}[/] in {answer.duration_ms} ms (statement {answer.statement_id})")
        return
    table = Table(*answer.columns, title=f"{len(answer.rows)} rows in {answer.duration_ms} ms")
    for row in answer.rows[:max_rows]:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console.print(table)
    if len(answer.rows) > max_rows:
        console.print(f"[dim]first {max_rows} of {len(answer.rows)} rows (--max-rows)[/]")


def verify(data: Any, stack: dict[str, Any]) -> list[str]:
    """Redshift's rows per partition of every silver table (through the external schema) against
    the row counts of the partitions' Parquet files read through the S3 API. Returns the problems."""
    from scripts.query import compare_rows, parquet_rows_per_partition, silver_tables

    schema, bucket = stack["redshift_external_schema"], stack["silver_bucket"]
    parquet = parquet_rows_per_partition(bucket)
    tables = silver_tables(client("glue"), stack["glue_database_name"], bucket)
    counted: dict[tuple[str, str], int] = {}
    for record_type, table in sorted(tables.items()):
        sql = f"SELECT dt, count(*) AS row_count FROM {schema}.{table} GROUP BY dt"
        for dt, rows in run(data, stack["redshift_workgroup_name"], stack["redshift_database"], sql).rows:
            counted[(record_type, str(dt))] = int(rows)
    console.print(f"  rows per partition: {len(parquet)} partitions, {sum(parquet.values()):,} rows compared")
    missing = [f"silver/{rt}/ has no table in the catalog" for rt in sorted({rt for rt, _ in parquet} - set(tables))]
    return missing + compare_rows("Redshift", counted, parquet)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--sql", help="Redshift SQL; silver tables are <external schema>.<table>")
    what.add_argument("--verify", action="store_true", help="check rows per partition against the Parquet files")
    parser.add_argument("--max-rows", type=int, default=DEFAULT_MAX_ROWS, help="rows to print")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before the statement is cancelled")
    args = parser.parse_args(argv)
    try:
        stack = outputs()
        workgroup, database = stack.get("redshift_workgroup_name"), stack.get("redshift_database")
        if not workgroup or not database:
            raise StackError("the stack has no Redshift workgroup: set redshift_enabled = true and apply")
        if args.verify:
            problems = verify(client("redshift-data"), stack)
            for problem in problems:
                console.print(f"[red]FAILED[/red]: {problem}", highlight=False)
            return 1 if problems else 0
        answer = run(client("redshift-data"), workgroup, database, args.sql, args.timeout)
    except (StackError, StatementFailed) as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        return 1
    console.print(f"[dim]external schema: {stack.get('redshift_external_schema')}[/]")
    render(answer, args.max_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
