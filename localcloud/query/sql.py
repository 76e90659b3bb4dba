"""Athena SQL on the local cloud: parse (sqlglot, Trino dialect), classify, translate to DuckDB.

Utility statements Athena runs in its Hive DDL engine (SHOW, DESCRIBE, MSCK, ALTER TABLE ... PARTITION,
DROP TABLE) are recognised with anchored patterns, because sqlglot parses most of them only as opaque
commands; queries and CREATE TABLE AS go through sqlglot. Anything else is refused with
``NOT_SUPPORTED`` rather than approximated: a refusal is better than a silently wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError

from localcloud.query.contract import USER_ERROR, AthenaError

#: Athena's ErrorType codes as the contract documents them (syntax, "not found"; 0 otherwise).
SYNTAX_ERROR_TYPE, NOT_FOUND_TYPE = 1100, 1101
DEFAULT_CATALOG = "awsdatacatalog"
DIVISION_BY_ZERO = "Division by zero"


class QueryError(Exception):
    """A query-level failure, reported as a FAILED outcome shaped like Athena's."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        position: tuple[int, int] | None = None,
        category: int = USER_ERROR,
        error_type: int = 0,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.position = code, message, position
        self.category, self.error_type = category, error_type

    def athena_error(self) -> AthenaError:
        where = f"line {self.position[0]}:{self.position[1]}: " if self.position else ""
        prefix = f"{self.code}: " if self.code else ""
        return AthenaError(category=self.category, type=self.error_type, message=f"{prefix}{where}{self.message}")


def not_supported(construct: str) -> QueryError:
    return QueryError("NOT_SUPPORTED", f"{construct} is not supported on the local cloud")


@dataclass(frozen=True)
class TableName:
    """A table reference as written: catalog and database may be absent (then the context's apply)."""

    name: str
    db: str | None = None
    catalog: str | None = None
    position: tuple[int, int] | None = None


@dataclass(frozen=True)
class Query:
    tree: exp.Expr


@dataclass(frozen=True)
class Ctas:
    target: TableName
    query: exp.Query
    #: WITH (...) properties by lowercase name; values are literals or arrays of literals.
    properties: dict[str, str | list[str]]
    with_data: bool = True
    if_not_exists: bool = False


@dataclass(frozen=True)
class CreateExternal:
    """CREATE EXTERNAL TABLE over Parquet: columns and partition keys as (name, Hive type, comment)."""

    target: TableName
    columns: list[tuple[str, str, str]]
    keys: list[tuple[str, str, str]]
    location: str
    #: TBLPROPERTIES.
    properties: dict[str, str]
    if_not_exists: bool = False


@dataclass(frozen=True)
class ShowTables:
    db: str | None
    pattern: str | None


@dataclass(frozen=True)
class ShowDatabases:
    pattern: str | None


@dataclass(frozen=True)
class ShowPartitions:
    table: TableName


@dataclass(frozen=True)
class Describe:
    table: TableName
    #: SHOW COLUMNS lists names only; DESCRIBE prints names, types and the partition section.
    names_only: bool = False


@dataclass(frozen=True)
class MsckRepair:
    table: TableName


@dataclass(frozen=True)
class PartitionSpec:
    values: dict[str, str]
    location: str | None = None


@dataclass(frozen=True)
class AlterPartitions:
    table: TableName
    add: bool
    #: IF NOT EXISTS (add) / IF EXISTS (drop).
    tolerant: bool
    specs: list[PartitionSpec] = field(default_factory=list)


@dataclass(frozen=True)
class DropTable:
    table: TableName
    if_exists: bool


@dataclass(frozen=True)
class CreateDatabase:
    name: str
    if_not_exists: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class DropDatabase:
    name: str
    if_exists: bool = False
    #: CASCADE drops the database's tables too; RESTRICT (the default) refuses a database with tables.
    cascade: bool = False


Statement = (
    Query
    | Ctas
    | CreateExternal
    | ShowTables
    | ShowDatabases
    | ShowPartitions
    | Describe
    | MsckRepair
    | AlterPartitions
    | DropTable
    | CreateDatabase
    | DropDatabase
)

