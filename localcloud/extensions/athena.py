"""Athena: the API calls the provider needs for workgroups and saved queries, and query
executions run by the local query engine."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.athena_runner import QueryExecution
    from localcloud.runtime import Runtime

log = logging.getLogger("localcloud.extensions")


def tags_for_untagged_resources() -> None:
    """Gap: ListTagsForResource on an existing but untagged workgroup answers "does not exist",
    which makes the provider fail reading back a workgroup it just created."""
    from moto.athena.responses import AthenaResponse

    original = AthenaResponse.list_tags_for_resource

    def list_tags_for_resource(self: AthenaResponse) -> Any:
        arn = self._get_param("ResourceARN")
        backend = self.athena_backend
        name = arn.rsplit("/", 1)[-1]
        exists = name in backend.work_groups or name in getattr(backend, "data_catalogs", {})
        if exists and not backend.tagger.has_tags(arn):
            return json.dumps({"Tags": []})
        return original(self)

    AthenaResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]


def delete_named_query() -> None:
    """Gap: DeleteNamedQuery is not implemented, so destroying the saved queries hangs."""
    from moto.athena.responses import AthenaResponse

    def delete_named_query(self: AthenaResponse) -> str:
        self.athena_backend.named_queries.pop(self._get_param("NamedQueryId"), None)
        return json.dumps({})

    AthenaResponse.delete_named_query = delete_named_query  # type: ignore[attr-defined]


def work_group_updates() -> None:
    """Gap: UpdateWorkGroup is not implemented, so a re-apply that changes the workgroup (its
    state, result location, encryption or scan cutoff) waits forever. ``Remove<Field>: true``
    removes the field, ``ResultConfigurationUpdates`` updates the result configuration, any other
    field replaces the workgroup's."""
    from moto.athena.responses import AthenaResponse

    def apply(target: dict[str, Any], updates: dict[str, Any]) -> None:
        for key, value in updates.items():
            if key == "ResultConfigurationUpdates":
                apply(target.setdefault("ResultConfiguration", {}), value)
            elif key.startswith("Remove"):
                if value:
                    target.pop(key.removeprefix("Remove"), None)
            else:
                target[key] = value

    def update_work_group(self: AthenaResponse) -> Any:
        name = self._get_param("WorkGroup")
        workgroup = self.athena_backend.work_groups.get(name)
        if workgroup is None:
            return self.error("WorkGroup is not found.", 400)
        apply(workgroup.configuration, self._get_param("ConfigurationUpdates") or {})
        if self._get_param("Description") is not None:
            workgroup.description = self._get_param("Description")
        if self._get_param("State"):
            workgroup.state = self._get_param("State")
        return json.dumps({})

    AthenaResponse.update_work_group = update_work_group  # type: ignore[attr-defined]


def named_queries() -> None:
    """Gap: GetNamedQuery of an unknown id is a 500, BatchGetNamedQuery is not implemented and
    ListNamedQueries answers ``"NextToken": null``."""
    from moto.athena.responses import AthenaResponse

    def as_dict(query: Any) -> dict[str, Any]:
        return {"Name": query.name, "Description": query.description, "Database": query.database,
                "QueryString": query.query_string, "NamedQueryId": query.id,
                "WorkGroup": query.workgroup.name}  # fmt: skip

    def get_named_query(self: AthenaResponse) -> Any:
        query_id = self._get_param("NamedQueryId")
        query = self.athena_backend.named_queries.get(query_id)
        if query is None:
            return self.error(f"NamedQuery {query_id} was not found", 400)
        return json.dumps({"NamedQuery": as_dict(query)})

    def batch_get_named_query(self: AthenaResponse) -> str:
        found, missing = [], []
        for query_id in self._get_param("NamedQueryIds") or []:
            query = self.athena_backend.named_queries.get(query_id)
            if query is None:
                missing.append({"NamedQueryId": query_id, "ErrorCode": "INVALID_INPUT",
                                "ErrorMessage": f"NamedQuery {query_id} was not found"})  # fmt: skip
            else:
                found.append(as_dict(query))
        return json.dumps({"NamedQueries": found, "UnprocessedNamedQueryIds": missing})

    original_list = AthenaResponse.list_named_queries

    def list_named_queries(self: AthenaResponse) -> str:
        return json.dumps({k: v for k, v in json.loads(original_list(self)).items() if v is not None})

    AthenaResponse.get_named_query = get_named_query  # type: ignore[method-assign]
    AthenaResponse.batch_get_named_query = batch_get_named_query  # type: ignore[attr-defined]
    AthenaResponse.list_named_queries = list_named_queries  # type: ignore[method-assign]


