"""Executes one Athena query on the local cloud with DuckDB, as a client of the emulator's Glue and S3.

Catalog tables are read the way Athena reads them: the Glue table (or each of its partitions that the
WHERE clause cannot rule out) names an S3 location, every object under it except ``_``/``.``-prefixed
names is a Parquet data file, and the catalog's columns come in catalog order with the partition keys
last. The objects are downloaded through the S3 API into a temporary directory per query (always
removed), and results are written back through the S3 API where Athena writes them.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from localcloud.query.contract import (
    SYSTEM_ERROR,
    USER_ERROR,
    AthenaError,
    Column,
    QueryOutcome,
    QueryRequest,
    StatementType,
)
from localcloud.query.sql import (
    DEFAULT_CATALOG,
    DIVISION_BY_ZERO,
    NOT_FOUND_TYPE,
    AlterPartitions,
    CreateDatabase,
    CreateExternal,
    Ctas,
    Describe,
    DropDatabase,
    DropTable,
    MsckRepair,
    PartitionSpec,
    Query,
    QueryError,
    ShowDatabases,
    ShowPartitions,
    ShowTables,
    Statement,
    TableName,
    bind_view,
    catalog_tables,
    classify,
    emulate_decimal_division,
    like_pattern,
    not_supported,
    output_names,
    output_names_missing,
    partition_filter,
    table_name,
    to_duckdb,
)

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
#: Catalog (Hive) scalar types and the DuckDB types their values are read as.
_HIVE_TO_DUCK = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "binary": "BLOB",
}
#: DuckDB result types and the Hive types CREATE TABLE AS records for them.
_DUCK_TO_HIVE = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",
    "INTEGER": "int",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "DATE": "date",
    "BLOB": "binary",
}
#: DuckDB result types and Athena's names for them (GetQueryResults' ColumnInfo.Type), with precision.
_DUCK_TO_ATHENA = {
    "VARCHAR": ("varchar", 2147483647),
    "BIGINT": ("bigint", 19),
    "HUGEINT": ("bigint", 19),  # sum(bigint): Athena's is bigint, out-of-range values fail when written
    "UBIGINT": ("decimal", 20),
    "INTEGER": ("integer", 10),
    "UINTEGER": ("bigint", 19),
    "SMALLINT": ("smallint", 5),
    "USMALLINT": ("integer", 10),
    "TINYINT": ("tinyint", 3),
    "UTINYINT": ("smallint", 5),
    "DOUBLE": ("double", 17),
    "FLOAT": ("real", 7),
    "BOOLEAN": ("boolean", 0),
    "TIMESTAMP": ("timestamp", 3),
    "TIMESTAMP_S": ("timestamp", 3),
    "TIMESTAMP_MS": ("timestamp", 3),
    "TIMESTAMP_NS": ("timestamp", 3),
    "TIMESTAMP WITH TIME ZONE": ("timestamp with time zone", 3),
    "DATE": ("date", 0),
    "TIME": ("time", 3),
    "INTERVAL": ("interval day to second", 0),
    "BLOB": ("varbinary", 2147483647),
    "UUID": ("uuid", 0),
    "JSON": ("json", 0),
    '"NULL"': ("unknown", 0),
}
_CTAS_PROPERTIES = {"format", "external_location", "write_compression", "parquet_compression", "partitioned_by"}
_COMPRESSION = {"SNAPPY": "snappy", "GZIP": "gzip", "ZSTD": "zstd", "LZ4": "lz4", "NONE": "none"}
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class DataFile:
    uri: str
    size: int
    #: The partition's values in key order (empty for unpartitioned tables).
    partition: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogTable:
    db: str
    name: str
    raw: dict[str, Any]

    @property
    def storage(self) -> dict[str, Any]:
        return self.raw.get("StorageDescriptor") or {}

    @property
    def columns(self) -> list[tuple[str, str]]:
        return [(c["Name"].lower(), c["Type"].lower()) for c in self.storage.get("Columns", [])]

    @property
    def keys(self) -> list[tuple[str, str]]:
        return [(k["Name"].lower(), k.get("Type", "string").lower()) for k in self.raw.get("PartitionKeys") or []]

    @property
    def location(self) -> str:
        location = self.storage.get("Location") or ""
        return location if location.endswith("/") else location + "/"

    @property
    def qualified(self) -> str:
        return f"{DEFAULT_CATALOG}.{self.db}.{self.name}"


@dataclass
class Context:
    """What one query execution works with; ``scanned`` counts the bytes of the objects it read."""

    request: QueryRequest
    glue: Any
    s3: Any
    con: duckdb.DuckDBPyConnection
    workdir: Path
    scanned: int = 0
    downloaded: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """What a statement produced, before it is written: rows of a query or lines of a DDL's text."""

    columns: list[Column]
    rows: int = 0
    result_location: str | None = None
    manifest_location: str | None = None


def split_uri(uri: str) -> tuple[str, str]:
    """Bucket and key of an S3 location (Hive's s3a:// and s3n:// spellings too)."""
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme.lower() not in ("s3", "s3a", "s3n"):
        raise QueryError("INVALID_TABLE_PROPERTY", f"Not an S3 location: '{uri}'")
    bucket, _, key = rest.partition("/")
    return bucket, key


def _list_objects(s3: Any, uri: str) -> Iterable[dict[str, Any]]:
    bucket, prefix = split_uri(uri)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            obj["Uri"] = f"s3://{bucket}/{obj['Key']}"  # one spelling, so each object is counted once
            obj["Relative"] = obj["Key"][len(prefix) :]
            yield obj


def _hidden(relative: str) -> bool:
    """Hive and Athena skip files and directories whose names start with ``_`` or ``.``."""
    return any(part[:1] in ("_", ".") for part in relative.split("/"))


def _data_files(s3: Any, location: str, partition: tuple[str, ...] = ()) -> list[DataFile]:
    location = location if location.endswith("/") else location + "/"
    return [
        DataFile(o["Uri"], o["Size"], partition)
        for o in _list_objects(s3, location)
        if o["Size"] > 0 and not o["Key"].endswith("/") and not _hidden(o["Relative"])
    ]


# --- the catalog --------------------------------------------------------------------------------


