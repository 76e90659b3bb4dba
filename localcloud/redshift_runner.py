"""The Redshift Data API's statements on the local cloud: their lifecycle in the emulator process.

ExecuteStatement and BatchExecuteStatement answer at once with an id; the statement is SUBMITTED
and runs on its namespace's worker thread, which owns that namespace's database (a DuckDB file
under the state dir, ``redshift/<namespace>.duckdb``: tables live as long as the local cloud's
state). A namespace's statements run one at a time, in order (Redshift runs them concurrently);
DuckDB releases the GIL while it works, so no API request waits for a statement. STARTED while
it runs, then FINISHED, FAILED (with Redshift's error text) or ABORTED (CancelStatement, or
``LOCAL_REDSHIFT_TIMEOUT_SECONDS``, 300, passed). A batch runs in one transaction: a failing
sub-statement rolls the batch back and the sub-statements after it are ABORTED.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from localcloud.redshift_engine import Database, Outcome, RedshiftError, field_value
from localcloud.redshift_serverless import Namespace, ServerlessBackend
from localcloud.settings import LocalCloudSettings

log = logging.getLogger("localcloud.redshift")
FINISHED = ("FINISHED", "FAILED", "ABORTED")
_QUERY_IDS = itertools.count(1000)


@dataclass(frozen=True)
class RedshiftLimits:
    """The local engine's limits, from the emulator's environment."""

    timeout_s: float = float(os.environ.get("LOCAL_REDSHIFT_TIMEOUT_SECONDS", "300"))
    #: Records per GetStatementResult page (AWS pages by size, up to 100 MB of results in all).
    page_rows: int = int(os.environ.get("LOCAL_REDSHIFT_PAGE_ROWS", "1000"))


class DataApiError(Exception):
    """A Data API request refused (not a statement's failure)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class SubStatement:
    id: str
    sql: str
    status: str = "SUBMITTED"
    error: str | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    started: float | None = None
    outcome: Outcome | None = None
    query_id: int = 0

    def finish(self, status: str, outcome: Outcome | None = None, error: str | None = None) -> None:
        self.status, self.outcome, self.error, self.updated = status, outcome, error, time.time()

    @property
    def duration_ns(self) -> int:
        if self.started is None:
            return -1
        end = self.updated if self.status in FINISHED else time.time()
        return int((end - self.started) * 1e9)

    def records(self) -> list[list[dict[str, Any]]]:
        outcome = self.outcome
        if outcome is None or outcome.columns is None or outcome.rows is None:
            return []
        columns = outcome.columns
        return [[field_value(v, columns[i]) for i, v in enumerate(row)] for row in outcome.rows]


@dataclass
class Statement:
    id: str
    subs: list[SubStatement]
    is_batch: bool
    workgroup: str
    namespace: str
    database: str
    db_user: str | None = None
    name: str | None = None
    parameters: list[dict[str, str]] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    cancelled: threading.Event = field(default_factory=threading.Event)

    @property
    def status(self) -> str:
        states = [s.status for s in self.subs]
        for state in ("FAILED", "ABORTED"):
            if state in states:
                return state
        if all(s == "FINISHED" for s in states):
            return "FINISHED"
        return "STARTED" if any(s != "SUBMITTED" for s in states) else "SUBMITTED"

    @property
    def error(self) -> str | None:
        return next((s.error for s in self.subs if s.error), None)

    @property
    def updated(self) -> float:
        return max(s.updated for s in self.subs)


class NamespaceWorker:
    """The thread that runs one namespace's statements on its database, in order."""

    def __init__(self, runner: RedshiftRunner, namespace: str) -> None:
        self.runner, self.namespace = runner, namespace
        self.queue: queue.Queue[Statement | None] = queue.Queue()
        self.database: Database | None = None
        self.current: Statement | None = None
        self.opening = threading.Lock()
        self.thread = threading.Thread(target=self._loop, daemon=True, name=f"redshift-{namespace}")
        self.thread.start()

    def _loop(self) -> None:
        while (statement := self.queue.get()) is not None:
            try:
                self._run(statement)
            except Exception as exc:  # the engine itself broke: the statement fails, the worker lives
                log.exception("statement %s could not run", statement.id)
                for sub in statement.subs:
                    if sub.status not in FINISHED:
                        sub.finish("FAILED", error=f"ERROR: internal error of the local engine: {exc}")
        if self.database is not None:
            self.database.close()

    def open(self) -> Database:
        """The namespace's database, opened on first use (by a statement or a catalog call)."""
        with self.opening:
            if self.database is None:
                settings = self.runner.settings
                path = settings.state_dir / "redshift" / f"{self.namespace}.duckdb"
                self.database = Database.open(path, settings.endpoint, settings.region)
            return self.database

    def _run(self, statement: Statement) -> None:
        if statement.cancelled.is_set():
            return
        database = self.open()
        parameters = {p["name"]: p["value"] for p in statement.parameters}
        self.current = statement
        timer = threading.Timer(self.runner.limits.timeout_s, self._time_out, args=(statement,))
        timer.start()
        try:
            if statement.is_batch:
                database.con.execute("BEGIN TRANSACTION")
            failed = self._run_subs(statement, database, parameters)
            if statement.is_batch:
                database.con.execute("ROLLBACK" if failed else "COMMIT")
        finally:
            timer.cancel()
            self.current = None
        error = statement.error
        log.info("statement %s %s%s", statement.id, statement.status, f": {error}" if error else "")

    def _run_subs(self, statement: Statement, database: Database, parameters: dict[str, str]) -> bool:
        """Run each sub-statement; True when one failed or was aborted (the rest are ABORTED)."""
        for i, sub in enumerate(statement.subs):
            sub.status, sub.started, sub.updated, sub.query_id = "STARTED", time.time(), time.time(), next(_QUERY_IDS)
            try:
                sub.finish("FINISHED", outcome=database.execute(sub.sql, parameters))
            except duckdb.InterruptException:
                timed_out = not statement.cancelled.is_set()
                message = "ERROR: canceling statement due to statement timeout" if timed_out else None
                sub.finish("FAILED" if timed_out else "ABORTED", error=message)
            except RedshiftError as error:
                sub.finish("FAILED", error=error.message)
            if sub.status != "FINISHED":
                for rest in statement.subs[i + 1 :]:
                    rest.finish("ABORTED")
                return True
        return False

    def _time_out(self, statement: Statement) -> None:
        if self.current is statement and self.database is not None:
            self.database.interrupt()

    def cancel(self, statement: Statement) -> None:
        statement.cancelled.set()
        if self.current is statement and self.database is not None:
            self.database.interrupt()
        for sub in statement.subs:
            if sub.status == "SUBMITTED":
                sub.finish("ABORTED")

    def stop(self) -> None:
        if self.current is not None:
            self.cancel(self.current)
        self.queue.put(None)


class RedshiftRunner:
    def __init__(self, settings: LocalCloudSettings, limits: RedshiftLimits | None = None) -> None:
        self.settings = settings
        self.limits = limits or RedshiftLimits()
        self.serverless = ServerlessBackend(region=settings.region)
        self.lock = threading.Lock()
        self.statements: dict[str, Statement] = {}
        self.workers: dict[str, NamespaceWorker] = {}

    def submit(self, sqls: list[str], is_batch: bool, request: dict[str, Any]) -> Statement:
        """Queue a statement (or a batch) for the request's workgroup; DataApiError when refused."""
        if request.get("SessionId") or request.get("SessionKeepAliveSeconds"):
            raise DataApiError("ValidationException", "Sessions (SessionId, SessionKeepAliveSeconds) are not emulated")
        namespace = self.namespace_of(request)
        workgroup_name = request["WorkgroupName"]
        database = request.get("Database") or namespace.db_name
        statement_id = str(uuid.uuid4())
        subs = [SubStatement(id=f"{statement_id}:{i + 1}" if is_batch else statement_id, sql=sql)
                for i, sql in enumerate(sqls)]  # fmt: skip
        statement = Statement(
            id=statement_id,
            subs=subs,
            is_batch=is_batch,
            workgroup=workgroup_name,
            namespace=namespace.name,
            database=database,
            db_user=request.get("DbUser"),
            name=request.get("StatementName"),
            parameters=list(request.get("Parameters") or []),
        )
        if database != namespace.db_name:
            for sub in subs:
                sub.finish("FAILED", error=f'ERROR: database "{database}" does not exist')
        with self.lock:
            self.statements[statement_id] = statement
            if statement.status not in FINISHED:
                self._worker(namespace.name).queue.put(statement)
        return statement

    def namespace_of(self, request: dict[str, Any]) -> Namespace:
        """The namespace of the request's workgroup; DataApiError when there is none."""
        workgroup_name = request.get("WorkgroupName")
        if not workgroup_name:
            raise DataApiError("ValidationException", "The local cloud runs statements on serverless workgroups only: "
                               "WorkgroupName is required (provisioned clusters are not emulated)")  # fmt: skip
        with self.serverless.lock:
            workgroup = self.serverless.workgroups.get(workgroup_name)
            if workgroup is None:
                raise DataApiError("ValidationException", f"Workgroup {workgroup_name} not found")
            return self.serverless.namespaces[workgroup.namespace_name]

    @contextlib.contextmanager
    def reading(self, request: dict[str, Any]) -> Iterator[Database]:
        """The request's database on a connection of its own, for a catalog call (it does not wait
        for the statements running on the namespace's worker)."""
        namespace = self.namespace_of(request)
        database = request.get("Database") or namespace.db_name
        if database != namespace.db_name:
            raise DataApiError("ValidationException", f'database "{database}" does not exist')
        with self.lock:
            worker = self._worker(namespace.name)
        reader = worker.open().reader()
        try:
            yield reader
        finally:
            reader.close()

    def _worker(self, namespace: str) -> NamespaceWorker:
        if namespace not in self.workers:
            self.workers[namespace] = NamespaceWorker(self, namespace)
        return self.workers[namespace]

    def find(self, statement_id: str) -> tuple[Statement, SubStatement | None]:
        """The statement of an id, and the sub-statement when the id names one (``<id>:<n>``)."""
        base, _, number = statement_id.partition(":")
        statement = self.statements.get(base)
        if statement is None:
            raise DataApiError("ResourceNotFoundException", f"Query does not exist. Query ID: {statement_id}")
        if not number:
            return statement, None
        if not statement.is_batch or not number.isdigit() or not 1 <= int(number) <= len(statement.subs):
            raise DataApiError("ResourceNotFoundException", f"Query does not exist. Query ID: {statement_id}")
        return statement, statement.subs[int(number) - 1]

    def cancel(self, statement_id: str) -> None:
        statement, _ = self.find(statement_id)
        if statement.status in FINISHED:
            message = f"Could not cancel a query that is already in {statement.status} state with ID: {statement_id}"
            raise DataApiError("ValidationException", message)
        with self.lock:
            worker = self.workers.get(statement.namespace)
        if worker is not None:
            worker.cancel(statement)

    def listed(self) -> list[Statement]:
        """Every statement, newest first (as ListStatements orders them)."""
        with self.lock:
            return sorted(self.statements.values(), key=lambda s: s.created, reverse=True)

    def stop(self) -> None:
        """The emulator stops: running statements are aborted and the databases closed."""
        with self.lock:
            workers = list(self.workers.values())
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.stop()