def queries_execute_locally(runtime: Runtime) -> None:
    """Gap: StartQueryExecution runs nothing and GetQueryResults answers canned rows. Queries run
    on the local query engine (localcloud/athena_runner.py); executions report their real state,
    statistics and errors, and results are read from the result file the engine wrote."""
    from moto.athena.responses import AthenaResponse

    AthenaResponse.local_runner = runtime.athena  # type: ignore[attr-defined]
    AthenaResponse.start_query_execution = _start_query_execution  # type: ignore[method-assign]
    AthenaResponse.get_query_execution = _get_query_execution  # type: ignore[method-assign]
    AthenaResponse.batch_get_query_execution = _batch_get_query_execution  # type: ignore[attr-defined]
    AthenaResponse.list_query_executions = _list_query_executions  # type: ignore[method-assign]
    AthenaResponse.get_query_results = _get_query_results  # type: ignore[method-assign]
    AthenaResponse.stop_query_execution = _stop_query_execution  # type: ignore[method-assign]
    AthenaResponse.get_query_runtime_statistics = _get_query_runtime_statistics  # type: ignore[method-assign]


def _start_query_execution(self: Any) -> Any:
    try:
        execution = _new_execution(self)
        fingerprint = json.dumps([self._get_param(k) for k in _IDEMPOTENT_PARAMETERS], sort_keys=True)
        execution_id = self.local_runner.submit(execution, self._get_param("ClientRequestToken"), fingerprint)
    except ValueError as exc:
        return self.error(str(exc), 400)
    return json.dumps({"QueryExecutionId": execution_id})


def _get_query_execution(self: Any) -> Any:
    execution_id = self._get_param("QueryExecutionId")
    execution = self.local_runner.get(execution_id)
    if execution is None:
        return self.error(f"QueryExecution {execution_id} was not found", 400)
    return json.dumps({"QueryExecution": execution_as_dict(execution)})


