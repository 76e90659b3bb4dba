"""Redshift SQL on the local cloud: one namespace's database as a DuckDB file, with Spectrum's
external schemas over the Glue catalog.

* ``CREATE EXTERNAL SCHEMA [IF NOT EXISTS] s FROM DATA CATALOG DATABASE 'db' IAM_ROLE '...'``
  records that ``s.<table>`` is the Glue table ``db.<table>`` (in the database file itself, so a
  batch that fails takes it back); ``DROP SCHEMA s`` forgets it.
* Queries are parsed with sqlglot (``read="redshift"``) and written for DuckDB; each reference to an
  external table becomes a view of its Parquet objects, read through the emulator's S3 the way the
  local Athena engine reads them (``localcloud.query.engine``: the Glue table or its partitions,
  pruned by the WHERE clause, the catalog's columns then the partition keys).
* ``CREATE TABLE``, ``INSERT``, ``UPDATE``, ``DELETE``, ``DROP``, ``TRUNCATE`` and views work on
  local tables (schema ``public``); Redshift's physical options (DISTSTYLE, DISTKEY, SORTKEY, ENCODE)
  are dropped, as they change no answer.
* ``COPY t [(cols)] FROM 's3://bucket/prefix' IAM_ROLE '...' FORMAT AS PARQUET`` appends the rows of
  every object under the prefix, columns by position (as Redshift maps columnar files).

Anything else is refused with a Redshift-shaped error rather than approximated.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from botocore.exceptions import ClientError
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from localcloud.query.contract import QueryRequest
from localcloud.query.engine import Context, create_view, get_table, split_uri, table_files
from localcloud.query.sql import DEFAULT_CATALOG, QueryError, TableName, bind_view, catalog_tables, partition_filter
from localcloud.query.sql import to_duckdb as trino_tree_to_duckdb
from localcloud.settings import local_client

DEFAULT_SCHEMA = "public"
#: Where the external schemas are recorded, inside each database file.
EXTERNAL_SCHEMAS = "main.__lc_external_schemas"

_FLAGS = re.IGNORECASE | re.DOTALL
_IDENT = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)'
_CREATE_EXTERNAL_SCHEMA = re.compile(
    rf"CREATE\s+EXTERNAL\s+SCHEMA\s+(?P<ifx>IF\s+NOT\s+EXISTS\s+)?(?P<schema>{_IDENT})\s+FROM\s+DATA\s+CATALOG\s+"
    r"DATABASE\s+'(?P<db>[^']+)'(?P<options>.*)",
    _FLAGS,
)
_IAM_ROLE = re.compile(r"IAM_ROLE\s+(?:'(?P<role>[^']*)'|(?P<default>default))", _FLAGS)
_CREATE_EXTERNAL_DATABASE = re.compile(r"CREATE\s+EXTERNAL\s+DATABASE\s+IF\s+NOT\s+EXISTS", _FLAGS)
_SCHEMA_OPTIONS = re.compile(r"REGION\s+'[^']*'|CATALOG_ID\s+'[^']*'", _FLAGS)
_DROP_SCHEMA = re.compile(
    rf"DROP\s+SCHEMA\s+(?P<ifx>IF\s+EXISTS\s+)?(?P<schema>{_IDENT})(?:\s+(?:CASCADE|RESTRICT))?", _FLAGS
)
_COPY = re.compile(
    rf"COPY\s+(?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})?)\s*(?:\((?P<columns>[^)]*)\))?\s+FROM\s+'(?P<uri>[^']*)'(?P<options>.*)",
    _FLAGS,
)
_PARQUET = re.compile(r"FORMAT\s+(?:AS\s+)?PARQUET", _FLAGS)
_COPY_ACCEPTED = re.compile(
    r"IAM_ROLE\s+(?:'[^']*'|default)|FORMAT\s+(?:AS\s+)?PARQUET|REGION\s+(?:AS\s+)?'[^']*'", _FLAGS
)
_LEADING_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
#: Redshift physical design: it changes how rows are stored, never which rows a query returns.
_PHYSICAL = (exp.DistStyleProperty, exp.DistKeyProperty, exp.SortKeyProperty)
_RUNNABLE = (
    exp.Query,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Create,
    exp.Drop,
    exp.TruncateTable,
    exp.Transaction,
    exp.Commit,
)


class RedshiftError(Exception):
    """A statement's failure, reported in DescribeStatement's Error as Redshift words it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message if message.startswith("ERROR:") else f"ERROR: {message}"