_IDENT = r'(?:"[^"]+"|`[^`]+`|[A-Za-z0-9_$]+)'
_QNAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT}){{0,2}}"
_FLAGS = re.IGNORECASE | re.DOTALL
_PATTERN = r"(?:\s+(?:LIKE\s+)?'(?P<pat>[^']*)')?"
_SHOW_TABLES = re.compile(rf"SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+(?P<db>{_IDENT}))?{_PATTERN}", _FLAGS)
_SHOW_DATABASES = re.compile(rf"SHOW\s+(?:DATABASES|SCHEMAS){_PATTERN}", _FLAGS)
_SHOW_PARTITIONS = re.compile(rf"SHOW\s+PARTITIONS\s+(?P<t>{_QNAME})", _FLAGS)
_DESCRIBE = re.compile(rf"DESC(?:RIBE)?\s+(?:EXTENDED\s+|FORMATTED\s+)?(?P<t>{_QNAME})", _FLAGS)
_SHOW_COLUMNS = re.compile(
    rf"SHOW\s+COLUMNS\s+(?:IN|FROM)\s+(?P<t>{_QNAME})(?:\s+(?:IN|FROM)\s+(?P<db>{_IDENT}))?", _FLAGS
)
_MSCK = re.compile(rf"MSCK\s+REPAIR\s+TABLE\s+(?P<t>{_QNAME})", _FLAGS)
_ALTER = re.compile(
    rf"ALTER\s+TABLE\s+(?P<t>{_QNAME})\s+(?P<op>ADD|DROP)\s+(?P<ifx>IF\s+(?:NOT\s+)?EXISTS\s+)?(?P<rest>PARTITION\b.*)",
    _FLAGS,
)
_PARTITION = re.compile(r"PARTITION\s*\((?P<spec>[^)]*)\)(?:\s*LOCATION\s+'(?P<loc>[^']*)')?\s*,?\s*", _FLAGS)
_SPEC_ITEM = re.compile(rf"\s*(?P<k>{_IDENT})\s*=\s*(?:'(?P<s>(?:[^']|'')*)'|(?P<n>[-+0-9.]+))\s*(?:,|$)", _FLAGS)
_CREATE_DATABASE = re.compile(
    rf"CREATE\s+(?:DATABASE|SCHEMA)\s+(?P<ifx>IF\s+NOT\s+EXISTS\s+)?(?P<db>{_IDENT})"
    r"(?:\s+COMMENT\s+'(?P<comment>(?:[^']|'')*)')?",
    _FLAGS,
)
_DROP_DATABASE = re.compile(
    rf"DROP\s+(?:DATABASE|SCHEMA)\s+(?P<ifx>IF\s+EXISTS\s+)?(?P<db>{_IDENT})(?:\s+(?P<mode>RESTRICT|CASCADE))?", _FLAGS
)
_DROP_TABLE = re.compile(rf"DROP\s+TABLE\s+(?P<ifx>IF\s+EXISTS\s+)?(?P<t>{_QNAME})", _FLAGS)
#: Statements Athena has and the local cloud refuses, by their leading keywords.
_REFUSED = re.compile(
    r"(INSERT|UPDATE|DELETE|MERGE|UNLOAD|VACUUM|OPTIMIZE|PREPARE|EXECUTE|DEALLOCATE|EXPLAIN|GRANT|REVOKE|USE|CALL|SET"
    r"|CREATE\s+(?:OR\s+REPLACE\s+)?(?:VIEW|DATABASE|SCHEMA|PROTECTED\s+MULTI\s+DIALECT\s+VIEW)"
    r"|ALTER\s+(?:TABLE|DATABASE|SCHEMA|VIEW)|DROP\s+(?:VIEW|DATABASE|SCHEMA)|SHOW\s+\w+(?:\s+\w+)?|DESCRIBE\s+VIEW)\b",
    _FLAGS,
)
_CREATE_EXTERNAL = re.compile(r"CREATE\s+EXTERNAL\s+TABLE\b", _FLAGS)
#: Quoted text (kept) or a comment (dropped), for matching statements without their comments.
_QUOTED_OR_COMMENT = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`)|--[^\n]*|/\*.*?\*/", re.DOTALL)


def _unquote(ident: str) -> str:
    """An identifier's name: Athena's are case-insensitive, quoted or not, and Glue's are lowercase."""
    ident = ident.strip()
    return (ident[1:-1] if ident[:1] in ('"', "`") else ident).lower()