def _resolve(ctx: Context, ref: TableName) -> tuple[str, str]:
    catalog = ref.catalog or (ctx.request.catalog or DEFAULT_CATALOG).lower()
    if catalog != DEFAULT_CATALOG:
        raise QueryError("CATALOG_NOT_FOUND", f"Catalog '{catalog}' does not exist", position=ref.position)
    db = ref.db or ctx.request.database.lower()
    if not db:
        raise QueryError(
            "SCHEMA_NOT_FOUND", "Schema must be specified when session schema is not set", position=ref.position
        )
    return db, ref.name


def _database_exists(ctx: Context, db: str) -> bool:
    try:
        ctx.glue.get_database(Name=db)
    except ctx.glue.exceptions.EntityNotFoundException:
        return False
    return True


def _require_database(ctx: Context, db: str, position: tuple[int, int] | None) -> None:
    if not _database_exists(ctx, db):
        raise QueryError(
            "SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", position=position, error_type=NOT_FOUND_TYPE
        )


def get_table(ctx: Context, ref: TableName) -> CatalogTable:
    db, name = _resolve(ctx, ref)
    try:
        raw = ctx.glue.get_table(DatabaseName=db, Name=name)["Table"]
    except ctx.glue.exceptions.EntityNotFoundException:
        _require_database(ctx, db, ref.position)
        message = f"Table '{DEFAULT_CATALOG}.{db}.{name}' does not exist"
        raise QueryError("TABLE_NOT_FOUND", message, position=ref.position, error_type=NOT_FOUND_TYPE) from None
    return CatalogTable(db=db, name=name, raw=raw)


def _partitions(ctx: Context, table: CatalogTable) -> list[dict[str, Any]]:
    pages = ctx.glue.get_paginator("get_partitions").paginate(DatabaseName=table.db, TableName=table.name)
    return [p for page in pages for p in page.get("Partitions", [])]


def _check_readable(table: CatalogTable) -> None:
    """Refuse tables whose rows are not simply their Parquet files under Glue locations."""
    if table.raw.get("TableType") == "VIRTUAL_VIEW":
        raise not_supported(f"Reading view '{table.qualified}'")
    params = {k.lower(): str(v).lower() for k, v in (table.raw.get("Parameters") or {}).items()}
    if params.get("projection.enabled") == "true":
        raise not_supported(f"Partition projection (table '{table.qualified}')")
    table_format = params.get("table_type") or params.get("spark.sql.sources.provider")
    if table_format in ("iceberg", "hudi", "delta"):
        raise not_supported(f"Reading {table_format} table '{table.qualified}'")
    formats = " ".join(
        [
            table.storage.get("InputFormat") or "",
            (table.storage.get("SerdeInfo") or {}).get("SerializationLibrary") or "",
        ]
    )
    if formats.strip() and "parquet" not in formats.lower():
        raise not_supported(f"Table '{table.qualified}' stored as {formats.strip()} (only Parquet is read)")


# --- reading catalog tables ------------------------------------------------------------------------


def _duck_type(hive: str) -> str | None:
    """The DuckDB type a catalog column is read as; None for nested types, read as Parquet has them."""
    if match := re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", hive):
        return f"DECIMAL({match[1]},{match[2]})"
    if re.fullmatch(r"(?:var)?char\(\d+\)", hive):
        return "VARCHAR"
    return _HIVE_TO_DUCK.get(hive)


def _prune(ctx: Context, table: CatalogTable, partitions: list[dict[str, Any]], where: Any) -> list[dict[str, Any]]:
    """The partitions whose key values satisfy ``where`` (evaluated by DuckDB over the values alone)."""
    if where is None or not partitions:
        return partitions
    names = [k for k, _ in table.keys]
    columns = {"__lc_idx": list(range(len(partitions)))}
    columns |= {k: [p["Values"][i] for p in partitions] for i, k in enumerate(names)}
    ctx.con.register("__lc_partitions", pa.table(columns))
    typed = ", ".join(f'CAST("{k}" AS {_duck_type(t) or "VARCHAR"}) AS "{k}"' for k, t in table.keys)
    try:
        rows = ctx.con.execute(
            f"SELECT __lc_idx FROM (SELECT __lc_idx, {typed} FROM __lc_partitions) WHERE {to_duckdb(where)}"
        ).fetchall()
    except (duckdb.Error, QueryError):
        return partitions  # not evaluable on its own: read every partition and let the query decide
    finally:
        ctx.con.unregister("__lc_partitions")
    keep = {r[0] for r in rows}
    return [p for i, p in enumerate(partitions) if i in keep]


def table_files(ctx: Context, table: CatalogTable, where: Any) -> list[DataFile]:
    """The data files a reference to ``table`` reads, after partition pruning."""
    if not table.keys:
        return _data_files(ctx.s3, table.location)
    files: list[DataFile] = []
    keys = [k for k, _ in table.keys]
    for partition in _prune(ctx, table, _partitions(ctx, table), where):
        default = table.location + _partition_path(keys, partition["Values"])
        location = (partition.get("StorageDescriptor") or {}).get("Location") or default
        files += _data_files(ctx.s3, location, tuple(partition["Values"]))
    return files


def _check_cutoff(ctx: Context, files: Iterable[DataFile]) -> None:
    cutoff = ctx.request.scan_cutoff_bytes
    total = sum({f.uri: f.size for f in files}.values())
    if cutoff is not None and total > cutoff:
        raise QueryError(
            "",
            f"Query exhausted resources: it would scan {total} bytes, which exceeded the data scanned limit "
            f"of {cutoff} bytes (BytesScannedCutoffPerQuery of workgroup '{ctx.request.workgroup}'). "
            "Bytes scanned limit was exceeded",
        )


