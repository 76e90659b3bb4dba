"""Athena on the local cloud: the lifecycle of query executions in the emulator process.

An execution is QUEUED when StartQueryExecution accepts it and RUNNING once one of at most
``LOCAL_ATHENA_MAX_RUNNING`` (2) slots is free: then a worker process of the local query engine
(``python -m localcloud.query.worker``, see ``localcloud/query/contract.py``) gets the query on
stdin and answers with its outcome on the last line of stdout. SUCCEEDED and FAILED come from the
outcome; a worker that crashes, is killed or answers garbage is a FAILED system error with the tail
of its stderr; a worker past ``LOCAL_ATHENA_TIMEOUT_SECONDS`` (300) is killed and the query FAILED
with Athena's "Query timeout"; StopQueryExecution kills it and the query is CANCELLED. Every worker
is waited for in a thread of its own, so no API request waits for a query. Workers' stderr goes to
``<state>/logs/athena.log``.

Results are read back from the emulator's S3 for GetQueryResults: the CSV of a query (Athena's
format: every value quoted, NULL an empty unquoted field, a header row first) or the tab-separated
text of a DDL or utility statement.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from localcloud.query.contract import SYSTEM_ERROR, USER_ERROR, AthenaError, QueryOutcome, QueryRequest
from localcloud.settings import ACCOUNT_ID, LocalCloudSettings

log = logging.getLogger("localcloud.athena")
WORKER_MODULE = "localcloud.query.worker"
FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")
#: Athena's ErrorType for "Query engine had an internal error" and for "Query timeout".
ENGINE_ERROR_TYPE, TIMEOUT_ERROR_TYPE = 200, 206
#: Athena's ErrorType for a user error (here: the wrong number of execution parameters).
USER_ERROR_TYPE = 1000
STDERR_TAIL_CHARS = 2000
#: Parsed results kept for paging (the most recently read ones): a client pages one result at a time.
CACHED_RESULTS = 4


@dataclass(frozen=True)
class AthenaLimits:
    """The local engine's limits, from the emulator's environment."""

    timeout_s: float = float(os.environ.get("LOCAL_ATHENA_TIMEOUT_SECONDS", "300"))
    memory_limit_mb: int = int(os.environ.get("LOCAL_ATHENA_MEMORY_MB", "1024"))
    max_running: int = int(os.environ.get("LOCAL_ATHENA_MAX_RUNNING", "2"))


@dataclass
class QueryExecution:
    """One query execution as Athena reports it; mutated only under the runner's lock."""

    id: str
    sql: str
    workgroup: str
    #: The result location, ending in "/".
    output_dir: str
    database: str = ""
    catalog: str = "AwsDataCatalog"
    context: dict[str, str] = field(default_factory=dict)
    encryption: dict[str, Any] | None = None
    parameters: list[str] | None = None
    scan_cutoff_bytes: int | None = None
    state: str = "QUEUED"
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    completed: float | None = None
    outcome: QueryOutcome | None = None
    error: AthenaError | None = None
    process: subprocess.Popen[str] | None = None
    #: GetQueryResults' UpdateCount: the rows a CTAS or INSERT INTO wrote (the files of its manifest).
    update_count: int = 0

    @property
    def result_location(self) -> str:
        """The outcome's result file; before there is one, where a query's CSV will be."""
        if self.outcome is not None and self.outcome.result_location:
            return self.outcome.result_location
        return f"{self.output_dir}{self.id}.csv"


