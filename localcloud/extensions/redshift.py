"""Redshift Serverless and the Redshift Data API on the local cloud.

moto has no Redshift Serverless: a request for it (JSON protocol, ``X-Amz-Target:
RedshiftServerless.<Operation>``) finds no backend. Rather than registering a service in moto's
index, the dispatcher hands those requests to the control plane in localcloud/redshift_serverless.py.

moto's Data API answers canned results; here statements run for real on the local Redshift engine
(localcloud/redshift_runner.py: DuckDB, a database file per namespace).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from localcloud import redshift_catalog as catalog
from localcloud.redshift_engine import ColumnMeta
from localcloud.redshift_runner import FINISHED, DataApiError, RedshiftRunner, Statement, SubStatement
from localcloud.redshift_serverless import JSON_CONTENT_TYPE, TARGET_PREFIX, ServerlessBackend, handle

if TYPE_CHECKING:
    from localcloud.runtime import Runtime


def _wsgi_app(backend: ServerlessBackend) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        operation = environ["HTTP_X_AMZ_TARGET"][len(TARGET_PREFIX) :]
        try:
            params = json.loads(raw or b"{}")
        except ValueError:
            status, body = 400, {"__type": "SerializationException", "message": "The request body is not JSON"}
        else:
            status, body = handle(backend, operation, params)
        reason = {200: "OK", 400: "Bad Request"}.get(status, "Error")
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {reason}", [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    return app


def serverless_control_plane(runtime: Runtime) -> None:
    """Gap: moto has no Redshift Serverless, and its dispatcher finds no backend for the requests.
    They are served by the control plane above, before moto's dispatch."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    serve = _wsgi_app(runtime.redshift.serverless)
    original = DomainDispatcherApplication.__call__

    def dispatch(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(TARGET_PREFIX):
            return serve(environ, start_response)
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]


def data_api_executes_locally(runtime: Runtime) -> None:
    """Gap: moto's Data API answers canned results. Statements run on the local Redshift engine
    (localcloud/redshift_runner.py) and report their real status, errors and results."""
    from moto.redshiftdata.responses import RedshiftDataAPIServiceResponse

    RedshiftDataAPIServiceResponse.local_runner = runtime.redshift  # type: ignore[attr-defined]
    for name, handler in DATA_API.items():
        setattr(RedshiftDataAPIServiceResponse, name, _answering(handler))


Handler = Callable[[RedshiftRunner, Callable[[str], Any]], dict[str, Any]]


def _answering(handler: Handler) -> Callable[[Any], Any]:
    """A moto response method: the handler's answer as JSON, a DataApiError as the Data API's error."""

    def respond(self: Any) -> Any:
        try:
            return 200, {}, json.dumps(handler(self.local_runner, self._get_param))
        except DataApiError as error:
            # moto takes the status from the headers' "status".
            headers = {"status": 400, "x-amzn-ErrorType": error.code}
            return 400, headers, json.dumps({"__type": error.code, "message": error.message})

    return respond