def _download(ctx: Context, data: DataFile) -> Path:
    if data.uri not in ctx.downloaded:
        path = ctx.workdir / f"object-{len(ctx.downloaded):06d}.parquet"
        bucket, key = split_uri(data.uri)
        ctx.s3.download_file(bucket, key, str(path))
        ctx.downloaded[data.uri] = path
        ctx.scanned += data.size
    return ctx.downloaded[data.uri]


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
#: The Parquet (DuckDB) types each catalog type reads without loss, as Athena's Parquet reader
#: coerces them; any other pairing fails the query instead of being cast into a different answer.
_READABLE_AS = {
    "BIGINT": _INTEGERS,
    "INTEGER": _INTEGERS - {"BIGINT", "UINTEGER"},
    "SMALLINT": {"TINYINT", "SMALLINT", "UTINYINT"},
    "TINYINT": {"TINYINT"},
    "DOUBLE": {"FLOAT", "DOUBLE"} | _INTEGERS,
    "FLOAT": {"FLOAT"},
    "VARCHAR": {"VARCHAR", "BLOB"},
    "BLOB": {"BLOB", "VARCHAR"},
    "BOOLEAN": {"BOOLEAN"},
    "DATE": {"DATE"},
    "TIMESTAMP": {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE"},
}


def _check_coercion(name: str, hive: str, target: str, stored: str) -> None:
    allowed = _READABLE_AS.get(target)
    if target.startswith("DECIMAL"):
        allowed = _INTEGERS | ({stored} if stored.startswith("DECIMAL") else set())
    if allowed is not None and stored not in allowed:
        raise QueryError(
            "HIVE_BAD_DATA",
            f"Field {name}'s type {stored} in parquet file is incompatible with type {hive} defined in table schema",
        )


def _column_sql(name: str, hive: str, stored: dict[str, tuple[str, str]], source: str) -> str:
    """The projection of one catalog column from files whose columns are ``stored`` (name -> (name, type))."""
    duck = _duck_type(hive)
    if name not in stored:  # a column no file has (added to the catalog later): NULL, as in Athena
        return f"CAST(NULL AS {duck or 'VARCHAR'}) AS {_quote(name)}"
    actual, stored_type = stored[name]
    ref = f"{source}.{_quote(actual)}"
    if duck is None:
        return f"{ref} AS {_quote(name)}"
    _check_coercion(name, hive, duck, stored_type)
    return f"CAST({ref} AS {duck}) AS {_quote(name)}"


def create_view(ctx: Context, view: str, table: CatalogTable, files: list[DataFile]) -> None:
    """A DuckDB view of the files with the catalog's columns, then the partition keys as columns."""
    keys = [k for k, _ in table.keys]
    if not files:
        nulls = [f"CAST(NULL AS {_duck_type(t) or 'VARCHAR'}) AS {_quote(c)}" for c, t in table.columns + table.keys]
        ctx.con.execute(f"CREATE TEMP VIEW {view} AS SELECT {', '.join(nulls)} WHERE false")
        return
    paths = [str(_download(ctx, f)) for f in files]
    listing = {"__lc_file": paths} | {k: [f.partition[i] for f in files] for i, k in enumerate(keys)}
    ctx.con.register(f"{view}_files", pa.table(listing))
    # Each file read once; the join repeats its rows per partition listing it, as Athena would.
    distinct = ", ".join(_sql_string(p) for p in dict.fromkeys(paths))
    source = f"read_parquet([{distinct}], union_by_name = true, filename = '__lc_file')"
    schema = ctx.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    stored = {row[0].lower(): (row[0], row[1]) for row in schema if row[0] != "__lc_file"}
    projection = [_column_sql(c, t, stored, "f") for c, t in table.columns]
    projection += [f"CAST(p.{_quote(k)} AS {_duck_type(t) or 'VARCHAR'}) AS {_quote(k)}" for k, t in table.keys]
    ctx.con.execute(
        f"CREATE TEMP VIEW {view} AS SELECT {', '.join(projection)} "
        f"FROM {source} AS f JOIN {view}_files AS p ON f.__lc_file = p.__lc_file"
    )


def _trino_type(hive: str) -> str:
    """A catalog (Hive) type as Trino names it in information_schema.columns."""
    scalar = {
        "string": "varchar",
        "int": "integer",
        "float": "real",
        "binary": "varbinary",
        "timestamp": "timestamp(3)",
    }
    if hive in scalar:
        return scalar[hive]
    text = re.sub(r"\bstruct<", "row(", hive).replace("array<", "array(").replace("map<", "map(").replace(">", ")")
    return re.sub(r"(\w+):", r"\1 ", text)


def _all_tables(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    databases = [d["Name"] for page in ctx.glue.get_paginator("get_databases").paginate() for d in page["DatabaseList"]]
    return [
        (db, table)
        for db in sorted(databases)
        for page in ctx.glue.get_paginator("get_tables").paginate(DatabaseName=db)
        for table in page.get("TableList", [])
    ]


def _columns_rows(ctx: Context) -> list[dict[str, Any]]:
    rows = []
    for db, table in _all_tables(ctx):
        listed = (table.get("StorageDescriptor") or {}).get("Columns", []) + (table.get("PartitionKeys") or [])
        for n, column in enumerate(listed, 1):
            rows.append(
                {
                    "table_catalog": DEFAULT_CATALOG,
                    "table_schema": db,
                    "table_name": table["Name"],
                    "column_name": column["Name"].lower(),
                    "ordinal_position": n,
                    "column_default": None,
                    "is_nullable": "YES",
                    "data_type": _trino_type(column["Type"].lower()),
                }
            )
    return rows


def information_schema(ctx: Context, ref: TableName) -> pa.Table:
    """Trino's information_schema.schemata/tables/columns, from the Glue catalog."""
    if ref.name == "schemata":
        pages = ctx.glue.get_paginator("get_databases").paginate()
        names = sorted([d["Name"] for page in pages for d in page["DatabaseList"]] + ["information_schema"])
        return pa.table({"catalog_name": [DEFAULT_CATALOG] * len(names), "schema_name": names})
    if ref.name == "tables":
        rows = [
            {
                "table_catalog": DEFAULT_CATALOG,
                "table_schema": db,
                "table_name": t["Name"],
                "table_type": "VIEW" if t.get("TableType") == "VIRTUAL_VIEW" else "BASE TABLE",
            }
            for db, t in _all_tables(ctx)
        ]
        names = ["table_catalog", "table_schema", "table_name", "table_type"]
        return pa.Table.from_pylist(rows, schema=pa.schema([(n, pa.string()) for n in names]))
    if ref.name == "columns":
        fields = [(n, pa.string()) for n in ["table_catalog", "table_schema", "table_name", "column_name"]]
        fields += [("ordinal_position", pa.int64()), ("column_default", pa.string())]
        fields += [("is_nullable", pa.string()), ("data_type", pa.string())]
        return pa.Table.from_pylist(_columns_rows(ctx), schema=pa.schema(fields))
    message = f"Table '{DEFAULT_CATALOG}.information_schema.{ref.name}' does not exist"
    raise QueryError("TABLE_NOT_FOUND", message, position=ref.position, error_type=NOT_FOUND_TYPE)


def bind_tables(ctx: Context, tree: Any) -> str:
    """Create a view per catalog table reference (each with its own pruning); DuckDB SQL of the query."""
    plans: list[tuple[Any, CatalogTable | pa.Table, list[DataFile]]] = []
    for table in catalog_tables(tree):
        ref = table_name(table)
        if _resolve(ctx, ref)[0] == "information_schema":
            plans.append((table, information_schema(ctx, ref), []))
            continue
        catalog_table = get_table(ctx, ref)
        _check_readable(catalog_table)
        where = partition_filter(table, [k for k, _ in catalog_table.keys])
        plans.append((table, catalog_table, table_files(ctx, catalog_table, where)))
    _check_cutoff(ctx, (f for _, _, files in plans for f in files))
    views: dict[str, dict[str, str]] = {}
    for i, (table, source, files) in enumerate(plans):
        view = f"__lc_t{i}"
        if isinstance(source, CatalogTable):
            create_view(ctx, view, source, files)
        else:
            ctx.con.register(view, source)
        views[view] = {row[0].lower(): row[1] for row in ctx.con.execute(f"DESCRIBE {view}").fetchall()}
        bind_view(table, view)
    emulate_decimal_division(tree, views)
    return to_duckdb(tree)


# --- results as Athena writes them -----------------------------------------------------------------


def _java_double(value: float) -> str:
    """A double as Athena (Java) prints it: positional in [1e-3, 1e7), else ``1.5E-5``; round-trippable."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = f"{digits[0]}.{''.join(map(str, digits[1:])) or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{len(digits) - 1 + exponent}"


def _real(value: float) -> float:
    """The shortest decimal that is the same 32-bit float (DuckDB hands FLOAT over widened to double)."""
    single = pa.scalar(value, pa.float32()).as_py()
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if pa.scalar(candidate, pa.float32()).as_py() == single:
            return candidate
    return value


def _timestamp(value: datetime) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return text + " UTC" if value.tzinfo is not None else text


def _interval(value: timedelta) -> str:
    seconds = value.seconds + value.microseconds / 1e6
    return f"{value.days} {int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}:{seconds % 60:06.3f}"


def _nested(value: Any) -> str:
    return "null" if value is None else text(value)


def text(value: Any) -> str:
    """A non-null value as Athena prints it in a result file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _interval(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex(" ")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_nested(k)}={_nested(v)}" for k, v in value.items()) + "}"
    return str(value)


def _bigint(value: Any) -> str:
    if not _INT64[0] <= value <= _INT64[1]:
        raise QueryError("NUMERIC_VALUE_OUT_OF_RANGE", f"bigint addition overflow: {value}")
    return str(value)


def _formatter(duck_type: str) -> Callable[[Any], str]:
    if duck_type == "FLOAT":
        return lambda v: _java_double(_real(v))
    if duck_type == "HUGEINT":
        return _bigint
    return text


def athena_column(name: str, duck_type: str) -> Column:
    """Athena's ColumnInfo for a DuckDB result column."""
    if match := re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", duck_type):
        return Column(name=name, type="decimal", precision=int(match[1]), scale=int(match[2]))
    if duck_type.endswith("]"):
        return Column(name=name, type="array")
    for prefix, athena in (("STRUCT", "row"), ("MAP", "map"), ("UNION", "varchar"), ("ENUM", "varchar")):
        if duck_type.startswith(prefix):
            return Column(name=name, type=athena)
    athena, precision = _DUCK_TO_ATHENA.get(duck_type, ("varchar", 2147483647))
    return Column(name=name, type=athena, precision=precision)


def csv_field(value: str | None) -> str:
    """RFC 4180 as Athena writes it: every value quoted, NULL an empty unquoted field."""
    return "" if value is None else '"' + value.replace('"', '""') + '"'


def _output(ctx: Context) -> str:
    location = ctx.request.output_location
    return location if location.endswith("/") else location + "/"


def _upload(ctx: Context, path: Path, uri: str) -> None:
    bucket, key = split_uri(uri)
    ctx.s3.upload_file(str(path), bucket, key)


def _put(ctx: Context, uri: str, body: str) -> None:
    bucket, key = split_uri(uri)
    ctx.s3.put_object(Bucket=bucket, Key=key, Body=body.encode())


def write_query_result(ctx: Context, cursor: duckdb.DuckDBPyConnection, names: list[str]) -> Result:
    """``<output><id>.csv`` with a header row, and ``<id>.csv.metadata``.

    Real Athena's ``.metadata`` is a binary document only Athena itself reads back (for
    GetQueryResults); here it is a small JSON document with the columns, read by no one but the
    local Athena API if it wants to.
    """
    description = cursor.description or []
    columns = [athena_column(name, str(d[1])) for name, d in zip(names, description, strict=True)]
    formatters = [_formatter(str(d[1])) for d in description]
    path, rows = ctx.workdir / "result.csv", 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(csv_field(c.name) for c in columns) + "\n")
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                out.write(
                    ",".join(csv_field(None if v is None else f(v)) for f, v in zip(formatters, row, strict=True))
                )
                out.write("\n")
            rows += len(batch)
    location = f"{_output(ctx)}{ctx.request.query_id}.csv"
    _upload(ctx, path, location)
    _put(ctx, location + ".metadata", json.dumps({"columns": [asdict(c) for c in columns]}))
    return Result(columns=columns, rows=rows, result_location=location)


