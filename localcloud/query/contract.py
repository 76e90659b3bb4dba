"""What the emulator's Athena API hands a query worker, and what the worker answers.

The worker reads one :class:`QueryRequest` as JSON on stdin and prints one :class:`QueryOutcome` as
JSON on the last line of stdout. A query that fails (syntax, missing table, unsupported construct,
scan limit) is a ``FAILED`` outcome with exit code 0; a non-zero exit means the engine itself
crashed or was killed (timeout, memory), and the API reports that as an internal error.

The worker is a client of the emulator like any engine is of AWS: it reads the catalog through the
Glue API, data and writes results through the S3 API, at ``endpoint``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

State = Literal["SUCCEEDED", "FAILED"]
#: Athena's StatementType of a query execution.
StatementType = Literal["DML", "DDL", "UTILITY"]

# Athena's AthenaError.ErrorCategory: 1 system, 2 user, 3 other.
SYSTEM_ERROR, USER_ERROR, OTHER_ERROR = 1, 2, 3


@dataclass(frozen=True)
class QueryRequest:
    query_id: str
    sql: str
    #: QueryExecutionContext.Database (may be empty: then every table must be qualified).
    database: str
    #: QueryExecutionContext.Catalog.
    catalog: str
    #: The result location, ending in "/": the workgroup's when it enforces one.
    output_location: str
    #: The emulator's endpoint (the worker's Glue and S3 calls go there).
    endpoint: str
    region: str
    workgroup: str
    #: The workgroup's BytesScannedCutoffPerQuery (None: no cutoff).
    scan_cutoff_bytes: int | None = None
    #: DuckDB's memory_limit for this query.
    memory_limit_mb: int = 1024

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> QueryRequest:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Column:
    name: str
    #: Athena's type name as GetQueryResults reports it (varchar, bigint, double, boolean,
    #: timestamp, date, decimal, integer, array, map, row, ...).
    type: str
    precision: int = 0
    scale: int = 0


@dataclass(frozen=True)
class AthenaError:
    category: int
    #: Athena's ErrorType code (e.g. 1100 syntax, 1101 "not found" kinds); 0 when unknown.
    type: int
    #: Athena-shaped message, e.g. "SYNTAX_ERROR: line 1:8: ..." or "TABLE_NOT_FOUND: line 1:15: ...".
    message: str


@dataclass(frozen=True)
class QueryOutcome:
    state: State
    statement_type: StatementType
    columns: list[Column] = field(default_factory=list)
    #: Data rows in the result (not counting the CSV header).
    rows: int = 0
    data_scanned_bytes: int = 0
    engine_ms: int = 0
    #: s3:// URI of the result file: <output><id>.csv for queries, <output><id>.txt for DDL/utility.
    result_location: str | None = None
    #: CTAS only: s3:// URI of the manifest listing the data files written.
    manifest_location: str | None = None
    error: AthenaError | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> QueryOutcome:
        raw: dict[str, Any] = json.loads(text)
        raw["columns"] = [Column(**c) for c in raw.get("columns", [])]
        raw["error"] = AthenaError(**raw["error"]) if raw.get("error") else None
        return cls(**raw)