def _table_name(text: str) -> TableName:
    parts = [_unquote(p) for p in re.findall(_IDENT, text)]
    name, db, catalog = parts[-1], (parts[-2] if len(parts) > 1 else None), (parts[-3] if len(parts) > 2 else None)
    return TableName(name=name, db=db, catalog=catalog)


def _spec_value(item: re.Match[str]) -> str:
    return item["s"].replace("''", "'") if item["s"] is not None else item["n"]


def _partition_specs(rest: str) -> list[PartitionSpec]:
    specs, pos = [], 0
    while pos < len(rest):
        match = _PARTITION.match(rest, pos)
        if not match:
            raise QueryError(
                "SYNTAX_ERROR", f"mismatched input near '{rest[pos : pos + 20]}'", error_type=SYNTAX_ERROR_TYPE
            )
        items = list(_SPEC_ITEM.finditer(match["spec"]))
        if not items or sum(len(i[0]) for i in items) != len(match["spec"]):
            raise QueryError("SYNTAX_ERROR", f"invalid partition spec ({match['spec']})", error_type=SYNTAX_ERROR_TYPE)
        values = {_unquote(i["k"]): _spec_value(i) for i in items}
        specs.append(PartitionSpec(values=values, location=match["loc"]))
        pos = match.end()
    return specs


def _show_columns(m: re.Match[str]) -> Statement:
    table = _table_name(m["t"])
    db = _unquote(m["db"]) if m["db"] else table.db
    return Describe(TableName(name=table.name, db=db, catalog=table.catalog), names_only=True)


def _alter(m: re.Match[str]) -> Statement:
    add = m["op"].upper() == "ADD"
    return AlterPartitions(_table_name(m["t"]), add=add, tolerant=bool(m["ifx"]), specs=_partition_specs(m["rest"]))


#: The Hive-DDL statements, by anchored pattern, and what each match means.
_UTILITY: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Statement]]] = [
    (_SHOW_TABLES, lambda m: ShowTables(db=_unquote(m["db"]) if m["db"] else None, pattern=m["pat"])),
    (_SHOW_DATABASES, lambda m: ShowDatabases(pattern=m["pat"])),
    (_SHOW_PARTITIONS, lambda m: ShowPartitions(_table_name(m["t"]))),
    (_SHOW_COLUMNS, _show_columns),
    (_DESCRIBE, lambda m: Describe(_table_name(m["t"]))),
    (_MSCK, lambda m: MsckRepair(_table_name(m["t"]))),
    (_ALTER, _alter),
    (_DROP_TABLE, lambda m: DropTable(_table_name(m["t"]), if_exists=bool(m["ifx"]))),
    (_CREATE_DATABASE, lambda m: CreateDatabase(_unquote(m["db"]), if_not_exists=bool(m["ifx"]), comment=m["comment"])),
    (_DROP_DATABASE, lambda m: DropDatabase(_unquote(m["db"]), bool(m["ifx"]), (m["mode"] or "").upper() == "CASCADE")),
]


def _utility(text: str) -> Statement | None:
    """The Hive-DDL statement ``text`` is, or None when it is none of them."""
    for pattern, build in _UTILITY:
        if m := pattern.fullmatch(text):
            return build(m)
    return None


def _token_text(match: re.Match[str]) -> str:
    return "<EOF>" if match[1] == "SENTINEL" else f"'{match[2]}'"