def write_text_result(ctx: Context, columns: list[str], lines: list[str]) -> Result:
    """``<output><id>.txt``: one line per row, fields tab-separated, as Athena writes DDL/utility output."""
    location = f"{_output(ctx)}{ctx.request.query_id}.txt"
    _put(ctx, location, "".join(line + "\n" for line in lines))
    return Result(columns=[Column(name=c, type="string") for c in columns], rows=len(lines), result_location=location)


# --- statements ------------------------------------------------------------------------------------


def run_select(ctx: Context, statement: Query) -> Result:
    cursor = ctx.con.execute(bind_tables(ctx, statement.tree))
    names = output_names(statement.tree, [d[0] for d in cursor.description or []])
    return write_query_result(ctx, cursor, names)


def show_tables(ctx: Context, statement: ShowTables) -> Result:
    db, _ = _resolve(ctx, TableName(name="", db=statement.db))
    _require_database(ctx, db, None)
    pages = ctx.glue.get_paginator("get_tables").paginate(DatabaseName=db)
    names = sorted(t["Name"] for page in pages for t in page.get("TableList", []))
    if statement.pattern is not None:
        names = [n for n in names if like_pattern(statement.pattern).fullmatch(n)]
    return write_text_result(ctx, ["tab_name"], names)


def show_databases(ctx: Context, statement: ShowDatabases) -> Result:
    pages = ctx.glue.get_paginator("get_databases").paginate()
    names = sorted(d["Name"] for page in pages for d in page.get("DatabaseList", []))
    if statement.pattern is not None:
        names = [n for n in names if like_pattern(statement.pattern).fullmatch(n)]
    return write_text_result(ctx, ["database_name"], names)