def _execute_statement(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    return _submitted(runner.submit([param("Sql")], False, _request(param)))


def _batch_execute_statement(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    sqls = param("Sqls") or []
    if not 1 <= len(sqls) <= 40:
        raise DataApiError("ValidationException", f"Sqls must have 1 to 40 statements, had {len(sqls)}")
    return _submitted(runner.submit(list(sqls), True, _request(param)))


def _request(param: Callable[[str], Any]) -> dict[str, Any]:
    keys = ("WorkgroupName", "ClusterIdentifier", "Database", "DbUser", "StatementName", "Parameters", "SessionId",
            "SessionKeepAliveSeconds")  # fmt: skip
    return {k: param(k) for k in keys}


def _submitted(statement: Statement) -> dict[str, Any]:
    answer = {"Id": statement.id, "CreatedAt": statement.created, "Database": statement.database,
              "WorkgroupName": statement.workgroup}  # fmt: skip
    return answer | ({"DbUser": statement.db_user} if statement.db_user else {})


def _describe_statement(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    statement, sub = runner.find(param("Id"))
    if sub is not None:
        return _sub_as_dict(sub)
    described = {
        "Id": statement.id,
        "Status": statement.status,
        "CreatedAt": statement.created,
        "UpdatedAt": statement.updated,
        "Database": statement.database,
        "WorkgroupName": statement.workgroup,
        "QueryString": statement.subs[0].sql if not statement.is_batch else "",
        "Duration": sum(max(s.duration_ns, 0) for s in statement.subs) if statement.status in FINISHED else -1,
        "HasResultSet": any(s.outcome is not None and s.outcome.has_result_set for s in statement.subs),
        "RedshiftPid": os.getpid(),
        "RedshiftQueryId": statement.subs[-1].query_id,
        "ResultRows": -1 if statement.is_batch else _result_rows(statement.subs[0]),
        "ResultSize": -1 if statement.is_batch else _result_size(statement.subs[0]),
    }
    if statement.error:
        described["Error"] = statement.error
    if statement.db_user:
        described["DbUser"] = statement.db_user
    if statement.parameters:
        described["QueryParameters"] = statement.parameters
    if statement.is_batch:
        described["SubStatements"] = [_sub_as_dict(s) for s in statement.subs]
    return described


def _sub_as_dict(sub: SubStatement) -> dict[str, Any]:
    found = {
        "Id": sub.id,
        "Status": sub.status,
        "QueryString": sub.sql,
        "CreatedAt": sub.created,
        "UpdatedAt": sub.updated,
        "Duration": sub.duration_ns if sub.status in FINISHED else -1,
        "HasResultSet": sub.outcome is not None and sub.outcome.has_result_set,
        "RedshiftQueryId": sub.query_id,
        "ResultRows": _result_rows(sub),
        "ResultSize": _result_size(sub),
    }
    return found | ({"Error": sub.error} if sub.error else {})


def _result_rows(sub: SubStatement) -> int:
    """Rows returned by a query, or affected by INSERT, UPDATE, DELETE, COPY; -1 when none."""
    outcome = sub.outcome
    if outcome is None:
        return -1
    return len(outcome.rows or []) if outcome.has_result_set else outcome.rows_affected


def _result_size(sub: SubStatement) -> int:
    return len(json.dumps(sub.records())) if sub.outcome is not None and sub.outcome.has_result_set else -1


def _get_statement_result(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    statement, sub = runner.find(param("Id"))
    if sub is None:
        if statement.is_batch:
            raise DataApiError(
                "ValidationException", "Use the Id of a sub-statement (<id>:<n>) to get a batch's results"
            )
        sub = statement.subs[0]
    if sub.status != "FINISHED":
        raise DataApiError(
            "ValidationException", f"Query does not have result. Please check query status. Status: {sub.status}"
        )
    if sub.outcome is None or sub.outcome.columns is None:
        raise DataApiError("ValidationException", "Query does not have result. Please check query status.")
    records = sub.records()
    start = _offset(param("NextToken"))
    end = start + runner.limits.page_rows
    page: dict[str, Any] = {
        "Records": records[start:end],
        "ColumnMetadata": [_column(c) for c in sub.outcome.columns],
        "TotalNumRows": len(records),
    }
    if end < len(records):
        page["NextToken"] = base64.urlsafe_b64encode(str(end).encode()).decode()
    return page


def _column(column: ColumnMeta) -> dict[str, Any]:
    return {"name": column.name, "label": column.name, "typeName": column.type_name, "precision": column.precision,
            "scale": column.scale, "nullable": 1, "isCaseSensitive": column.type_name == "varchar",
            "isCurrency": False, "isSigned": column.type_name in _SIGNED, "schemaName": "", "tableName": "",
            "length": 0, "columnDefault": ""}  # fmt: skip


_SIGNED = {"int2", "int4", "int8", "float4", "float8", "numeric"}


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except ValueError:
        raise DataApiError("ValidationException", "Invalid NextToken") from None


def _list_statements(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    status, name, workgroup = param("Status") or "ALL", param("StatementName"), param("WorkgroupName")
    size = int(param("MaxResults") or 100)
    if not 0 <= size <= 100:
        raise DataApiError("ValidationException", f"MaxResults must be between 0 and 100, was {size}")
    found = [
        s for s in runner.listed()
        if (status == "ALL" or s.status == status) and (not name or (s.name or "").startswith(name))
        and (not workgroup or s.workgroup == workgroup)
    ]  # fmt: skip
    start = _offset(param("NextToken"))
    end = start + (size or 100)
    listed: dict[str, Any] = {"Statements": [_listed(s) for s in found[start:end]]}
    if end < len(found):
        listed["NextToken"] = base64.urlsafe_b64encode(str(end).encode()).decode()
    return listed


def _listed(statement: Statement) -> dict[str, Any]:
    found: dict[str, Any] = {"Id": statement.id, "Status": statement.status, "CreatedAt": statement.created,
                             "UpdatedAt": statement.updated, "IsBatchStatement": statement.is_batch}  # fmt: skip
    if statement.is_batch:
        found["QueryStrings"] = [s.sql for s in statement.subs]
    else:
        found["QueryString"] = statement.subs[0].sql
    if statement.name:
        found["StatementName"] = statement.name
    if statement.parameters:
        found["QueryParameters"] = statement.parameters
    return found


def _cancel_statement(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    runner.cancel(param("Id"))
    return {"Status": True}


def _catalog_request(param: Callable[[str], Any]) -> dict[str, Any]:
    return {"WorkgroupName": param("WorkgroupName"), "Database": param("ConnectedDatabase") or param("Database")}


def _page_of(items: list[Any], param: Callable[[str], Any], key: str, limit: int = 1000) -> dict[str, Any]:
    """One page of a catalog listing after NextToken (an offset), MaxResults long at most."""
    size = int(param("MaxResults") or limit) or limit
    start = _offset(param("NextToken"))
    page: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        page["NextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return page


def _list_databases(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    return _page_of([runner.namespace_of({"WorkgroupName": param("WorkgroupName")}).db_name], param, "Databases")


def _list_schemas(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    with runner.reading(_catalog_request(param)) as database:
        return _page_of(catalog.list_schemas(database, param("SchemaPattern")), param, "Schemas")


def _list_tables(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    with runner.reading(_catalog_request(param)) as database:
        tables = catalog.list_tables(database, param("SchemaPattern"), param("TablePattern"))
    return _page_of(tables, param, "Tables")


def _describe_table(runner: RedshiftRunner, param: Callable[[str], Any]) -> dict[str, Any]:
    with runner.reading(_catalog_request(param)) as database:
        columns = catalog.describe_table(database, param("Schema"), param("Table"))
    return {"TableName": param("Table"), **_page_of([_column(c) for c in columns], param, "ColumnList")}


DATA_API: dict[str, Handler] = {
    "list_databases": _list_databases,
    "list_schemas": _list_schemas,
    "list_tables": _list_tables,
    "describe_table": _describe_table,
    "execute_statement": _execute_statement,
    "batch_execute_statement": _batch_execute_statement,
    "describe_statement": _describe_statement,
    "get_statement_result": _get_statement_result,
    "list_statements": _list_statements,
    "cancel_statement": _cancel_statement,
}