def _syntax_error(error: ParseError | TokenError) -> QueryError:
    details = getattr(error, "errors", None) or [{}]
    first = details[0]
    line, col = first.get("line") or 1, first.get("col") or 1
    message = first.get("description") or str(error).splitlines()[0]
    # sqlglot names tokens by their repr; Athena quotes the text, and <EOF> for the end of input.
    message = re.sub(r"<Token token_type: TokenType\.(\w+), text: (.*?), line: .*?>", _token_text, message)
    message = re.sub(r"<class 'sqlglot\.expressions\.[\w.]*?(\w+)'>", r"\1", message)
    return QueryError("SYNTAX_ERROR", message, position=(line, col), error_type=SYNTAX_ERROR_TYPE)


def _literal_value(node: exp.Expr) -> str | list[str]:
    if isinstance(node, exp.Array):
        return [str(_literal_value(e)) for e in node.expressions]
    if isinstance(node, exp.Literal | exp.Var | exp.Identifier):
        return str(node.this)
    return node.sql()


def _ctas_properties(create: exp.Create) -> tuple[dict[str, str | list[str]], bool]:
    props: dict[str, str | list[str]] = {}
    with_data = True
    node = create.args.get("properties")
    for prop in node.expressions if node else []:
        if isinstance(prop, exp.WithDataProperty):
            with_data = not prop.args.get("no")
        elif isinstance(prop, exp.FileFormatProperty):
            props["format"] = _literal_value(prop.this)
        elif isinstance(prop, exp.PartitionedByProperty):
            props["partitioned_by"] = _literal_value(prop.this)
        elif type(prop) is exp.Property:  # name = value (every specific property is a subclass)
            props[prop.name.lower()] = _literal_value(prop.args["value"])
        else:
            raise not_supported(f"table property {prop.sql(dialect='trino')!r}")
    return props, with_data


def _column_def(column: exp.Expr) -> tuple[str, str, str]:
    kind = column.args.get("kind")
    if not isinstance(column, exp.ColumnDef) or kind is None:
        raise QueryError("SYNTAX_ERROR", f"a column needs a name and a type: {column.sql(dialect='hive')}")
    comment = column.find(exp.CommentColumnConstraint)
    hive_type = re.sub(r"\s+", "", kind.sql(dialect="hive")).lower()
    return column.name.lower(), hive_type, comment.this.name if comment else ""


def _create_external(sql: str) -> CreateExternal:
    """CREATE EXTERNAL TABLE, parsed as Athena's Hive DDL; only Parquet tables are accepted."""
    try:
        tree = sqlglot.parse_one(sql, read="athena")
    except (ParseError, TokenError) as error:
        raise _syntax_error(error) from error
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        raise not_supported("this form of CREATE EXTERNAL TABLE")
    keys, location, formats, props = [], None, [], {}
    for prop in tree.args["properties"].expressions:
        if isinstance(prop, exp.LocationProperty):
            location = prop.this.name
        elif isinstance(prop, exp.PartitionedByProperty):
            keys = [_column_def(c) for c in prop.this.expressions]
        elif isinstance(prop, exp.FileFormatProperty | exp.RowFormatSerdeProperty):
            formats.append(prop.sql(dialect="hive").lower())
        elif type(prop) is exp.Property:  # name = value (every specific property is a subclass)
            props[prop.name] = prop.args["value"].name
        elif not isinstance(prop, exp.ExternalProperty | exp.SchemaCommentProperty):
            raise not_supported(f"CREATE EXTERNAL TABLE with {prop.sql(dialect='hive')}")
    if not any("parquet" in f for f in formats):
        raise not_supported(f"CREATE EXTERNAL TABLE {' '.join(formats) or 'STORED AS TEXTFILE'}")
    if location is None:
        raise QueryError("SYNTAX_ERROR", "CREATE EXTERNAL TABLE needs a LOCATION", error_type=SYNTAX_ERROR_TYPE)
    return CreateExternal(
        target=table_name(tree.this.this),
        columns=[_column_def(c) for c in tree.this.expressions],
        keys=keys,
        location=location,
        properties=props,
        if_not_exists=bool(tree.args.get("exists")),
    )