def _partition_path(keys: list[str], values: Iterable[str]) -> str:
    return "/".join(f"{k}={v}" for k, v in zip(keys, values, strict=True))


def show_partitions(ctx: Context, statement: ShowPartitions) -> Result:
    table = get_table(ctx, statement.table)
    if not table.keys:
        raise QueryError("", f"FAILED: SemanticException Table {table.name} is not a partitioned table")
    keys = [k for k, _ in table.keys]
    lines = sorted(_partition_path(keys, p["Values"]) for p in _partitions(ctx, table))
    return write_text_result(ctx, ["partition"], lines)


def _describe_line(name: str, hive_type: str, comment: str = "") -> str:
    return f"{name:<20}\t{hive_type:<20}\t{comment:<20}"


def describe(ctx: Context, statement: Describe) -> Result:
    table = get_table(ctx, statement.table)
    if statement.names_only:
        return write_text_result(ctx, ["field"], [c for c, _ in table.columns + table.keys])
    comments = {c["Name"].lower(): c.get("Comment", "") for c in table.storage.get("Columns", [])}
    lines = [_describe_line(c, t, comments.get(c, "")) for c, t in table.columns + table.keys]
    if table.keys:
        lines += ["\t \t ", "# Partition Information\t \t ", _describe_line("# col_name", "data_type", "comment")]
        lines += ["\t \t "] + [_describe_line(k, t) for k, t in table.keys]
    return write_text_result(ctx, ["col_name", "data_type", "comment"], lines)


def _partition_input(table: CatalogTable, values: tuple[str, ...], location: str) -> dict[str, Any]:
    storage = {k: v for k, v in table.storage.items() if k != "Location"} | {"Location": location}
    return {"Values": list(values), "StorageDescriptor": storage}


def _create_partitions(ctx: Context, table: CatalogTable, inputs: list[dict[str, Any]]) -> None:
    for i in range(0, len(inputs), 100):  # BatchCreatePartition takes at most 100
        response = ctx.glue.batch_create_partition(
            DatabaseName=table.db, TableName=table.name, PartitionInputList=inputs[i : i + 100]
        )
        if errors := response.get("Errors"):
            detail = errors[0].get("ErrorDetail", {})
            raise QueryError("", f"FAILED: {detail.get('ErrorCode', 'Error')}: {detail.get('ErrorMessage', '')}")


def _discovered_partitions(ctx: Context, table: CatalogTable) -> dict[tuple[str, ...], str]:
    """``k=v/`` directories under the table's location (in key order) and their locations."""
    keys = [k for k, _ in table.keys]
    found: dict[tuple[str, ...], str] = {}
    for obj in _list_objects(ctx.s3, table.location):
        directories = obj["Relative"].split("/")[:-1][: len(keys)]
        if len(directories) < len(keys) or _hidden(obj["Relative"]):
            continue
        pairs = [d.partition("=") for d in directories]
        if all(sep and name.lower() == key for (name, sep, _), key in zip(pairs, keys, strict=True)):
            values = tuple(unquote(value) for _, _, value in pairs)
            found.setdefault(values, table.location + "/".join(directories) + "/")
    return found


def msck_repair(ctx: Context, statement: MsckRepair) -> Result:
    table = get_table(ctx, statement.table)
    if not table.keys:
        return write_text_result(ctx, ["result"], [])
    existing = {tuple(p["Values"]) for p in _partitions(ctx, table)}
    found = _discovered_partitions(ctx, table)
    new = sorted(v for v in found if v not in existing)
    _create_partitions(ctx, table, [_partition_input(table, v, found[v]) for v in new])
    keys = [k for k, _ in table.keys]
    specs = [f"{table.name}:{_partition_path(keys, v)}" for v in new]
    lines = ["Partitions not in metastore:\t" + "\t".join(specs)] if specs else []
    lines += [f"Repair: Added partition to metastore {spec}" for spec in specs]
    return write_text_result(ctx, ["result"], lines)


def _spec_values(table: CatalogTable, spec: PartitionSpec) -> tuple[str, ...]:
    keys = [k for k, _ in table.keys]
    if sorted(spec.values) != sorted(keys):
        raise QueryError(
            "",
            f"FAILED: SemanticException Partition spec {spec.values} does not match the partition keys "
            f"({', '.join(keys)}) of table {table.name}",
        )
    return tuple(spec.values[k] for k in keys)


def _partition_exists(ctx: Context, table: CatalogTable, values: tuple[str, ...]) -> bool:
    try:
        ctx.glue.get_partition(DatabaseName=table.db, TableName=table.name, PartitionValues=list(values))
    except ctx.glue.exceptions.EntityNotFoundException:
        return False
    return True