def _batch_get_query_execution(self: Any) -> str:
    found, missing = [], []
    for execution_id in self._get_param("QueryExecutionIds") or []:
        execution = self.local_runner.get(execution_id)
        if execution is None:
            missing.append({"QueryExecutionId": execution_id, "ErrorCode": "INVALID_INPUT",
                            "ErrorMessage": f"QueryExecution {execution_id} was not found"})  # fmt: skip
        else:
            found.append(execution_as_dict(execution))
    return json.dumps({"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing})


def _list_query_executions(self: Any) -> Any:
    ids = self.local_runner.ids(self._get_param("WorkGroup") or "primary")
    try:
        page, token = _page(ids, self._get_param("MaxResults"), self._get_param("NextToken"), LIST_MAX_RESULTS)
    except ValueError as exc:
        return self.error(str(exc), 400)
    return json.dumps({"QueryExecutionIds": page, **({"NextToken": token} if token else {})})


def _get_query_results(self: Any) -> Any:
    execution_id = self._get_param("QueryExecutionId")
    execution = self.local_runner.get(execution_id)
    if execution is None:
        return self.error(f"QueryExecution {execution_id} was not found", 400)
    try:
        _check_finished(execution)
        rows = self.local_runner.result_rows(execution)
        page, token = _page(rows, self._get_param("MaxResults"), self._get_param("NextToken"), RESULTS_MAX_RESULTS)
    except (ValueError, LookupError) as exc:
        return self.error(str(exc), 400)
    return json.dumps(_results(execution, page, token))


def _stop_query_execution(self: Any) -> Any:
    execution_id = self._get_param("QueryExecutionId")
    if self.local_runner.get(execution_id) is None:
        return self.error(f"QueryExecution {execution_id} was not found", 400)
    self.local_runner.cancel(execution_id)
    return json.dumps({})


def _get_query_runtime_statistics(self: Any) -> Any:
    """The timeline, the bytes scanned and the rows returned (the engine reports no stages)."""
    execution_id = self._get_param("QueryExecutionId")
    execution = self.local_runner.get(execution_id)
    if execution is None:
        return self.error(f"QueryExecution {execution_id} was not found", 400)
    statistics = _statistics(execution)
    timeline = {key: statistics[key] for key in _TIMELINE}
    outcome = execution.outcome
    rows = {"InputBytes": statistics["DataScannedInBytes"], "OutputRows": outcome.rows if outcome else 0}
    return json.dumps({"QueryRuntimeStatistics": {"Timeline": timeline, "Rows": rows}})


_TIMELINE = ("QueryQueueTimeInMillis", "ServicePreProcessingTimeInMillis", "QueryPlanningTimeInMillis",
             "EngineExecutionTimeInMillis", "ServiceProcessingTimeInMillis", "TotalExecutionTimeInMillis")  # fmt: skip
#: What makes two StartQueryExecution requests with one ClientRequestToken the same request.
_IDEMPOTENT_PARAMETERS = ("QueryString", "QueryExecutionContext", "ResultConfiguration", "WorkGroup",
                          "ExecutionParameters")  # fmt: skip
LIST_MAX_RESULTS, RESULTS_MAX_RESULTS = 50, 1000
NO_OUTPUT_LOCATION = ("No output location provided. An output location is required either through the Workgroup "
                      "result configuration setting or as an API input.")  # fmt: skip
DDL_PREFIXES = ("ALTER", "CREATE", "DESCRIBE", "DROP", "MSCK", "SHOW")


def _new_execution(response: Any) -> QueryExecution:
    """The execution a StartQueryExecution request asks for (ValueError: Athena's refusal)."""
    from localcloud.athena_runner import QueryExecution, new_execution_id

    name = response._get_param("WorkGroup") or "primary"
    workgroup = response.athena_backend.work_groups.get(name)
    if workgroup is None:
        raise ValueError("WorkGroup is not found.")
    if workgroup.state != "ENABLED":
        raise ValueError(f"WorkGroup {name} is disabled.")
    output, encryption = _result_configuration(workgroup.configuration, response._get_param("ResultConfiguration"))
    context = response._get_param("QueryExecutionContext") or {}
    cutoff = workgroup.configuration.get("BytesScannedCutoffPerQuery")
    return QueryExecution(
        id=new_execution_id(),
        sql=response._get_param("QueryString"),
        workgroup=name,
        output_dir=output,
        database=context.get("Database") or "",
        catalog=context.get("Catalog") or "AwsDataCatalog",
        context=context,
        encryption=encryption,
        parameters=response._get_param("ExecutionParameters"),
        scan_cutoff_bytes=int(cutoff) if cutoff else None,
    )


def _result_configuration(configuration: dict[str, Any], requested: dict[str, Any] | None) -> tuple[str, Any]:
    """(result location ending in "/", EncryptionConfiguration or None): the workgroup's when it
    enforces its configuration, else the request's, else the workgroup's."""
    own = configuration.get("ResultConfiguration") or {}
    requested = requested or {}
    if configuration.get("EnforceWorkGroupConfiguration", True):
        location, encryption = own.get("OutputLocation"), own.get("EncryptionConfiguration")
    else:
        location = requested.get("OutputLocation") or own.get("OutputLocation")
        encryption = requested.get("EncryptionConfiguration") or own.get("EncryptionConfiguration")
    if not location:
        raise ValueError(NO_OUTPUT_LOCATION)
    return (location if location.endswith("/") else f"{location}/"), encryption


def _check_finished(execution: QueryExecution) -> None:
    """GetQueryResults answers only for a SUCCEEDED query."""
    if execution.state in ("QUEUED", "RUNNING"):
        raise ValueError(f"Query has not yet finished. Current state: {execution.state}")
    if execution.state == "FAILED":
        raise ValueError(execution.error.message if execution.error else "Query failed")
    if execution.state == "CANCELLED":
        raise ValueError("Query did not finish successfully. Final query state: CANCELLED")


def _page(items: list[Any], max_results: Any, token: str | None, limit: int) -> tuple[list[Any], str | None]:
    """One page of ``items`` after ``token`` (an opaque offset) and the next page's token."""
    size = limit if max_results is None else int(max_results)
    if not 1 <= size <= limit:
        raise ValueError(f"MaxResults must be between 1 and {limit}, was {size}")
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise ValueError("Invalid NextToken") from None
    end = start + size
    more = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], more


def _results(execution: QueryExecution, rows: list[list[str | None]], token: str | None) -> dict[str, Any]:
    outcome = execution.outcome
    columns = outcome.columns if outcome else []
    info = [{"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c.name, "Label": c.name,
             "Type": c.type, "Precision": c.precision, "Scale": c.scale, "Nullable": "UNKNOWN",
             "CaseSensitive": c.type.split("(")[0] in ("varchar", "char")} for c in columns]  # fmt: skip
    result: dict[str, Any] = {
        "UpdateCount": execution.update_count,
        "ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows],
            "ResultSetMetadata": {"ColumnInfo": info},
        },
    }
    if token:
        result["NextToken"] = token
    return result