def _check_select_lists(sql: str, tree: exp.Expr) -> None:
    """sqlglot accepts ``SELECT FROM t`` (DuckDB even runs it); Trino's grammar does not."""
    if any(not select.expressions for select in tree.find_all(exp.Select)):
        match = re.search(r"\bSELECT\s+(?:ALL\s+|DISTINCT\s+)?(FROM)\b", sql, re.IGNORECASE)
        start = match.start(1) if match else 0
        position = (sql.count("\n", 0, start) + 1, start - (sql.rfind("\n", 0, start) + 1) + 1)
        raise QueryError(
            "SYNTAX_ERROR",
            "mismatched input 'FROM'. Expecting: <expression>",
            position=position,
            error_type=SYNTAX_ERROR_TYPE,
        )


def _classify_parsed(tree: exp.Expr) -> Statement:
    if isinstance(tree, exp.Query):
        return Query(tree)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE" and isinstance(tree.expression, exp.Query):
        table = tree.this if isinstance(tree.this, exp.Table) else tree.find(exp.Table)
        if table is None:
            raise not_supported("CREATE TABLE without a table name")
        props, with_data = _ctas_properties(tree)
        return Ctas(
            target=table_name(table),
            query=tree.expression,
            properties=props,
            with_data=with_data,
            if_not_exists=bool(tree.args.get("exists")),
        )
    if isinstance(tree, exp.Create):
        raise not_supported(f"CREATE {tree.kind or ''} without AS SELECT".replace("  ", " "))
    raise not_supported(tree.key.upper())


def classify(sql: str) -> Statement:
    """Parse one Athena statement; raises :class:`QueryError` for syntax errors and refused constructs."""
    text = _QUOTED_OR_COMMENT.sub(lambda m: m[1] or " ", sql).strip().rstrip(";").strip()
    if not text:
        raise QueryError("SYNTAX_ERROR", "empty statement", position=(1, 1), error_type=SYNTAX_ERROR_TYPE)
    statement = _utility(text)
    if statement is not None:
        return statement
    if _CREATE_EXTERNAL.match(text):
        return _create_external(sql)
    if refused := _REFUSED.match(text):
        raise not_supported(" ".join(refused[0].upper().split()))
    try:
        trees = [t for t in sqlglot.parse(sql, read="trino") if t is not None]
    except (ParseError, TokenError) as error:
        raise _syntax_error(error) from error
    if len(trees) != 1:
        raise QueryError(
            "SYNTAX_ERROR", "Only one sql statement is allowed", position=(1, 1), error_type=SYNTAX_ERROR_TYPE
        )
    _check_select_lists(sql, trees[0])
    return _classify_parsed(trees[0])


def table_name(table: exp.Table) -> TableName:
    """The lowercase name parts of a table reference (Athena folds identifiers, Glue stores lowercase)."""
    meta = table.parts[0].meta if table.parts else {}
    # Token meta: line, the column of the token's last character, and its start/end offsets.
    position = (meta["line"], meta["col"] - (meta["end"] - meta["start"])) if "start" in meta else None
    return TableName(
        name=table.name.lower(),
        db=table.db.lower() or None,
        catalog=table.catalog.lower() or None,
        position=position,
    )