def not_supported(what: str) -> RedshiftError:
    return RedshiftError(f"{what} is not supported on the local cloud")


@dataclass(frozen=True)
class ColumnMeta:
    name: str
    #: Redshift's type name (int8, varchar, numeric, timestamp, ...).
    type_name: str
    precision: int = 0
    scale: int = 0


@dataclass(frozen=True)
class Outcome:
    """What one statement produced: a result set (columns and rows) or a count of rows affected."""

    columns: list[ColumnMeta] | None = None
    rows: list[tuple[Any, ...]] | None = None
    #: Rows inserted, updated, deleted or copied; -1 when the statement reports none.
    rows_affected: int = -1

    @property
    def has_result_set(self) -> bool:
        return self.columns is not None


# ---- DuckDB types and values as the Data API returns them ----------------------------------------------

_TYPE_NAMES = {
    "BIGINT": "int8",
    "INTEGER": "int4",
    "SMALLINT": "int2",
    "TINYINT": "int2",
    "UBIGINT": "numeric",
    "UINTEGER": "int8",
    "USMALLINT": "int4",
    "UTINYINT": "int2",
    # DuckDB sums integers as HUGEINT; Redshift's sum of int2/int4/int8 is int8.
    "HUGEINT": "int8",
    "DOUBLE": "float8",
    "FLOAT": "float4",
    "BOOLEAN": "bool",
    "VARCHAR": "varchar",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "BLOB": "varbyte",
}
_INTEGER_TYPES = {"int2", "int4", "int8"}


def column_meta(name: str, duck_type: str) -> ColumnMeta:
    if match := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duck_type):
        return ColumnMeta(name, "numeric", int(match[1]), int(match[2]))
    if duck_type.startswith("TIMESTAMP") and duck_type != "TIMESTAMP WITH TIME ZONE":
        return ColumnMeta(name, "timestamp")
    return ColumnMeta(name, _TYPE_NAMES.get(duck_type, "super"))