def alter_partitions(ctx: Context, statement: AlterPartitions) -> Result:
    table = get_table(ctx, statement.table)
    keys = [k for k, _ in table.keys]
    wanted = [(_spec_values(table, s), s.location) for s in statement.specs]
    present = [values for values, _ in wanted if _partition_exists(ctx, table, values)]
    if statement.add:
        if present and not statement.tolerant:
            raise QueryError("", "FAILED: AlreadyExistsException: Partition already exists.")
        inputs = [
            _partition_input(table, values, location or table.location + _partition_path(keys, values) + "/")
            for values, location in wanted
            if values not in present
        ]
        _create_partitions(ctx, table, inputs)
    else:
        missing = [values for values, _ in wanted if values not in present]
        if missing and not statement.tolerant:
            raise QueryError("", f"FAILED: SemanticException [Error 10006]: Partition not found {missing[0]}")
        if present:
            ctx.glue.batch_delete_partition(
                DatabaseName=table.db,
                TableName=table.name,
                PartitionsToDelete=[{"Values": list(values)} for values in present],
            )
    return write_text_result(ctx, ["result"], [])


def drop_table(ctx: Context, statement: DropTable) -> Result:
    try:
        table = get_table(ctx, statement.table)
    except QueryError:
        if statement.if_exists:
            return write_text_result(ctx, ["result"], [])
        raise
    ctx.glue.delete_table(DatabaseName=table.db, Name=table.name)  # the data stays, as for external tables
    return write_text_result(ctx, ["result"], [])


def _hive_type(duck_type: str) -> str:
    if match := re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", duck_type):
        return f"decimal({match[1]},{match[2]})"
    if duck_type.endswith("[]"):
        return f"array<{_hive_type(duck_type[:-2])}>"
    if duck_type in _DUCK_TO_HIVE:
        return _DUCK_TO_HIVE[duck_type]
    raise not_supported(f"Column type {athena_column('', duck_type).type} ({duck_type}) in CREATE TABLE AS")


def _ctas_options(ctx: Context, statement: Ctas) -> tuple[str, str]:
    """The data location and the Parquet compression of a CREATE TABLE AS, after checking its properties."""
    props = statement.properties
    for name in props:
        if name not in _CTAS_PROPERTIES:
            raise not_supported(f"Table property '{name}'")
    if str(props.get("format", "PARQUET")).upper() != "PARQUET":
        raise not_supported(f"format '{props['format']}' (only PARQUET)")
    compression = str(props.get("write_compression", props.get("parquet_compression", "SNAPPY"))).upper()
    if compression not in _COMPRESSION:
        raise not_supported(f"write_compression '{compression}'")
    location = props.get("external_location")
    if location is None:
        return f"{_output(ctx)}tables/{ctx.request.query_id}/", _COMPRESSION[compression]
    location = str(location) if str(location).endswith("/") else f"{location}/"
    if any(True for _ in _list_objects(ctx.s3, location)):
        raise QueryError(
            "HIVE_PATH_ALREADY_EXISTS",
            f"Target directory for table '{statement.target.name}' already exists: {location}",
        )
    return location, _COMPRESSION[compression]


def _check_ctas_target(ctx: Context, statement: Ctas) -> tuple[str, str] | None:
    """The new table's database and name; None when it exists and the statement says IF NOT EXISTS."""
    db, name = _resolve(ctx, statement.target)
    _require_database(ctx, db, statement.target.position)
    try:
        ctx.glue.get_table(DatabaseName=db, Name=name)
    except ctx.glue.exceptions.EntityNotFoundException:
        return db, name
    if statement.if_not_exists:
        return None
    message = f"Destination table '{DEFAULT_CATALOG}.{db}.{name}' already exists"
    raise QueryError("ALREADY_EXISTS", message, position=statement.target.position)


def _ctas_columns(statement: Ctas, description: list[Any]) -> list[tuple[str, str]]:
    if missing := output_names_missing(statement.query):
        raise QueryError("COLUMN_NAME_NOT_SPECIFIED", f"Column name not specified at position {missing[0]}")
    names = [n.lower() for n in output_names(statement.query, [d[0] for d in description])]
    if duplicate := next((n for i, n in enumerate(names) if n in names[:i]), None):
        raise QueryError("DUPLICATE_COLUMN_NAME", f"Column name '{duplicate}' specified more than once")
    return [(name, str(d[1])) for name, d in zip(names, description, strict=True)]


def _write_parquet(
    ctx: Context, cursor: duckdb.DuckDBPyConnection, columns: list[tuple[str, str]], compression: str
) -> tuple[Path, int]:
    path, rows = ctx.workdir / "ctas.parquet", 0
    reader = cursor.to_arrow_reader(100_000)
    # Lowercase names, and sums (HUGEINT in DuckDB) as the bigint the catalog says; overflow fails the cast.
    fields = [
        pa.field(name, pa.int64() if duck == "HUGEINT" else reader.schema.field(i).type)
        for i, (name, duck) in enumerate(columns)
    ]
    schema = pa.schema(fields)
    with pq.ParquetWriter(path, schema, compression=compression) as writer:
        for batch in reader:
            arrays = [batch.column(i).cast(f.type) for i, f in enumerate(fields)]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            rows += batch.num_rows
    return path, rows


def _table_input(
    name: str, columns: list[tuple[str, str]], keys: list[str], location: str, compression: str
) -> dict[str, Any]:
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "parquet",
            "has_encrypted_data": "false",
            "parquet.compression": compression.upper(),
        },
        "PartitionKeys": [{"Name": n, "Type": _hive_type(t)} for n, t in columns if n in keys],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": _hive_type(t)} for n, t in columns if n not in keys],
            "Location": location,
            "InputFormat": PARQUET_INPUT,
            "OutputFormat": PARQUET_OUTPUT,
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
        },
    }


def _partition_keys(statement: Ctas, columns: list[tuple[str, str]]) -> list[str]:
    """partitioned_by, checked as Athena does: the query's last columns, in the same order."""
    keys = statement.properties.get("partitioned_by", [])
    keys = [k.lower() for k in ([keys] if isinstance(keys, str) else keys)]
    if keys and ([n for n, _ in columns[-len(keys) :]] != keys or len(keys) >= len(columns)):
        raise QueryError(
            "HIVE_COLUMN_ORDER_MISMATCH",
            f"Partition keys must be the last columns in the table and in the same order as the table "
            f"properties: {keys}",
        )
    return keys