def catalog_tables(tree: exp.Expr) -> list[exp.Table]:
    """The table references of a query that name catalog tables (not CTEs, not table functions)."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables = []
    for table in tree.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func):
            continue
        if not table.db and table.name.lower() in ctes:
            continue
        tables.append(table)
    return tables


def bind_view(table: exp.Table, view: str) -> None:
    """Point a catalog table reference at a DuckDB view, keeping the name it is referred to by."""
    alias = table.args.get("alias") or exp.TableAlias(this=table.this.copy())
    table.set("this", exp.to_identifier(view))
    table.set("db", None)
    table.set("catalog", None)
    table.set("alias", alias)


def _guard_division(tree: exp.Expr) -> None:
    """Trino fails a division by zero; DuckDB answers NULL, so make the zero divisor an error."""
    for node in list(tree.find_all(exp.Div, exp.Mod, exp.IntDiv)):
        divisor = node.expression
        if isinstance(divisor, exp.Literal) and divisor.is_number and float(divisor.this) != 0:
            continue  # the common x / 2: nothing to guard
        fail = exp.Anonymous(this="error", expressions=[exp.Literal.string(DIVISION_BY_ZERO)])
        zero = exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0))
        node.set("expression", exp.paren(exp.case().when(zero, fail).else_(divisor.copy()), copy=False))


def _full_unit_date_diff(tree: exp.Expr) -> None:
    """Trino's date_diff counts whole units elapsed; DuckDB's counts boundaries crossed, date_sub whole units."""
    for node in list(tree.find_all(exp.DateDiff)):
        unit = exp.Literal.string(node.text("unit") or "day")
        node.replace(exp.Anonymous(this="date_sub", expressions=[unit, node.expression, node.this]))


def _typed_literals(tree: exp.Expr) -> None:
    """Typed literals typed by their own digits, as in Trino.

    ``timestamp '...'`` becomes DuckDB's TIMESTAMP: the literal's digits are its value, and DuckDB's
    second/millisecond types (what sqlglot maps precisions 0 and 3 to) do not compare with ``timestamp
    with time zone`` values such as now(). ``decimal '1.20'`` is decimal(3,2), not DuckDB's default
    DECIMAL(18,3).
    """
    for cast in tree.find_all(exp.Cast):
        to = cast.args.get("to")
        if not (isinstance(cast.this, exp.Literal) and cast.this.is_string and isinstance(to, exp.DataType)):
            continue
        if to.this == exp.DataType.Type.TIMESTAMP:
            to.set("expressions", [])
        elif to.this == exp.DataType.Type.DECIMAL and not to.expressions:
            whole, _, fraction = cast.this.name.strip().lstrip("+-").partition(".")
            scale = len(fraction)
            precision = max(len(whole.lstrip("0")) + scale, 1)
            to.set("expressions", [exp.DataTypeParam(this=exp.Literal.number(n)) for n in (precision, scale)])


#: An exact numeric type as Trino infers it: ("int", 0) or ("dec", scale); None when not known exact.
Exact = tuple[str, int] | None
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "INT"}


def _column_type(column: exp.Column, views: dict[str, dict[str, str]]) -> Exact:
    """A column's type when it certainly comes from a bound view (else None)."""
    select = column.find_ancestor(exp.Select)
    sources = [select.args["from_"].this] if select and select.args.get("from_") else []
    sources += [j.this for j in (select.args.get("joins") or [])] if select else []
    if column.table:
        sources = [t for t in sources if isinstance(t, exp.Table) and t.alias_or_name == column.table]
    if len(sources) != 1 or not isinstance(sources[0], exp.Table) or sources[0].name not in views:
        return None
    duck = views[sources[0].name].get(column.name.lower(), "")
    if match := re.fullmatch(r"DECIMAL\(\d+,(\d+)\)", duck):
        return "dec", int(match[1])
    return ("int", 0) if duck in _INTEGER_TYPES else None


def _cast_type(to: exp.DataType) -> Exact:
    if to.this == exp.DataType.Type.DECIMAL:
        params = [int(p.name) for p in to.expressions]
        return "dec", params[1] if len(params) > 1 else 0
    return ("int", 0) if to.this.name in _INTEGER_TYPES else None


def _combine(node: exp.Expr, left: Exact, right: Exact) -> Exact:
    if left is None or right is None:
        return None
    kind = "dec" if "dec" in (left[0], right[0]) else "int"
    if isinstance(node, exp.Mul):
        return kind, left[1] + right[1]
    return kind, max(left[1], right[1])  # +, - and / keep the larger scale


def exact_type(node: exp.Expr, views: dict[str, dict[str, str]]) -> Exact:
    """Trino's exact numeric type of an expression, for the forms whose type is certain."""
    if isinstance(node, exp.Literal) and node.is_number:
        text = node.name.lower()
        return None if "e" in text else ("dec", len(text.partition(".")[2])) if "." in text else ("int", 0)
    if isinstance(node, exp.Paren | exp.Neg | exp.Window | exp.Sum | exp.Min | exp.Max):
        return exact_type(node.this, views)
    if isinstance(node, exp.Count):
        return "int", 0
    if isinstance(node, exp.Avg):  # avg(bigint) is a double; avg(decimal) keeps its scale
        inner = exact_type(node.this, views)
        return inner if inner and inner[0] == "dec" else None
    if isinstance(node, exp.Cast) and isinstance(node.args.get("to"), exp.DataType):
        return _cast_type(node.args["to"])
    if isinstance(node, exp.Column):
        return _column_type(node, views)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        return _combine(node, exact_type(node.this, views), exact_type(node.expression, views))
    return None