class AthenaRunner:
    def __init__(self, settings: LocalCloudSettings, limits: AthenaLimits | None = None) -> None:
        self.settings = settings
        self.limits = limits or AthenaLimits()
        self.lock = threading.Lock()
        self.slots = threading.Semaphore(self.limits.max_running)
        self.executions: dict[str, QueryExecution] = {}
        #: ClientRequestToken → (execution id, the request it came with).
        self.tokens: dict[str, tuple[str, str]] = {}
        self.results: OrderedDict[str, list[list[str | None]]] = OrderedDict()
        self.stopping = threading.Event()

    # ---- lifecycle ------------------------------------------------------------------------

    def submit(self, execution: QueryExecution, token: str | None = None, fingerprint: str = "") -> str:
        """Queue ``execution``; returns its id, or the id of the execution already started with
        the same ClientRequestToken (ValueError when that one came with another request)."""
        with self.lock:
            if token and token in self.tokens:
                known_id, known_fingerprint = self.tokens[token]
                if known_fingerprint != fingerprint:
                    raise ValueError("The ClientRequestToken was already used with different parameters")
                return known_id
            if token:
                self.tokens[token] = (execution.id, fingerprint)
            self.executions[execution.id] = execution
        threading.Thread(target=self._run, args=(execution,), daemon=True, name=f"athena-{execution.id[:8]}").start()
        return execution.id

    def _run(self, execution: QueryExecution) -> None:
        # Queued until a slot is free; a query cancelled meanwhile never starts.
        while not self.slots.acquire(timeout=0.2):
            if execution.state != "QUEUED":
                return
        try:
            sql = bind_parameters(execution.sql, execution.parameters or [])
            if isinstance(sql, AthenaError):
                self._finish(execution, "FAILED", error=sql)
                return
            process = self._spawn(execution)
            if process is not None:
                self._wait(execution, process, sql)
        except Exception as exc:
            log.exception("query %s could not run", execution.id)
            self._fail_system(execution, f"Query engine had an internal error: {exc}")
        finally:
            self.slots.release()

    def _spawn(self, execution: QueryExecution) -> subprocess.Popen[str] | None:
        with self.lock:
            if execution.state != "QUEUED" or self.stopping.is_set():
                return None
            # In the emulator's process group, so `python -m localcloud down` stops it too.
            execution.process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, **self.settings.client_env()},
            )
            execution.state, execution.started = "RUNNING", time.time()
            return execution.process

    def _request(self, execution: QueryExecution, sql: str) -> QueryRequest:
        return QueryRequest(
            query_id=execution.id,
            sql=sql,
            database=execution.database,
            catalog=execution.catalog,
            output_location=execution.output_dir,
            endpoint=self.settings.endpoint,
            region=self.settings.region,
            workgroup=execution.workgroup,
            scan_cutoff_bytes=execution.scan_cutoff_bytes,
            memory_limit_mb=self.limits.memory_limit_mb,
        )

    def _wait(self, execution: QueryExecution, process: subprocess.Popen[str], sql: str) -> None:
        request = self._request(execution, sql).to_json()
        try:
            stdout, stderr = process.communicate(request, timeout=self.limits.timeout_s)
        except subprocess.TimeoutExpired:
            kill(process)
            stdout, stderr = process.communicate()
            self._log(execution, sql, stderr, "killed: Query timeout")
            self._finish(execution, "FAILED", error=AthenaError(SYSTEM_ERROR, TIMEOUT_ERROR_TYPE, "Query timeout"))
            return
        self._log(execution, sql, stderr, f"exit {process.returncode}")
        if execution.state != "RUNNING":  # stopped meanwhile: the kill ended the worker
            return
        outcome = parse_outcome(stdout) if process.returncode == 0 else None
        if outcome is None:
            tail = stderr.strip()[-STDERR_TAIL_CHARS:] or stdout.strip()[-STDERR_TAIL_CHARS:]
            self._fail_system(execution, f"Query engine had an internal error (exit {process.returncode}): {tail}")
            return
        if outcome.state == "SUCCEEDED":
            self._encrypt_results(execution, outcome)
            execution.update_count = rows_written(outcome)
        self._finish(execution, outcome.state, outcome=outcome, error=outcome.error)

    def _log(self, execution: QueryExecution, sql: str, stderr: str, end: str) -> None:
        """The worker's stderr between START and END lines, Glue-style, in ``<state>/logs/athena.log``."""
        self.settings.logs_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.logs_dir / "athena.log", "a") as out:
            out.write(f"START QueryExecution {execution.id} {execution.workgroup}: {sql}\n{stderr}")
            out.write(f"END QueryExecution {execution.id} {end}\n")

    def _fail_system(self, execution: QueryExecution, message: str) -> None:
        self._finish(execution, "FAILED", error=AthenaError(SYSTEM_ERROR, ENGINE_ERROR_TYPE, message))

    def _finish(
        self,
        execution: QueryExecution,
        state: str,
        outcome: QueryOutcome | None = None,
        error: AthenaError | None = None,
    ) -> None:
        with self.lock:
            if execution.state in FINISHED:  # cancelled first: that stays
                return
            execution.state, execution.completed = state, time.time()
            execution.outcome, execution.error, execution.process = outcome, error, None
        log.info("query %s %s%s", execution.id, state, f": {error.message}" if error else "")

    def cancel(self, execution_id: str) -> None:
        """StopQueryExecution: a queued or running query is CANCELLED; a finished one stays."""
        with self.lock:
            execution = self.executions[execution_id]
            if execution.state in FINISHED:
                return
            execution.state, execution.completed = "CANCELLED", time.time()
            process, execution.process = execution.process, None
        if process is not None:
            kill(process)

    def stop(self) -> None:
        """The emulator stops: no query starts any more and running ones are cancelled."""
        self.stopping.set()
        for execution_id in list(self.executions):
            self.cancel(execution_id)

    # ---- reading ----------------------------------------------------------------------------

    def get(self, execution_id: str) -> QueryExecution | None:
        return self.executions.get(execution_id)

    def ids(self, workgroup: str) -> list[str]:
        """The workgroup's executions, newest first (as ListQueryExecutions orders them)."""
        with self.lock:
            found = [e for e in self.executions.values() if e.workgroup == workgroup]
        return [e.id for e in sorted(found, key=lambda e: e.submitted, reverse=True)]

    def result_rows(self, execution: QueryExecution) -> list[list[str | None]]:
        """The result file's rows as GetQueryResults returns them (the CSV's header included)."""
        with self.lock:
            rows = self.results.get(execution.id)
            if rows is not None:
                self.results.move_to_end(execution.id)
                return rows
        bucket, key = split_s3_uri(execution.result_location)
        obj = _s3().get_object(bucket, key)
        if obj is None:
            raise LookupError(f"the query's result file {execution.result_location} is missing")
        text = obj.value.decode("utf-8")
        rows = parse_tsv(text) if key.endswith(".txt") else parse_csv(text)
        with self.lock:
            self.results[execution.id] = rows
            while len(self.results) > CACHED_RESULTS:
                self.results.popitem(last=False)
        return rows

    def _encrypt_results(self, execution: QueryExecution, outcome: QueryOutcome) -> None:
        """Mark the result files encrypted as the result configuration says (metadata only: the
        emulator stores them as written)."""
        encryption = execution.encryption or {}
        sse = {"SSE_S3": "AES256", "SSE_KMS": "aws:kms"}.get(encryption.get("EncryptionOption", ""))
        if sse is None:  # none, or CSE_KMS (client-side: not emulated)
            return
        for uri in filter(None, (outcome.result_location, outcome.manifest_location)):
            bucket, key = split_s3_uri(uri)
            for name in (key, f"{key}.metadata"):
                obj = _s3().get_object(bucket, name)
                if obj is not None:
                    obj.encryption = sse
                    obj.kms_key_id = encryption.get("KmsKey") if sse == "aws:kms" else None