#: Characters Hive escapes (as %XX) in partition directory names.
_HIVE_ESCAPED = set("\"#%'*/:=?\\\x7f{[]^")


def _hive_value(value: Any) -> str:
    if value is None:
        return "__HIVE_DEFAULT_PARTITION__"
    raw = text(value)
    return "".join(f"%{ord(c):02X}" if c in _HIVE_ESCAPED or ord(c) < 32 else c for c in raw)


def _split_partitions(path: Path, keys: list[str]) -> list[tuple[tuple[str, ...], pa.Table]]:
    """The rows of each partition, without the key columns, by the keys' directory values."""
    table = pq.read_table(path)
    combos = table.select(keys).group_by(keys).aggregate([]).to_pylist()
    if len(combos) > 100:
        raise QueryError("HIVE_TOO_MANY_OPEN_PARTITIONS", "Exceeded limit of 100 open writers for partitions")
    parts = []
    for combo in combos:
        mask = pa.array([True] * table.num_rows)
        for key in keys:
            column = table[key]
            match = pc.is_null(column) if combo[key] is None else pc.fill_null(pc.equal(column, combo[key]), False)
            mask = pc.and_(mask, match)
        parts.append((tuple(_hive_value(combo[k]) for k in keys), table.filter(mask).drop_columns(keys)))
    return parts


def _upload_data(
    ctx: Context, path: Path, keys: list[str], location: str, compression: str
) -> list[tuple[tuple[str, ...], str]]:
    """Upload the data file (or one per partition); the partition values and URI of each."""
    name = f"{ctx.request.query_id}_00000"
    if not keys:
        _upload(ctx, path, location + name)
        return [((), location + name)]
    written = []
    for n, (values, rows) in enumerate(_split_partitions(path, keys)):
        local = ctx.workdir / f"partition-{n}.parquet"
        pq.write_table(rows, local, compression=compression)
        uri = f"{location}{_partition_path(keys, values)}/{name}"
        _upload(ctx, local, uri)
        written.append((values, uri))
    return written


def create_table_as(ctx: Context, statement: Ctas) -> Result:
    """Parquet through the S3 API, the Glue table (and partitions), and the manifest of the data files."""
    target = _check_ctas_target(ctx, statement)
    if target is None:
        return write_text_result(ctx, ["rows"], [])
    db, name = target
    location, compression = _ctas_options(ctx, statement)
    query = statement.query if statement.with_data else statement.query.limit(0)
    cursor = ctx.con.execute(bind_tables(ctx, query))
    columns = _ctas_columns(statement, cursor.description or [])
    keys = _partition_keys(statement, columns)
    table_input = _table_input(name, columns, keys, location, compression)  # type errors before any write
    path, rows = _write_parquet(ctx, cursor, columns, compression)
    written = _upload_data(ctx, path, keys, location, compression) if rows else []
    ctx.glue.create_table(DatabaseName=db, TableInput=table_input)
    if keys:
        table = CatalogTable(db=db, name=name, raw=table_input)
        inputs = [_partition_input(table, values, uri.rsplit("/", 1)[0] + "/") for values, uri in written]
        _create_partitions(ctx, table, inputs)
    manifest = f"{_output(ctx)}tables/{ctx.request.query_id}-manifest.csv"
    _put(ctx, manifest, "".join(uri + "\n" for _, uri in written))
    result = write_text_result(ctx, ["rows"], [])
    return replace(result, manifest_location=manifest)


def _glue_columns(columns: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"Name": n, "Type": t} | ({"Comment": c} if c else {}) for n, t, c in columns]


def create_external_table(ctx: Context, statement: CreateExternal) -> Result:
    """The Glue table of a CREATE EXTERNAL TABLE (the data stays where LOCATION says)."""
    db, name = _resolve(ctx, statement.target)
    if not _database_exists(ctx, db):
        raise QueryError("", f"FAILED: SemanticException [Error 10072]: Database does not exist: {db}")
    storage = {
        "Columns": _glue_columns(statement.columns),
        "Location": statement.location,
        "InputFormat": PARQUET_INPUT,
        "OutputFormat": PARQUET_OUTPUT,
        "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
    }
    table_input = {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet", **statement.properties},
        "PartitionKeys": _glue_columns(statement.keys),
        "StorageDescriptor": storage,
    }
    try:
        ctx.glue.create_table(DatabaseName=db, TableInput=table_input)
    except ctx.glue.exceptions.AlreadyExistsException:
        if not statement.if_not_exists:
            raise QueryError("", f"FAILED: AlreadyExistsException: Table {name} already exists") from None
    return write_text_result(ctx, ["result"], [])


def create_database(ctx: Context, statement: CreateDatabase) -> Result:
    database: dict[str, Any] = {"Name": statement.name}
    if statement.comment:
        database["Description"] = statement.comment.replace("''", "'")
    try:
        ctx.glue.create_database(DatabaseInput=database)
    except ctx.glue.exceptions.AlreadyExistsException:
        if not statement.if_not_exists:
            raise QueryError("", f"FAILED: AlreadyExistsException: Database {statement.name} already exists") from None
    return write_text_result(ctx, ["result"], [])


def drop_database(ctx: Context, statement: DropDatabase) -> Result:
    """DROP DATABASE: RESTRICT refuses a database with tables, CASCADE drops them (their data stays)."""
    if not _database_exists(ctx, statement.name):
        if statement.if_exists:
            return write_text_result(ctx, ["result"], [])
        raise QueryError("", f"FAILED: SemanticException [Error 10072]: Database does not exist: {statement.name}")
    pages = ctx.glue.get_paginator("get_tables").paginate(DatabaseName=statement.name)
    tables = [t["Name"] for page in pages for t in page.get("TableList", [])]
    if tables and not statement.cascade:
        raise QueryError(
            "", f"FAILED: InvalidOperationException Database {statement.name} is not empty. One or more tables exist."
        )
    for table in tables:
        ctx.glue.delete_table(DatabaseName=statement.name, Name=table)
    ctx.glue.delete_database(Name=statement.name)
    return write_text_result(ctx, ["result"], [])


