"""The local query engine's SQL layer: classification, translation, pruning conjuncts, error shapes,
and how values are printed in result files. No network, no emulator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from localcloud.query import sql
from localcloud.query.engine import athena_column, csv_field, duckdb_error, text


def translate(statement: str) -> str:
    parsed = sql.classify(statement)
    assert isinstance(parsed, sql.Query)
    return sql.to_duckdb(parsed.tree)


def run(statement: str) -> list[tuple[Any, ...]]:
    """The translated statement's rows, on a connection set up as the engine's."""
    con = duckdb.connect()
    con.execute("SET integer_division = true")
    return con.execute(translate(statement)).fetchall()


def failure(statement: str) -> str:
    with pytest.raises(sql.QueryError) as caught:
        sql.classify(statement)
    return caught.value.athena_error().message


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SHOW TABLES", sql.ShowTables(db=None, pattern=None)),
        ("show tables in Silver 'ev*'", sql.ShowTables(db="silver", pattern="ev*")),
        ("SHOW TABLES FROM silver LIKE 'a|b';", sql.ShowTables(db="silver", pattern="a|b")),
        ("SHOW DATABASES", sql.ShowDatabases(pattern=None)),
        ("SHOW SCHEMAS 's*'", sql.ShowDatabases(pattern="s*")),
        ("SHOW PARTITIONS silver.events", sql.ShowPartitions(sql.TableName("events", "silver"))),
        ("DESCRIBE `silver`.`Events`", sql.Describe(sql.TableName("events", "silver"))),
        ("SHOW COLUMNS IN events FROM silver", sql.Describe(sql.TableName("events", "silver"), names_only=True)),
        ("-- repair\nMSCK REPAIR TABLE events", sql.MsckRepair(sql.TableName("events"))),
        ("SHOW /* all */ TABLES -- of the context's database\n;", sql.ShowTables(db=None, pattern=None)),
        ("DROP TABLE IF EXISTS silver.t", sql.DropTable(sql.TableName("t", "silver"), if_exists=True)),
        ('DROP TABLE "db"."x"', sql.DropTable(sql.TableName("x", "db"), if_exists=False)),
        (
            "CREATE DATABASE IF NOT EXISTS Gold COMMENT 'the ''gold'' layer'",
            sql.CreateDatabase("gold", True, "the ''gold'' layer"),
        ),
        ("CREATE SCHEMA gold", sql.CreateDatabase("gold")),
        ("DROP DATABASE IF EXISTS gold CASCADE", sql.DropDatabase("gold", if_exists=True, cascade=True)),
        ("DROP SCHEMA `gold`", sql.DropDatabase("gold")),
    ],
)
def test_utility_statements(statement: str, expected: sql.Statement) -> None:
    assert sql.classify(statement) == expected


def test_alter_partitions() -> None:
    parsed = sql.classify(
        "ALTER TABLE silver.events ADD IF NOT EXISTS PARTITION (dt = '2024-07-01') "
        "LOCATION 's3://b/silver/events/dt=2024-07-01/' PARTITION (dt='it''s', n=3)"
    )
    assert parsed == sql.AlterPartitions(
        table=sql.TableName("events", "silver"),
        add=True,
        tolerant=True,
        specs=[
            sql.PartitionSpec({"dt": "2024-07-01"}, "s3://b/silver/events/dt=2024-07-01/"),
            sql.PartitionSpec({"dt": "it's", "n": "3"}),
        ],
    )
    dropped = sql.classify("ALTER TABLE events DROP PARTITION (dt='x')")
    assert isinstance(dropped, sql.AlterPartitions) and not dropped.add and not dropped.tolerant


def test_ctas_as_awswrangler_and_with_properties() -> None:
    wrangler = sql.classify('CREATE TABLE "db"."temp_table_ab12"\nWITH(\n    format = \'PARQUET\'\n)\nAS SELECT 1 AS a')
    assert isinstance(wrangler, sql.Ctas)
    assert wrangler.target == sql.TableName("temp_table_ab12", "db", position=(1, 14))
    assert wrangler.properties == {"format": "PARQUET"} and wrangler.with_data
    unenforced = sql.classify(  # awswrangler when the workgroup does not enforce its result location
        "CREATE TABLE \"db\".\"t\"\nWITH(\n    external_location = 's3://b/out/t',\n    partitioned_by = ARRAY['dt'],\n"
        "    write_compression = 'SNAPPY',\n    format = 'PARQUET'\n)\nAS SELECT 1 AS a, 'x' AS dt\nWITH NO DATA"
    )
    assert isinstance(unenforced, sql.Ctas) and not unenforced.with_data
    assert unenforced.properties == {
        "external_location": "s3://b/out/t",
        "partitioned_by": ["dt"],
        "write_compression": "SNAPPY",
        "format": "PARQUET",
    }
    full = sql.classify(
        "CREATE TABLE x WITH (format='PARQUET', external_location='s3://b/x/', write_compression='SNAPPY', "
        "partitioned_by=ARRAY['dt']) AS SELECT 1 AS a, 'd' AS dt WITH NO DATA"
    )
    assert isinstance(full, sql.Ctas) and not full.with_data
    assert full.properties == {
        "format": "PARQUET",
        "external_location": "s3://b/x/",
        "write_compression": "SNAPPY",
        "partitioned_by": ["dt"],
    }


@pytest.mark.parametrize(
    ("statement", "construct"),
    [
        ("INSERT INTO t SELECT 1", "INSERT"),
        ("delete from t where x = 1", "DELETE"),
        ("UPDATE t SET x = 1", "UPDATE"),
        ("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", "MERGE"),
        ("UNLOAD (SELECT 1) TO 's3://b/x/' WITH (format = 'PARQUET')", "UNLOAD"),
        ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
        ("CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE OR REPLACE VIEW"),
        ("CREATE EXTERNAL TABLE t (a int) LOCATION 's3://b/t/'", "CREATE EXTERNAL TABLE STORED AS TEXTFILE"),
        ("CREATE EXTERNAL TABLE t (a int) STORED AS ORC LOCATION 's3://b/t/'", "CREATE EXTERNAL TABLE stored as orc"),
        ("CREATE TABLE t (a int)", "CREATE TABLE without AS SELECT"),
        ("ALTER TABLE t ADD COLUMNS (b int)", "ALTER TABLE"),
        ("SHOW CREATE TABLE t", "SHOW CREATE TABLE"),
        ("DROP VIEW v", "DROP VIEW"),
        ("CREATE DATABASE d LOCATION 's3://b/d/'", "CREATE DATABASE"),
        ("EXPLAIN SELECT 1", "EXPLAIN"),
    ],
)
def test_refused_constructs(statement: str, construct: str) -> None:
    assert failure(statement) == f"NOT_SUPPORTED: {construct} is not supported on the local cloud"


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT 1 FROM", "SYNTAX_ERROR: line 1:13: Expected table name but got <EOF>"),
        ("SELECT (1", "SYNTAX_ERROR: line 1:9: Expecting )"),
        ("SELECT 1;\nSELECT 2", "SYNTAX_ERROR: line 1:1: Only one sql statement is allowed"),
        ("   ", "SYNTAX_ERROR: line 1:1: empty statement"),
        ("SELECT\n  FROM shipments", "SYNTAX_ERROR: line 2:3: mismatched input 'FROM'. Expecting: <expression>"),
        ("SELECT a FROM t WHERE", "SYNTAX_ERROR: line 1:21: Required keyword: 'this' missing for Where"),
    ],
)
def test_syntax_errors(statement: str, message: str) -> None:
    assert failure(statement) == message


def test_table_references_and_binding() -> None:
    parsed = sql.classify(
        'WITH c AS (SELECT * FROM "Silver"."Events") '
        "SELECT * FROM c JOIN awsdatacatalog.silver.users u ON u.id = c.id JOIN events ON true"
    )
    assert isinstance(parsed, sql.Query)
    tables = sorted(sql.catalog_tables(parsed.tree), key=lambda t: sql.table_name(t).position or (0, 0))
    assert [sql.table_name(t) for t in tables] == [
        sql.TableName("events", "silver", position=(1, 26)),
        sql.TableName("users", "silver", "awsdatacatalog", position=(1, 66)),
        sql.TableName("events", position=(1, 116)),
    ]
    for i, table in enumerate(tables):
        sql.bind_view(table, f"v{i}")
    assert sql.to_duckdb(parsed.tree) == (
        'WITH c AS (SELECT * FROM v0 AS "Events") SELECT * FROM c JOIN v1 AS u ON u.id = c.id JOIN v2 AS events ON TRUE'
    )


def test_translation_keeps_trino_semantics() -> None:
    assert run("SELECT 7 / 2, -7 / 2, 7.0 / 2, 7 % 3") == [(3, -3, 3.5, 1)]
    assert run("SELECT concat('a', NULL), 'a' || 'b', substr('hello', 2, 3), regexp_like('abc', 'b')") == [
        (None, "ab", "ell", True)
    ]
    assert run("SELECT approx_distinct(x) FROM (VALUES 1, 2, 2, NULL) AS t(x)") == [(2,)]
    assert run("SELECT date_format(timestamp '2024-07-01 10:20:30', '%Y-%m-%d %H:%i:%s')") == [("2024-07-01 10:20:30",)]
    assert run("SELECT date_trunc('month', date '2024-07-15'), date_add('day', 1, date '2024-07-31')")[0][0] == date(
        2024, 7, 1
    )
    assert run("SELECT now() > timestamp '2020-01-01 00:00:00', timestamp '2024-01-01 10:00:00.123456'") == [
        (True, datetime(2024, 1, 1, 10, 0, 0, 123456))
    ]
    assert run("SELECT DECIMAL '1.20', DECIMAL '-0.5', DECIMAL '12'") == [
        (Decimal("1.20"), Decimal("-0.5"), Decimal("12"))
    ]
    late, early = "timestamp '2024-01-02 01:00:00'", "timestamp '2024-01-01 23:00:00'"
    assert run(f"SELECT date_diff('day', {early}, {late}), date_diff('hour', {early}, {late})") == [(0, 2)]
    assert run("SELECT date_diff('day', date '2024-07-01', date '2024-07-31'), greatest(1, NULL)") == [(30, None)]
    assert run("SELECT regexp_replace('aaa', 'a', 'b'), replace('abcb', 'b')") == [("bbb", "ac")]
    rows = run("SELECT x FROM (VALUES 1, NULL, 3) AS t(x) ORDER BY x DESC LIMIT 2 OFFSET 1")
    assert rows == [(1,), (None,)]


def test_division_by_zero_fails_like_trino() -> None:
    with pytest.raises(duckdb.Error) as caught:
        run("SELECT x / y FROM (VALUES (1, 0)) AS t(x, y)")
    assert duckdb_error(caught.value, "").athena_error().message == "DIVISION_BY_ZERO: Division by zero"


def partition_filter(statement: str, keys: tuple[str, ...] = ("dt",)) -> str | None:
    parsed = sql.classify(statement)
    assert isinstance(parsed, sql.Query)
    table = next(t for t in sql.catalog_tables(parsed.tree) if t.name == "events")
    condition = sql.partition_filter(table, list(keys))
    return condition.sql(dialect="trino") if condition is not None else None


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT * FROM events WHERE dt = '1' AND x > 2", "\"dt\" = '1'"),
        ("SELECT * FROM events e WHERE e.dt IN ('1', '2')", "\"dt\" IN ('1', '2')"),
        (
            "SELECT * FROM events WHERE dt BETWEEN '1' AND '3' AND dt <> '2'",
            "\"dt\" BETWEEN '1' AND '3' AND \"dt\" <> '2'",
        ),
        ("SELECT * FROM events WHERE dt = '1' OR x = 2", None),
        ("SELECT * FROM events e JOIN u ON u.k = e.k WHERE u.dt = '1'", None),
        ("SELECT * FROM u LEFT JOIN events e ON u.k = e.k WHERE e.dt = '1'", None),
        ("SELECT * FROM events e RIGHT JOIN u ON u.k = e.k WHERE e.dt = '1'", None),
        ("SELECT * FROM events e LEFT JOIN u ON u.k = e.k WHERE e.dt = '1'", "\"dt\" = '1'"),
        ("SELECT * FROM events WHERE dt = (SELECT max(dt) FROM other)", None),
        ("SELECT * FROM events WHERE rand() < 0.5 OR dt = '1'", None),
        ("SELECT * FROM events WHERE dt > cast(current_date - interval '2' day AS varchar)", "dt"),
        ("SELECT * FROM (SELECT * FROM events WHERE dt = '1') WHERE x = 1", "\"dt\" = '1'"),
    ],
)
def test_partition_conjuncts(statement: str, expected: str | None) -> None:
    got = partition_filter(statement)
    if expected is None or expected == "dt":
        assert (got is None) == (expected is None), got
    else:
        assert got == expected


def test_output_names_for_ctas() -> None:
    def missing(statement: str) -> list[int]:
        parsed = sql.classify(statement)
        assert isinstance(parsed, sql.Query)
        return sql.output_names_missing(parsed.tree)

    assert missing("SELECT a, t.b, 1 AS c, * FROM t") == []
    assert missing("SELECT a, count(*), 1 FROM t") == [2, 3]
    assert missing("SELECT 1 UNION ALL SELECT 2 AS x") == [1]


def test_like_pattern() -> None:
    pattern = sql.like_pattern("ev*|Users")
    assert [n for n in ["events", "evx", "users", "user", "a.ev"] if pattern.fullmatch(n)] == ["events", "evx", "users"]
    assert sql.like_pattern("a.b").fullmatch("axb") is None


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (True, "true"),
        (1.5, "1.5"),
        (100.0, "100.0"),
        (1e7, "1.0E7"),
        (12345678.5, "1.23456785E7"),
        (2.5e-7, "2.5E-7"),
        (-3e20, "-3.0E20"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
        (Decimal("12.50"), "12.50"),
        (datetime(2024, 7, 1, 10, 2, 3, 456789), "2024-07-01 10:02:03.456"),
        (datetime(2024, 7, 1, tzinfo=UTC), "2024-07-01 00:00:00.000 UTC"),
        (date(2024, 7, 1), "2024-07-01"),
        (timedelta(days=1, seconds=3723, microseconds=500000), "1 01:02:03.500"),
        (b"hi", "68 69"),
        ([1, None, "a"], "[1, null, a]"),
        ({"a": 1, "b": None}, "{a=1, b=null}"),
    ],
)
def test_values_as_athena_prints_them(value: Any, printed: str) -> None:
    assert text(value) == printed
    if isinstance(value, float) and value == value:
        assert float(printed.replace("Infinity", "inf")) == value  # round-trippable


def test_csv_fields_and_column_types() -> None:
    assert [csv_field(v) for v in [None, "", 'a"b', "x,y"]] == ["", '""', '"a""b"', '"x,y"']
    assert athena_column("d", "DECIMAL(18,3)") == athena_column("d", "DECIMAL(18,3)")
    assert (athena_column("d", "DECIMAL(18,3)").precision, athena_column("d", "DECIMAL(18,3)").scale) == (18, 3)
    types = ["VARCHAR", "BIGINT", "HUGEINT", "INTEGER", "DOUBLE", "FLOAT", "BOOLEAN", "TIMESTAMP", "DATE", "BLOB"]
    assert [athena_column("c", t).type for t in types] == [
        "varchar",
        "bigint",
        "bigint",
        "integer",
        "double",
        "real",
        "boolean",
        "timestamp",
        "date",
        "varbinary",
    ]
    nested = ["INTEGER[]", "STRUCT(a INTEGER)", "MAP(VARCHAR, INTEGER)", "TIMESTAMP WITH TIME ZONE"]
    assert [athena_column("c", t).type for t in nested] == ["array", "row", "map", "timestamp with time zone"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT nosuch FROM (SELECT 1 AS a)", "COLUMN_NOT_FOUND: line 1:8: Column 'nosuch' cannot be resolved"),
        ("SELECT nosuchfn(1)", "FUNCTION_NOT_FOUND: line 1:8: Function 'nosuchfn' not registered"),
        ("SELECT CAST('x' AS INTEGER)", "INVALID_CAST_ARGUMENT: Could not convert string 'x' to INT32"),
    ],
)
def test_duckdb_errors_are_athena_shaped(query: str, message: str) -> None:
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect().execute(query)
    error = duckdb_error(caught.value, query).athena_error()
    assert error.message.startswith(message) and error.category == 2


@pytest.mark.parametrize(
    ("statement", "produced", "names"),
    [
        ("SELECT a, T.B, 1, count(*) AS Total FROM t", ["a", "B", "1", "Total"], ["a", "B", "_col2", "Total"]),
        ("SELECT *, 1 FROM t", ["x", "y", "1"], ["x", "y", "_col2"]),
        ("SELECT 1 UNION ALL SELECT 2 AS b", ["1"], ["_col0"]),
        ("SELECT t.*, u.* FROM t, u", ["x", "y"], ["x", "y"]),
    ],
)
def test_output_names_as_trino(statement: str, produced: list[str], names: list[str]) -> None:
    parsed = sql.classify(statement)
    assert isinstance(parsed, sql.Query)
    assert sql.output_names(parsed.tree, produced) == names


def test_create_external_table() -> None:
    parsed = sql.classify(
        "CREATE EXTERNAL TABLE IF NOT EXISTS silver.Clicks (\n  id string COMMENT 'the id', n bigint, "
        "tags array<string>, amount decimal(10, 2)\n) PARTITIONED BY (dt string)\nSTORED AS PARQUET\n"
        "LOCATION 's3://lake/silver/clicks/'\nTBLPROPERTIES ('parquet.compression' = 'SNAPPY')"
    )
    assert parsed == sql.CreateExternal(
        target=sql.TableName("clicks", "silver", position=(1, 37)),
        columns=[
            ("id", "string", "the id"),
            ("n", "bigint", ""),
            ("tags", "array<string>", ""),
            ("amount", "decimal(10,2)", ""),
        ],
        keys=[("dt", "string", "")],
        location="s3://lake/silver/clicks/",
        properties={"parquet.compression": "SNAPPY"},
        if_not_exists=True,
    )
    assert failure("CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET").startswith("SYNTAX_ERROR")


def divide(statement: str, views: dict[str, dict[str, str]] | None = None) -> list[tuple[Any, ...]]:
    parsed = sql.classify(statement)
    assert isinstance(parsed, sql.Query)
    sql.emulate_decimal_division(parsed.tree, views or {})
    con = duckdb.connect()
    con.execute("SET integer_division = true")
    con.execute("CREATE TABLE t AS SELECT 7::BIGINT AS qty, 7.0::DOUBLE AS amount, 1.25::DECIMAL(5,2) AS price")
    return con.execute(sql.to_duckdb(parsed.tree)).fetchall()


def test_decimal_division_as_trino() -> None:
    """Trino: the quotient of exact numerics with a decimal has the larger scale, rounded half up."""
    assert divide("SELECT 1.0 / 3, 100.0 * 2 / 3, -1.0 / 3, 2.0 / -3, 1 / 8.00, 0.285 / 1") == [
        (Decimal("0.3"), Decimal("66.7"), Decimal("-0.3"), Decimal("-0.7"), Decimal("0.13"), Decimal("0.285"))
    ]
    assert divide("SELECT 2.5e0 / 2, 7 / 2, CAST(NULL AS decimal(3, 1)) / 2") == [(1.25, 3, None)]
    views = {"t": {"qty": "BIGINT", "amount": "DOUBLE", "price": "DECIMAL(5,2)"}}
    assert divide("SELECT qty * 1.0 / 3, amount * 1.0 / 3, price / qty FROM t", views) == [
        (Decimal("2.3"), 7.0 / 3, Decimal("0.18"))
    ]
    assert divide("SELECT avg(qty) / 2.0, sum(price) / 2 FROM t", views) == [(3.5, Decimal("0.63"))]
    share = "SELECT count(*) * 100.0 / sum(count(*)) OVER () FROM (VALUES 1, 1, 2) AS v(x) GROUP BY x ORDER BY 1"
    assert divide(share) == [(Decimal("33.3"),), (Decimal("66.7"),)]
    with pytest.raises(duckdb.Error, match="Division by zero"):
        divide("SELECT 1.0 / 0")