def _p(node: exp.Expr) -> exp.Expr:
    """Parenthesised: sqlglot prints a built tree's precedence only through explicit parentheses."""
    return exp.paren(node, copy=False)


def _scaled(node: exp.Expr, scale: int) -> exp.Expr:
    """An exact numeric as the integer of its value times 10^scale (exact: Trino's type has that scale)."""
    value = exp.cast(_p(node.copy()), exp.DataType.build(f"DECIMAL(38, {scale})"))
    return exp.cast(_p(exp.Mul(this=value, expression=exp.Literal.number(10**scale))), "HUGEINT")


def _decimal_quotient(node: exp.Div, left: tuple[str, int], right: tuple[str, int]) -> exp.Expr:
    """Trino's decimal division: the quotient at scale max(s1, s2), rounded half up, computed exactly."""
    scale = max(left[1], right[1])
    shift = exp.Literal.number(10 ** (scale - left[1] + right[1]))
    numerator = _p(exp.Mul(this=_scaled(node.this, left[1]), expression=shift))
    denominator = _scaled(node.expression, right[1])
    two = exp.Literal.number(2)
    twice_numerator = _p(exp.Mul(this=two.copy(), expression=exp.Abs(this=numerator)))
    dividend = _p(exp.Add(this=twice_numerator, expression=exp.Abs(this=denominator)))
    divisor = _p(exp.Mul(this=two, expression=exp.Abs(this=denominator.copy())))
    signs = _p(exp.Mul(this=exp.Sign(this=numerator.copy()), expression=exp.Sign(this=denominator.copy())))
    quotient = exp.cast(
        _p(exp.Mul(this=_p(exp.IntDiv(this=dividend, expression=divisor)), expression=signs)), "DECIMAL(38, 0)"
    )
    unit = exp.cast(exp.Literal.string(f"{10**-scale:.{scale}f}"), exp.DataType.build(f"DECIMAL({scale + 1}, {scale})"))
    return exp.cast(_p(exp.Mul(this=quotient, expression=unit)), exp.DataType.build(f"DECIMAL(38, {scale})"))


def emulate_decimal_division(tree: exp.Expr, views: dict[str, dict[str, str]]) -> None:
    """Trino divides decimals (``count(*) * 100.0 / total``) at the operands' larger scale, rounding
    half up; DuckDB answers a double. Where both operands' types are certain, compute Trino's answer;
    ``views`` are the bound views' DuckDB column types."""
    for node in reversed(list(tree.find_all(exp.Div))):  # inner divisions first: outer ones type them
        left, right = exact_type(node.this, views), exact_type(node.expression, views)
        if left and right and "dec" in (left[0], right[0]):
            node.replace(_decimal_quotient(node, left, right))


def to_duckdb(tree: exp.Expr) -> str:
    """DuckDB SQL for a (bound) Trino tree; a construct sqlglot cannot translate is refused."""
    for column in tree.find_all(exp.Column):
        # db.table.column references: the table part alone now names the bound view.
        column.set("db", None)
        column.set("catalog", None)
    _guard_division(tree)
    _full_unit_date_diff(tree)
    _typed_literals(tree)
    for approx in tree.find_all(exp.ApproxDistinct):
        # Exact is within any approximation bound (and Trino's sketch is exact on small sets);
        # DuckDB's HyperLogLog is off by several percent even on a few dozen values.
        approx.replace(exp.Count(this=exp.Distinct(expressions=[approx.this])))
    try:
        return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as error:
        raise not_supported(str(error).splitlines()[0]) from error


