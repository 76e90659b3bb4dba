"""Query silver with Athena SQL on ENV (the local cloud by default) through awswrangler.

    python -m scripts.query --sql "SELECT dt, count(*) FROM shipments GROUP BY dt"
    python -m scripts.query --named shipment-weight-per-day --out weights.parquet
    python -m scripts.query --list
    python -m scripts.query --verify      # every saved query runs; rows per partition = Parquet's

The query runs in the stack's Athena workgroup (``athena_workgroup``) against its Glue database
(``glue_database_name``); bare table names resolve there. On the local cloud the same API calls are
answered by the emulator's Athena (DuckDB behind Athena's SQL dialect), so what works here works
on AWS. ``--out`` writes the answer as CSV or Parquet (by the file's suffix).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from elt.layout import SILVER_PREFIX
from scripts.stack import StackError, client, outputs, wrangler_session

if TYPE_CHECKING:
    import boto3
    import pandas as pd

console = Console()
DEFAULT_MAX_ROWS = 50
#: The quick look at silver `make demo` ends with (saved queries of modules/pipeline/queries.tf):
#: the newest shipments, rows per partition, and weights and distinct shipments per day.
QUICK_QUERIES = ("latest-shipments", "silver-rows-per-day", "shipment-weight-per-day")


class QueryError(RuntimeError):
    """The query could not run (no workgroup, unknown saved query, or Athena said it failed)."""


@dataclass(frozen=True)
class SavedQuery:
    name: str
    description: str
    database: str
    sql: str


@dataclass(frozen=True)
class Answer:
    sql: str
    frame: pd.DataFrame
    query_id: str
    scanned_bytes: int
    engine_ms: int


def saved_queries(athena: Any, workgroup: str) -> dict[str, SavedQuery]:
    """The workgroup's named queries by name (Terraform's modules/pipeline/queries.tf)."""
    ids: list[str] = []
    for page in athena.get_paginator("list_named_queries").paginate(WorkGroup=workgroup):
        ids.extend(page["NamedQueryIds"])
    found: dict[str, SavedQuery] = {}
    for start in range(0, len(ids), 50):  # BatchGetNamedQuery takes at most 50 ids
        for q in athena.batch_get_named_query(NamedQueryIds=ids[start : start + 50])["NamedQueries"]:
            found[q["Name"]] = SavedQuery(q["Name"], q.get("Description", ""), q["Database"], q["QueryString"])
    return found


def run(sql: str, *, database: str, workgroup: str, session: boto3.Session, ctas_approach: bool = True) -> Answer:
    """Run ``sql`` and return its answer as a DataFrame (awswrangler reads the result from S3)."""
    import awswrangler as wr

    try:
        frame = wr.athena.read_sql_query(
            sql, database=database, workgroup=workgroup, ctas_approach=ctas_approach, boto3_session=session
        )
    except (wr.exceptions.QueryFailed, wr.exceptions.InvalidCtasApproachQuery) as exc:
        raise QueryError(str(exc)) from exc
    meta = frame.query_metadata
    stats = meta.get("Statistics", {})
    return Answer(
        sql=sql,
        frame=frame,
        query_id=meta["QueryExecutionId"],
        scanned_bytes=int(stats.get("DataScannedInBytes", 0)),
        engine_ms=int(stats.get("EngineExecutionTimeInMillis", 0)),
    )


def run_saved(names: tuple[str, ...], *, workgroup: str, session: boto3.Session) -> list[tuple[SavedQuery, Answer]]:
    """Run the workgroup's saved queries ``names``, in order."""
    named = saved_queries(client("athena"), workgroup)
    missing = [n for n in names if n not in named]
    if missing:
        raise QueryError(f"no saved queries {', '.join(missing)}; saved: {', '.join(sorted(named))}")
    return [(named[n], run(named[n].sql, database=named[n].database, workgroup=workgroup, session=session))
            for n in names]  # fmt: skip


def silver_tables(glue: Any, database: str, silver_bucket: str) -> dict[str, str]:
    """Catalog table of each silver record type, found by location (whatever the table prefix)."""
    root = f"s3://{silver_bucket}/{SILVER_PREFIX}/"
    found: dict[str, str] = {}
    for page in glue.get_paginator("get_tables").paginate(DatabaseName=database):
        for t in page["TableList"]:
            location = t.get("StorageDescriptor", {}).get("Location", "")
            if location.startswith(root):
                found[location.removeprefix(root).strip("/")] = t["Name"]
    return found


def parquet_rows_per_partition(silver_bucket: str, s3: Any = None) -> dict[tuple[str, str], int]:
    """Rows per (record type, dt) of every Parquet file under ``silver/`` (batch and compacted
    files), read from each file's footer through the S3 API: no file is downloaded whole."""
    from demo.report import parquet_rows

    s3 = s3 or client("s3")
    counts: dict[tuple[str, str], int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=silver_bucket, Prefix=f"{SILVER_PREFIX}/"):
        for obj in page.get("Contents", []):
            parts = obj["Key"].split("/")
            if not obj["Key"].endswith(".parquet") or len(parts) < 4 or not parts[2].startswith("dt="):
                continue
            partition = (parts[1], parts[2].removeprefix("dt="))
            counts[partition] = counts.get(partition, 0) + parquet_rows(s3, silver_bucket, obj["Key"], int(obj["Size"]))
    return counts