def field_value(value: Any, column: ColumnMeta) -> dict[str, Any]:
    """One value as a Data API Field: longValue, doubleValue, booleanValue, stringValue, blobValue or isNull."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int) and column.type_name in _INTEGER_TYPES:
        return {"longValue": value}
    if isinstance(value, float) and math.isfinite(value):
        return {"doubleValue": value}
    if isinstance(value, bytes):
        return {"blobValue": base64.b64encode(value).decode()}
    return {"stringValue": _text(value)}


def _text(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value) if not isinstance(value, Decimal) else format(value, "f")


def _column_name(name: str) -> str:
    """Redshift folds names to lowercase and names an unaliased call by its function (count(*) is count)."""
    if match := re.match(r"(\w+)\(", name):
        return "count" if match[1] == "count_star" else match[1].lower()
    return name.lower()


# ---- parsing --------------------------------------------------------------------------------------------


def _strip(sql: str) -> str:
    return _LEADING_COMMENTS.sub("", sql).strip().rstrip(";").strip()


def _name(ident: str) -> str:
    return ident[1:-1] if ident.startswith('"') else ident.lower()


def parse(sql: str) -> exp.Expression:
    """One Redshift statement as a sqlglot tree; refused unless the local engine runs it."""
    try:
        trees = [t for t in sqlglot.parse(sql, read="redshift") if t is not None]
    except (ParseError, TokenError) as error:
        details = (getattr(error, "errors", None) or [{}])[0]
        raise RedshiftError(f'syntax error at or near "{details.get("highlight") or ""}"') from error
    if len(trees) != 1:
        raise RedshiftError("cannot insert multiple commands into a prepared statement")
    tree = trees[0]
    if not isinstance(tree, exp.Expression):
        raise not_supported(f"The statement {_strip(sql).split()[0].upper()}")
    _check_runnable(tree, sql)
    for node in list(tree.find_all(*_PHYSICAL)):
        node.pop()
    for constraint in list(tree.find_all(exp.ColumnConstraint)):
        if isinstance(constraint.kind, exp.EncodeColumnConstraint):
            constraint.pop()
    return tree


def _check_runnable(tree: exp.Expression, sql: str) -> None:
    if not isinstance(tree, _RUNNABLE) or isinstance(tree, exp.Command):
        raise not_supported(f"The statement {_strip(sql).split()[0].upper()}")
    if isinstance(tree, exp.Create) and tree.find(exp.ExternalProperty):
        raise not_supported("CREATE EXTERNAL TABLE")


def bind_parameters(tree: exp.Expression, parameters: dict[str, str]) -> None:
    """The Data API's named parameters (``:name``) as string literals; Redshift casts them where used."""
    for placeholder in list(tree.find_all(exp.Placeholder)):
        name = placeholder.name
        if name not in parameters:
            raise RedshiftError(f"The parameter :{name} has no value (Parameters names {sorted(parameters)})")
        placeholder.replace(exp.Literal.string(parameters[name]))


# ---- one namespace's database ---------------------------------------------------------------------------


