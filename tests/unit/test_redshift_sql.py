"""The local Redshift engine's SQL layer and value encoding, without an emulator: what it accepts
(Redshift's physical options dropped), what it refuses, parameters, and the Data API's typed
fields. Statements against real data are in tests/integration/test_redshift_local.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from localcloud.query.sql import to_duckdb
from localcloud.redshift_engine import (
    ColumnMeta,
    Database,
    RedshiftError,
    bind_parameters,
    column_meta,
    field_value,
    parse,
)


def test_physical_design_options_are_dropped() -> None:
    sql = to_duckdb(parse("CREATE TABLE t (id BIGINT ENCODE az64 NOT NULL) DISTSTYLE KEY DISTKEY(id) SORTKEY(id)"))
    assert "ENCODE" not in sql and "DIST" not in sql and "SORTKEY" not in sql
    assert "NOT NULL" in sql


@pytest.mark.parametrize(
    ("sql", "refused"),
    [
        ("VACUUM t", "VACUUM"),
        ("GRANT SELECT ON t TO bob", "GRANT"),
        ("ROLLBACK", "ROLLBACK"),
        ("CREATE EXTERNAL TABLE s.t (a INT) STORED AS PARQUET LOCATION 's3://b/p/'", "CREATE EXTERNAL TABLE"),
    ],
)
def test_statements_the_engine_does_not_run_are_refused(sql: str, refused: str) -> None:
    with pytest.raises(RedshiftError, match=f"{refused}.* is not supported on the local cloud") as error:
        parse(sql)
    assert error.value.message.startswith("ERROR: ")


def test_one_statement_per_execution() -> None:
    with pytest.raises(RedshiftError, match="multiple commands"):
        parse("SELECT 1; SELECT 2")


def test_named_parameters_become_literals() -> None:
    tree = parse("SELECT * FROM t WHERE id = :id AND dt = :day")
    bind_parameters(tree, {"id": "5", "day": "2024-01-01"})
    assert to_duckdb(tree) == "SELECT * FROM t WHERE id = '5' AND dt = '2024-01-01'"
    with pytest.raises(RedshiftError, match=":missing has no value"):
        bind_parameters(parse("SELECT :missing"), {})


@pytest.mark.parametrize(
    ("duck", "expected"),
    [
        ("BIGINT", ColumnMeta("c", "int8")),
        ("HUGEINT", ColumnMeta("c", "int8")),
        ("INTEGER", ColumnMeta("c", "int4")),
        ("DOUBLE", ColumnMeta("c", "float8")),
        ("VARCHAR", ColumnMeta("c", "varchar")),
        ("DECIMAL(18,3)", ColumnMeta("c", "numeric", 18, 3)),
        ("TIMESTAMP_NS", ColumnMeta("c", "timestamp")),
        ("TIMESTAMP WITH TIME ZONE", ColumnMeta("c", "timestamptz")),
        ("STRUCT(a INTEGER)", ColumnMeta("c", "super")),
    ],
)
def test_duckdb_types_are_named_as_redshift_names_them(duck: str, expected: ColumnMeta) -> None:
    assert column_meta("c", duck) == expected


def test_values_are_typed_fields() -> None:
    assert field_value(None, ColumnMeta("c", "int8")) == {"isNull": True}
    assert field_value(True, ColumnMeta("c", "bool")) == {"booleanValue": True}
    assert field_value(7, ColumnMeta("c", "int8")) == {"longValue": 7}
    assert field_value(2.5, ColumnMeta("c", "float8")) == {"doubleValue": 2.5}
    assert field_value(float("nan"), ColumnMeta("c", "float8")) == {"stringValue": "nan"}
    assert field_value(Decimal("1.50"), ColumnMeta("c", "numeric", 10, 2)) == {"stringValue": "1.50"}
    when = datetime(2024, 1, 2, 3, 4, 5)
    assert field_value(when, ColumnMeta("c", "timestamp")) == {"stringValue": "2024-01-02 03:04:05"}
    assert field_value(b"\x00\x01", ColumnMeta("c", "varbyte")) == {"blobValue": "AAE="}


def test_local_statements_need_no_emulator(tmp_path: Path) -> None:
    """Statements that touch neither S3 nor the catalog run on the database file alone."""
    database = Database.open(tmp_path / "ns.duckdb", "http://127.0.0.1:9", "us-east-1")
    try:
        assert database.execute("CREATE TABLE t (x INT)").rows_affected == -1
        assert database.execute("INSERT INTO t VALUES (1), (2)").rows_affected == 2
        outcome = database.execute("SELECT count(*), sum(x) AS Total FROM public.t")
        assert outcome.columns == [ColumnMeta("count", "int8"), ColumnMeta("total", "int8")]
        assert outcome.rows == [(2, 3)]
        with pytest.raises(RedshiftError, match="Table with name nope does not exist"):
            database.execute("SELECT * FROM nope")
    finally:
        database.close()