def compare_rows(engine: str, counted: dict[tuple[str, str], int], parquet: dict[tuple[str, str], int]) -> list[str]:
    """Where an engine's rows per partition differ from the Parquet files'."""
    return [
        f"{rt} dt={dt}: {engine} counts {counted.get((rt, dt), 0):,} rows, its Parquet files hold "
        f"{parquet.get((rt, dt), 0):,}"
        for rt, dt in sorted(set(counted) | set(parquet))
        if counted.get((rt, dt), 0) != parquet.get((rt, dt), 0)
    ]


def verify(named: dict[str, SavedQuery], *, database: str, workgroup: str, silver_bucket: str,
           session: boto3.Session) -> list[str]:  # fmt: skip
    """Run every saved query, then check that Athena's rows per partition of every silver table
    equal the row counts of the partition's Parquet files read through the S3 API. Returns the
    problems (empty: verified)."""
    problems: list[str] = []
    for q in named.values():
        try:
            answer = run(q.sql, database=q.database, workgroup=workgroup, session=session)
            console.print(f"  saved query {q.name}: {len(answer.frame):,} rows")
        except QueryError as exc:
            problems.append(f"saved query {q.name} failed: {exc}")
    parquet = parquet_rows_per_partition(silver_bucket)
    tables = silver_tables(client("glue"), database, silver_bucket)
    athena: dict[tuple[str, str], int] = {}
    for record_type in sorted({rt for rt, _ in parquet} | set(tables)):
        if record_type not in tables:
            problems.append(f"silver/{record_type}/ has no table in the catalog {database}")
            continue
        sql = f'SELECT dt, count(*) AS row_count FROM "{tables[record_type]}" GROUP BY dt'
        for row in run(sql, database=database, workgroup=workgroup, session=session).frame.itertuples(index=False):
            athena[(record_type, str(row.dt))] = int(row.row_count)
    console.print(f"  rows per partition: {len(parquet)} partitions, {sum(parquet.values()):,} rows compared")
    return problems + compare_rows("Athena", athena, parquet)


def table_of(frame: pd.DataFrame, title: str, max_rows: int = DEFAULT_MAX_ROWS) -> Table:
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        # One line per row (long values end in "…"): a table that wraps cells is hard to scan.
        table.add_column(str(column), justify="right" if frame[column].dtype.kind in "iuf" else "left", no_wrap=True)
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*("" if _is_null(v) else str(v) for v in row))
    if len(frame) > max_rows:
        table.caption = f"{max_rows} of {len(frame):,} rows shown"
    return table


def _is_null(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value)) if not isinstance(value, list | tuple | dict) else False


def write(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        raise QueryError(f"--out {path}: the suffix must be .csv or .parquet")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--sql", help="Athena SQL to run")
    what.add_argument("--named", metavar="NAME", help="run a saved (named) query of the workgroup")
    what.add_argument("--list", action="store_true", help="list the workgroup's saved queries")
    what.add_argument(
        "--verify",
        action="store_true",
        help="run every saved query and check rows per partition against the Parquet files (exit 1 if not equal)",
    )
    parser.add_argument("--out", type=Path, help="also write the answer to this .csv or .parquet file")
    parser.add_argument(
        "--no-ctas",
        dest="ctas_approach",
        action="store_false",
        help="read the query's CSV result instead of wrapping it in CREATE TABLE AS (awswrangler's ctas_approach)",
    )
    parser.add_argument("--max-rows", type=int, default=DEFAULT_MAX_ROWS, help="rows to print (default 50)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        out = outputs()
        workgroup, database = out.get("athena_workgroup"), out.get("glue_database_name")
        if not workgroup or not database:
            raise QueryError("this stack has no Athena workgroup or Glue database (athena_enabled, glue_enabled)")
        named = saved_queries(client("athena"), workgroup)
        if args.list:
            for q in named.values():
                console.print(f"[cyan]{q.name}[/cyan]  {q.description}")
            return 0
        if args.verify:
            problems = verify(named, database=database, workgroup=workgroup, silver_bucket=out["silver_bucket"],
                              session=wrangler_session())  # fmt: skip
            for problem in problems:
                console.print(f"[red]FAILED[/red]: {problem}")
            return 1 if problems else 0
        if args.named and args.named not in named:
            raise QueryError(f"no saved query {args.named!r}; saved queries: {', '.join(sorted(named))}")
        sql = named[args.named].sql if args.named else args.sql
        answer = run(sql, database=database, workgroup=workgroup, session=wrangler_session(),
                     ctas_approach=args.ctas_approach)  # fmt: skip
        if args.out:
            write(answer.frame, args.out)
    except (StackError, QueryError) as exc:
        console.print(f"[red]error[/red]: {exc}")
        return 1
    console.print(table_of(answer.frame, args.named or "query", args.max_rows))
    console.print(f"{len(answer.frame):,} rows; scanned {answer.scanned_bytes:,} bytes in {answer.engine_ms:,} ms "
                  f"(query {answer.query_id})" + (f"; written to {args.out}" if args.out else ""))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