def execution_as_dict(execution: QueryExecution) -> dict[str, Any]:
    """A QueryExecution as GetQueryExecution returns it."""
    outcome = execution.outcome
    guessed = "DDL" if execution.sql.lstrip().upper().startswith(DDL_PREFIXES) else "DML"
    result_configuration: dict[str, Any] = {"OutputLocation": execution.result_location}
    if execution.encryption:
        result_configuration["EncryptionConfiguration"] = execution.encryption
    found: dict[str, Any] = {
        "QueryExecutionId": execution.id,
        "Query": execution.sql,
        "StatementType": outcome.statement_type if outcome else guessed,
        "ResultConfiguration": result_configuration,
        "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
        "QueryExecutionContext": execution.context,
        "Status": _status(execution),
        "Statistics": _statistics(execution),
        "WorkGroup": execution.workgroup,
        "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
    }
    if execution.parameters:
        found["ExecutionParameters"] = execution.parameters
    return found


def _status(execution: QueryExecution) -> dict[str, Any]:
    status: dict[str, Any] = {"State": execution.state, "SubmissionDateTime": execution.submitted}
    if execution.completed is not None:
        status["CompletionDateTime"] = execution.completed
    error = execution.error
    if error is not None:
        status["StateChangeReason"] = error.message
        status["AthenaError"] = {"ErrorCategory": error.category, "ErrorType": error.type,
                                 "Retryable": False, "ErrorMessage": error.message}  # fmt: skip
    return status


def _statistics(execution: QueryExecution) -> dict[str, Any]:
    def ms(seconds: float) -> int:
        return max(0, int(seconds * 1000))

    end = execution.completed or time.time()
    queued = ms((execution.started or end) - execution.submitted)
    total = ms(end - execution.submitted)
    outcome = execution.outcome
    engine = outcome.engine_ms if outcome else ms(end - execution.started) if execution.started else 0
    statistics: dict[str, Any] = {
        "EngineExecutionTimeInMillis": engine,
        "DataScannedInBytes": outcome.data_scanned_bytes if outcome else 0,
        "TotalExecutionTimeInMillis": total,
        "QueryQueueTimeInMillis": queued,
        "ServicePreProcessingTimeInMillis": 0,
        "QueryPlanningTimeInMillis": 0,
        # What the worker spent outside the engine: starting, reading the catalog, writing results.
        "ServiceProcessingTimeInMillis": max(0, total - queued - engine),
        "ResultReuseInformation": {"ReusedPreviousResult": False},
    }
    if outcome and outcome.manifest_location:
        statistics["DataManifestLocation"] = outcome.manifest_location
    return statistics
