"""The Data API's catalog calls on the local cloud: ListSchemas, ListTables and DescribeTable over
one namespace's database — its local schemas and tables (DuckDB's information schema) and its
external schemas, whose tables are the Glue database's (type ``EXTERNAL TABLE``, columns as the
catalog has them, partition keys last, as Spectrum shows them).

Patterns are Redshift's LIKE patterns (``%`` any run of characters, ``_`` one character).
"""

from __future__ import annotations

import re
from typing import Any

from localcloud.redshift_engine import DEFAULT_SCHEMA, ColumnMeta, Database, column_meta

#: DuckDB's own schemas and the engine's bookkeeping: never listed.
_HIDDEN_SCHEMAS = ("main", "information_schema", "pg_catalog", "temp")
#: Catalog (Hive) types and Redshift's names for them; nested types are Spectrum's SUPER.
_HIVE_TYPES = {
    "string": "varchar",
    "varchar": "varchar",
    "char": "bpchar",
    "bigint": "int8",
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "tinyint": "int2",
    "double": "float8",
    "float": "float4",
    "boolean": "bool",
    "timestamp": "timestamp",
    "date": "date",
    "binary": "varbyte",
}


def like(pattern: str | None) -> re.Pattern[str]:
    """A Redshift LIKE pattern as a regular expression (None matches everything)."""
    if not pattern:
        return re.compile(".*", re.DOTALL)
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def list_schemas(database: Database, pattern: str | None) -> list[str]:
    rows = database.con.execute(
        "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database()"
    ).fetchall()
    names = {r[0] for r in rows if r[0] not in _HIDDEN_SCHEMAS} | set(database.external_schemas())
    wanted = like(pattern)
    return sorted(n for n in names if wanted.fullmatch(n))


def list_tables(database: Database, schema_pattern: str | None, table_pattern: str | None) -> list[dict[str, str]]:
    schemas, tables = like(schema_pattern), like(table_pattern)
    rows = database.con.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = current_database() ORDER BY table_schema, table_name"
    ).fetchall()
    found = [
        {"schema": schema, "name": name, "type": "VIEW" if kind == "VIEW" else "TABLE"}
        for schema, name, kind in rows
        if schema not in _HIDDEN_SCHEMAS and schemas.fullmatch(schema) and tables.fullmatch(name)
    ]
    for schema, glue_database in sorted(database.external_schemas().items()):
        if schemas.fullmatch(schema):
            names = sorted(t["Name"] for t in _glue_tables(database, glue_database))
            found += [{"schema": schema, "name": n, "type": "EXTERNAL TABLE"} for n in names if tables.fullmatch(n)]
    return found


def describe_table(database: Database, schema: str | None, table: str) -> list[ColumnMeta]:
    """The table's columns; an empty list when there is no such table (as the Data API answers)."""
    schema = (schema or DEFAULT_SCHEMA).lower()
    external = database.external_schemas()
    if schema in external:
        return _external_columns(database, external[schema], table.lower())
    rows = database.con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [column_meta(name, duck_type) for name, duck_type in rows]


def _glue_tables(database: Database, glue_database: str) -> list[dict[str, Any]]:
    pages = database.glue.get_paginator("get_tables").paginate(DatabaseName=glue_database)
    return [t for page in pages for t in page.get("TableList", [])]


def _external_columns(database: Database, glue_database: str, table: str) -> list[ColumnMeta]:
    try:
        raw = database.glue.get_table(DatabaseName=glue_database, Name=table)["Table"]
    except database.glue.exceptions.EntityNotFoundException:
        return []
    columns = (raw.get("StorageDescriptor") or {}).get("Columns", []) + (raw.get("PartitionKeys") or [])
    return [_hive_column(c["Name"].lower(), c.get("Type", "string").lower()) for c in columns]


def _hive_column(name: str, hive: str) -> ColumnMeta:
    if match := re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", hive):
        return ColumnMeta(name, "numeric", int(match[1]), int(match[2]))
    return ColumnMeta(name, _HIVE_TYPES.get(hive.split("(")[0], "super"))