#: Node types a partition-pruning conjunct may contain: deterministic scalar logic on literals and keys.
_PRUNABLE = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Binary,
    exp.Predicate,
    exp.Not,
    exp.Paren,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Tuple,
    exp.Neg,
    exp.Interval,
    exp.Var,
    exp.Lower,
    exp.Upper,
    exp.Substring,
    exp.Concat,
    exp.CurrentDate,
    exp.CurrentTimestamp,
    exp.DateAdd,
    exp.DateSub,
    exp.Date,
    exp.TsOrDsToDate,
    exp.DateStrToDate,
    exp.StrToDate,
    exp.StrToTime,
    exp.TimeToStr,
    exp.DateTrunc,
    exp.TimestampTrunc,
)


def _null_supplying(table: exp.Table, select: exp.Select) -> bool:
    """Whether outer joins may pad this table's side with NULLs (then WHERE cannot prune it)."""
    joins = select.args.get("joins") or []
    if any(j.side.upper() in ("RIGHT", "FULL") for j in joins):
        return True
    parent = table.parent
    return isinstance(parent, exp.Join) and parent.side.upper() == "LEFT"


def partition_filter(table: exp.Table, keys: list[str]) -> exp.Expr | None:
    """The WHERE conjuncts of the query block that reads ``table`` which constrain only its partition keys.

    Every row the block keeps satisfies them, so partitions that fail them cannot contribute rows.
    Returned unqualified (over columns named like the keys), or None when there are none.
    """
    parent = table.parent
    select = parent.parent if isinstance(parent, exp.From | exp.Join) else None
    if not isinstance(select, exp.Select) or _null_supplying(table, select):
        return None
    where = select.args.get("where")
    if where is None:
        return None
    names = {table.alias_or_name.lower(), table.name.lower()}
    kept = []
    for conjunct in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        columns = list(conjunct.find_all(exp.Column))
        if not columns or not all(isinstance(n, _PRUNABLE) for n in conjunct.walk()):
            continue
        if all(c.name.lower() in keys and (not c.table or c.table.lower() in names) for c in columns):
            kept.append(conjunct.copy())
    if not kept:
        return None
    condition = exp.and_(*kept)
    for column in condition.find_all(exp.Column):
        column.replace(exp.column(column.name.lower(), quoted=True))
    return condition


def _first_select(query: exp.Expr) -> exp.Select | None:
    """The block that names a query's columns (the first of a UNION's)."""
    node = query
    while isinstance(node, exp.SetOperation | exp.Subquery):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def _is_star(item: exp.Expr) -> bool:
    return isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star))


def _item_name(item: exp.Expr) -> str | None:
    """Trino names a select item by its alias or the column (or field) it dereferences, as written."""
    if isinstance(item, exp.Alias | exp.Column | exp.Dot):
        return item.alias_or_name or None
    return None


def output_names_missing(query: exp.Expr) -> list[int]:
    """1-based positions of a query's select items that have no name (CREATE TABLE AS needs one)."""
    first = _first_select(query)
    items = first.expressions if first else []
    return [i for i, e in enumerate(items, 1) if not _is_star(e) and _item_name(e) is None]


def output_names(query: exp.Expr, produced: list[str]) -> list[str]:
    """Trino's result column names: alias or column as written, ``_colN`` for any other item.

    ``produced`` are DuckDB's names, kept for what a single ``*`` expands to (the catalog's names)
    and whenever the select list cannot be matched to the result (then DuckDB's names stand).
    """
    first = _first_select(query)
    items = first.expressions if first else []
    stars = sum(1 for item in items if _is_star(item))
    width = len(produced) - (len(items) - stars)  # the columns one star expands to
    if first is None or stars > 1 or width < 0:
        return produced
    names: list[str] = []
    for item in items:
        if _is_star(item):
            names += produced[len(names) : len(names) + width]
        else:
            names.append(_item_name(item) or f"_col{len(names)}")
    return names if len(names) == len(produced) else produced


def like_pattern(pattern: str) -> re.Pattern[str]:
    """Athena's SHOW TABLES/DATABASES pattern: ``*`` any run of characters, ``|`` alternatives."""
    options = [".*".join(re.escape(part) for part in option.split("*")) for option in pattern.split("|")]
    return re.compile("|".join(f"(?:{o})" for o in options), re.IGNORECASE)