class Database:
    """A namespace's database: a DuckDB connection to its file, used by one thread at a time
    (:meth:`reader` gives another thread a connection of its own)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, endpoint: str, region: str, clients: tuple[Any, Any] | None = None
    ) -> None:
        self.con, self.endpoint, self.region = con, endpoint, region
        self.glue, self.s3 = clients or (local_client("glue", endpoint, region), local_client("s3", endpoint, region))

    @classmethod
    def open(cls, path: Path, endpoint: str, region: str) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {DEFAULT_SCHEMA}")
        con.execute(f"SET schema = '{DEFAULT_SCHEMA}'")
        columns = "name VARCHAR PRIMARY KEY, glue_database VARCHAR, iam_role VARCHAR"
        con.execute(f"CREATE TABLE IF NOT EXISTS {EXTERNAL_SCHEMAS} ({columns})")
        return cls(con, endpoint, region)

    def reader(self) -> Database:
        """The same database on a connection of its own (it sees committed data), for another thread."""
        return Database(self.con.cursor(), self.endpoint, self.region, (self.glue, self.s3))

    def close(self) -> None:
        self.con.close()

    def interrupt(self) -> None:
        self.con.interrupt()

    def external_schemas(self) -> dict[str, str]:
        return dict(self.con.execute(f"SELECT name, glue_database FROM {EXTERNAL_SCHEMAS}").fetchall())

    def execute(self, sql: str, parameters: dict[str, str] | None = None) -> Outcome:
        text = _strip(sql)
        if not text:
            raise RedshiftError("syntax error at end of input")
        try:
            if match := _CREATE_EXTERNAL_SCHEMA.fullmatch(text):
                return self._create_external_schema(match)
            if (match := _DROP_SCHEMA.fullmatch(text)) and _name(match["schema"]) in self.external_schemas():
                return self._drop_external_schema(_name(match["schema"]))
            if match := _COPY.fullmatch(text):
                return self._copy(match)
            return self._run(parse(text), parameters or {})
        except duckdb.InterruptException:
            raise
        except duckdb.Error as error:
            raise RedshiftError(_duckdb_message(error)) from error
        except QueryError as error:  # the catalog reader refused a table (bad data, a format it does not read)
            raise RedshiftError(f"{error.code}: {error.message}" if error.code else error.message) from error
        except ClientError as error:  # S3 or Glue refused (no such bucket, ...): the statement fails
            raise RedshiftError(f"{error.operation_name}: {error.response['Error'].get('Message', error)}") from error

    # ---- external schemas ------------------------------------------------------------------------------

    def _create_external_schema(self, match: re.Match[str]) -> Outcome:
        schema, database = _name(match["schema"]), match["db"]
        options = match["options"]
        role = _IAM_ROLE.search(options)
        if role is None:
            raise RedshiftError("IAM_ROLE must be specified for an external schema")
        rest = _SCHEMA_OPTIONS.sub("", _CREATE_EXTERNAL_DATABASE.sub("", _IAM_ROLE.sub("", options))).strip()
        if rest:
            raise not_supported(f"The external schema option {rest.split()[0]!r}")
        known = schema in self.external_schemas() or self._local_schema_exists(schema)
        if known:
            if match["ifx"]:
                return Outcome()
            raise RedshiftError(f'Schema "{schema}" already exists')
        self._require_glue_database(database, create=bool(_CREATE_EXTERNAL_DATABASE.search(options)))
        self.con.execute(
            f"INSERT INTO {EXTERNAL_SCHEMAS} VALUES (?, ?, ?)", [schema, database, role["role"] or "default"]
        )
        return Outcome()

    def _local_schema_exists(self, schema: str) -> bool:
        found = self.con.execute(
            "SELECT 1 FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name = ?",
            [schema],
        ).fetchall()
        return bool(found)

    def _require_glue_database(self, database: str, create: bool) -> None:
        try:
            self.glue.get_database(Name=database)
        except self.glue.exceptions.EntityNotFoundException:
            if not create:
                raise RedshiftError(f'External database "{database}" does not exist in the Data Catalog') from None
            self.glue.create_database(DatabaseInput={"Name": database})

    def _drop_external_schema(self, schema: str) -> Outcome:
        self.con.execute(f"DELETE FROM {EXTERNAL_SCHEMAS} WHERE name = ?", [schema])
        return Outcome()

    # ---- COPY ----------------------------------------------------------------------------------------

    def _copy(self, match: re.Match[str]) -> Outcome:
        options = match["options"]
        if not _PARQUET.search(options):
            raise not_supported("COPY from formats other than FORMAT AS PARQUET")
        if rest := _COPY_ACCEPTED.sub("", options).strip():
            raise not_supported(f"The COPY option {rest.split()[0]!r}")
        parts = [_name(part) for part in re.findall(_IDENT, match["table"])]
        if len(parts) == 2 and parts[0] in self.external_schemas():
            raise not_supported("COPY into an external table")
        target = ".".join(_quote(part) for part in parts)
        columns = f" ({match['columns']})" if match["columns"] else ""
        with _workdir() as workdir:
            paths = self._download_prefix(match["uri"], workdir)
            if not paths:
                raise RedshiftError(f"The specified S3 prefix '{match['uri']}' does not exist")
            listing = ", ".join(_literal(str(p)) for p in paths)
            # Columnar files map to the table's columns by position, as Redshift's COPY maps them.
            result = self.con.execute(f"INSERT INTO {target}{columns} SELECT * FROM read_parquet([{listing}])")
            return Outcome(rows_affected=int(result.fetchall()[0][0]))

    def _download_prefix(self, uri: str, workdir: Path) -> list[Path]:
        try:
            bucket, prefix = split_uri(uri)
        except QueryError as error:
            raise RedshiftError(f"Invalid S3 location '{uri}'") from error
        paths: list[Path] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Size"] == 0 or obj["Key"].endswith("/"):
                    continue
                path = workdir / f"object-{len(paths):06d}.parquet"
                self.s3.download_file(bucket, obj["Key"], str(path))
                paths.append(path)
        return paths

    # ---- everything sqlglot parses -------------------------------------------------------------------------

    def _run(self, tree: exp.Expression, parameters: dict[str, str]) -> Outcome:
        if isinstance(tree, exp.Transaction | exp.Commit):
            # Each Data API statement is a transaction of its own, and a batch is one: nothing to do.
            return Outcome()
        bind_parameters(tree, parameters)
        externals = self.external_schemas()
        self._refuse_external_writes(tree, externals)
        with _workdir() as workdir:
            context = self._context(workdir)
            views: list[str] = []
            try:
                self._bind_external_tables(context, tree, externals, views)
                return self._outcome(tree, self.con.execute(_duckdb_sql(tree)))
            except duckdb.InterruptException:
                raise
            except duckdb.Error as error:  # name the S3 object a failure read, not its local copy
                message = _duckdb_message(error)
                for uri, path in context.downloaded.items():
                    message = message.replace(str(path), uri)
                raise RedshiftError(message) from error
            finally:
                for view in views:
                    self.con.execute(f"DROP VIEW IF EXISTS {view}")
                    self.con.unregister(f"{view}_files")

    @staticmethod
    def _refuse_external_writes(tree: exp.Expression, externals: dict[str, str]) -> None:
        kind = str(tree.args.get("kind") or "").upper()
        if isinstance(tree, exp.Query) or kind == "SCHEMA":
            return
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.find(exp.Table)
        if isinstance(target, exp.Table) and target.db.lower() in externals:
            raise not_supported(f"{tree.key.upper()} on the external table {target.db}.{target.name}")
        if kind == "VIEW" and _reads_external(tree, externals):
            raise not_supported("A view over external tables (CREATE VIEW ... WITH NO SCHEMA BINDING)")

    def _context(self, workdir: Path) -> Context:
        request = QueryRequest(
            query_id="redshift",
            sql="",
            database="",
            catalog=DEFAULT_CATALOG,
            output_location="",
            endpoint=self.endpoint,
            region=self.region,
            workgroup="redshift",
        )
        return Context(request=request, glue=self.glue, s3=self.s3, con=self.con, workdir=workdir)

    def _bind_external_tables(
        self, ctx: Context, tree: exp.Expression, externals: dict[str, str], views: list[str]
    ) -> None:
        """A view per reference to an external table, over the Parquet objects it reads; each is
        added to ``views`` before it is created, for the caller to drop whatever happens."""
        for table in catalog_tables(tree):
            schema = table.db.lower()
            if schema not in externals or table.catalog:
                continue
            ref = TableName(name=table.name.lower(), db=externals[schema])
            try:
                catalog_table = get_table(ctx, ref)
            except QueryError:
                raise RedshiftError(f'relation "{schema}.{table.name.lower()}" does not exist') from None
            where = partition_filter(table, [k for k, _ in catalog_table.keys])
            view = f"__lc_spectrum_{len(views)}"
            views.append(view)
            create_view(ctx, view, catalog_table, table_files(ctx, catalog_table, where))
            bind_view(table, view)

    @staticmethod
    def _outcome(tree: exp.Expression, result: duckdb.DuckDBPyConnection) -> Outcome:
        if isinstance(tree, exp.Query):
            description = result.description or []
            columns = [column_meta(_column_name(d[0]), str(d[1])) for d in description]
            return Outcome(columns=columns, rows=result.fetchall())
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete) or (
            isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query)
        ):
            rows = result.fetchall() if result.description else []
            return Outcome(rows_affected=int(rows[0][0]) if rows else 0)
        return Outcome()


def _duckdb_sql(tree: exp.Expression) -> str:
    try:
        return trino_tree_to_duckdb(tree)
    except QueryError as error:
        raise not_supported(error.message.removesuffix(" is not supported on the local cloud")) from error


def _reads_external(tree: exp.Expression, externals: dict[str, str]) -> bool:
    return any(t.db.lower() in externals for t in tree.find_all(exp.Table))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _duckdb_message(error: duckdb.Error) -> str:
    """DuckDB's message without its error-class prefix and its multi-line hints."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return re.sub(r"^[A-Za-z ]+ Error:\s*", "", first)


@contextmanager
def _workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lc-redshift-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