_HANDLERS: dict[type, Callable[[Context, Any], Result]] = {
    Query: run_select,
    Ctas: create_table_as,
    CreateExternal: create_external_table,
    CreateDatabase: create_database,
    DropDatabase: drop_database,
    ShowTables: show_tables,
    ShowDatabases: show_databases,
    ShowPartitions: show_partitions,
    Describe: describe,
    MsckRepair: msck_repair,
    AlterPartitions: alter_partitions,
    DropTable: drop_table,
}


def statement_type(statement: Statement) -> StatementType:
    if isinstance(statement, Query):
        return "DML"
    if isinstance(statement, ShowTables | ShowDatabases | ShowPartitions | Describe):
        return "UTILITY"
    return "DDL"


# --- errors ----------------------------------------------------------------------------------------


def _position_of(sql: str, word: str) -> tuple[int, int] | None:
    """Where ``word`` first occurs in the statement as an identifier (Athena's line:column, 1-based)."""
    match = re.search(rf'(?<![\w"]){re.escape(word)}(?![\w"])|"{re.escape(word)}"', sql, re.IGNORECASE)
    if not match:
        return None
    line = sql.count("\n", 0, match.start()) + 1
    return line, match.start() - (sql.rfind("\n", 0, match.start()) + 1) + 1


_DUCK_ERRORS: list[tuple[type[duckdb.Error], str, int]] = [
    (duckdb.ConversionException, "INVALID_CAST_ARGUMENT", USER_ERROR),
    (duckdb.OutOfRangeException, "NUMERIC_VALUE_OUT_OF_RANGE", USER_ERROR),
    (duckdb.InvalidInputException, "INVALID_FUNCTION_ARGUMENT", USER_ERROR),
    (duckdb.ParserException, "SYNTAX_ERROR", USER_ERROR),
    (duckdb.BinderException, "GENERIC_USER_ERROR", USER_ERROR),
    (duckdb.OutOfMemoryException, "EXCEEDED_LOCAL_MEMORY_LIMIT", USER_ERROR),
]


def _duck_message(error: duckdb.Error) -> str:
    """DuckDB's message without its "X Error:" prefix and the excerpt of the (translated) SQL."""
    return re.sub(r"^[A-Za-z ]+Error: ", "", str(error).split("\n\nLINE ")[0].strip())


def duckdb_error(error: duckdb.Error, sql: str) -> QueryError:
    """An Athena-shaped error for a DuckDB failure (the message without DuckDB's "X Error:" prefix)."""
    message = _duck_message(error)
    column = re.search(r'(?:Referenced column|does not have a column named) "([^"]+)"', message)
    if isinstance(error, duckdb.BinderException) and column:
        name = column[1]
        return QueryError(
            "COLUMN_NOT_FOUND",
            f"Column '{name}' cannot be resolved",
            position=_position_of(sql, name),
            error_type=NOT_FOUND_TYPE,
        )
    function = re.search(r"Scalar Function with name (\w+) does not exist", message)
    if function:
        name = function[1]
        return QueryError("FUNCTION_NOT_FOUND", f"Function '{name}' not registered", position=_position_of(sql, name))
    if message == DIVISION_BY_ZERO:
        return QueryError("DIVISION_BY_ZERO", message)
    if isinstance(error, duckdb.OutOfMemoryException):
        message = f"Query exhausted resources at this scale factor ({message})"
    for kind, code, category in _DUCK_ERRORS:
        if isinstance(error, kind):
            return QueryError(code, message, category=category)
    return QueryError("GENERIC_INTERNAL_ERROR", message, category=SYSTEM_ERROR)


# --- entry point -----------------------------------------------------------------------------------


def _data_error(ctx: Context, error: duckdb.Error) -> AthenaError | None:
    """A failure reading one of the objects: Athena's HIVE_BAD_DATA, naming the object (not its copy)."""
    message = _duck_message(error)
    for uri, path in ctx.downloaded.items():
        if str(path) in message:
            return AthenaError(category=USER_ERROR, type=0, message=f"HIVE_BAD_DATA: {message.replace(str(path), uri)}")
    return None


def _execute(ctx: Context) -> tuple[StatementType, Result | AthenaError]:
    kind: StatementType = "DML"
    try:
        statement = classify(ctx.request.sql)
        kind = statement_type(statement)
        return kind, _HANDLERS[type(statement)](ctx, statement)
    except QueryError as error:
        return kind, error.athena_error()
    except duckdb.Error as error:
        return kind, _data_error(ctx, error) or duckdb_error(error, ctx.request.sql).athena_error()
    except Exception as error:  # the engine's own bug or an API failure: a failed query, never a hang
        traceback.print_exc(file=sys.stderr)
        return kind, AthenaError(category=SYSTEM_ERROR, type=0, message=f"GENERIC_INTERNAL_ERROR: {error}")


def connect(memory_limit_mb: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"memory_limit": f"{memory_limit_mb}MB"})
    con.execute("SET enable_progress_bar = false")  # stdout carries the outcome only
    con.execute("SET TimeZone = 'UTC'")  # Athena's session time zone; timestamps are read as UTC
    con.execute("SET integer_division = true")  # Trino's / truncates integer operands
    return con


def run_query(request: QueryRequest, glue: Any, s3: Any, con: duckdb.DuckDBPyConnection | None = None) -> QueryOutcome:
    """Execute one query; every query-level failure is a FAILED outcome, never an exception."""
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix=f"lc-query-{request.query_id[:40]}-"))
    con = con or connect(request.memory_limit_mb)
    ctx = Context(request=request, glue=glue, s3=s3, con=con, workdir=workdir)
    try:
        con.execute(f"SET temp_directory = {_sql_string(str(workdir / 'spill'))}")
        con.execute("BEGIN")  # one transaction: current_date/now() mean the same in pruning and query
        kind, result = _execute(ctx)
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = int((time.monotonic() - started) * 1000)
    if isinstance(result, AthenaError):
        return QueryOutcome(
            state="FAILED", statement_type=kind, data_scanned_bytes=ctx.scanned, engine_ms=elapsed, error=result
        )
    return QueryOutcome(
        state="SUCCEEDED",
        statement_type=kind,
        columns=result.columns,
        rows=result.rows,
        data_scanned_bytes=ctx.scanned,
        engine_ms=elapsed,
        result_location=result.result_location,
        manifest_location=result.manifest_location,
    )