def new_execution_id() -> str:
    return str(uuid.uuid4())


def _s3() -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[ACCOUNT_ID]["aws"]


def split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def rows_written(outcome: QueryOutcome) -> int:
    """The rows in the Parquet files a CTAS or INSERT INTO lists in its manifest; 0 without one."""
    import io

    import pyarrow.parquet as pq

    if not outcome.manifest_location:
        return 0
    manifest = _s3().get_object(*split_s3_uri(outcome.manifest_location))
    total = 0
    for uri in manifest.value.decode().split() if manifest is not None else []:
        data = _s3().get_object(*split_s3_uri(uri))
        # Only Parquet files are counted (ArrowInvalid is a ValueError): never fail the query for it.
        with contextlib.suppress(ValueError, OSError):
            total += pq.read_metadata(io.BytesIO(data.value)).num_rows if data is not None else 0
    return total


def kill(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        process.kill()


def parse_outcome(stdout: str) -> QueryOutcome | None:
    """The outcome on the worker's last stdout line; None when it is missing or unreadable."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return QueryOutcome.from_json(lines[-1])
    except (ValueError, TypeError, KeyError):
        return None


_QUOTED_OR_PLAIN = re.compile(r'"((?:[^"]|"")*)"|([^,"\r\n]*)')


def parse_csv(text: str) -> list[list[str | None]]:
    """Athena's result CSV: a quoted field is a value (``""`` is the empty string), an empty
    unquoted field is NULL. Quoted fields may hold commas and newlines."""
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _QUOTED_OR_PLAIN.match(text, pos)
        assert match is not None  # the pattern matches the empty string
        quoted, plain = match.groups()
        row.append(quoted.replace('""', '"') if quoted is not None else (plain or None))
        pos = match.end()
        if pos < end and text[pos] == ",":
            pos += 1
            if pos == end:  # a trailing empty field on an unterminated last line
                row.append(None)
            continue
        rows.append(row)
        row = []
        pos += 2 if text.startswith("\r\n", pos) else 1
    if row:
        rows.append(row)
    return rows


def parse_tsv(text: str) -> list[list[str | None]]:
    """A DDL or utility statement's ``.txt`` result: tab-separated rows, no header."""
    rows: list[list[str | None]] = [[*line.split("\t")] for line in text.splitlines() if line]
    return rows


_QUOTED_OR_OTHER = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")


def bind_parameters(sql: str, parameters: list[str]) -> str | AthenaError:
    """ExecutionParameters into the ``?`` placeholders outside quotes, in order, as Athena binds
    them (each parameter is a literal as written: strings carry their own quotes)."""
    if not parameters:
        return sql
    parts = _QUOTED_OR_OTHER.split(sql)
    expected = sum(part.count("?") for part in parts[::2])
    if expected != len(parameters):
        message = f"Incorrect number of parameters: expected {expected} but found {len(parameters)}"
        return AthenaError(USER_ERROR, USER_ERROR_TYPE, message)
    values = iter(parameters)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"\?", lambda _: next(values), parts[i])
    return "".join(parts)
