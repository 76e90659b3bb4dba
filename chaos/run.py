"""One seeded chaos run: upload, deliver with faults, drain (retries, DLQ redrive), account.

The driver plays the AWS side around the two functions, with at-least-once semantics made
worse on purpose:

* S3 → ingest: each notification is delivered one to three times, in shuffled order; a failed
  asynchronous invocation is retried twice, then its event goes to the ingest DLQ (Lambda's
  async retry policy and DeadLetterConfig);
* SQS → transform (the event source mapping): batches of random size from shuffled receives,
  some messages sent a second time (SQS may deliver twice), failed items and crashed batches
  made visible again; after ``maxReceiveCount`` receives SQS moves a message to the DLQ;
* mid-run, one object is overwritten (a new version) while its units wait in the queue;
* **a replay next to live traffic**: in an early round the units of two objects are published
  again with a ``replay`` run name, interleaved with the normal messages in the same rounds;
* **an overwrite while its replay is in flight**: the replay units of another object are
  published, and in the same or the next round the object is overwritten;
* operator redrive: both DLQs are moved back and drained, up to ``max_redrives`` times, until
  they hold only messages that can never succeed (a whole batch fails on one AWS error, and the
  SDK's retries are off: a batch that must retract rows makes dozens of calls, so some units
  need several redrives);
* **a final replay**: once everything is quiet, the units of some objects are published again
  with a replay run name (recompute in place), drained and redriven; silver must then be row for
  row what it was before (``_ingested_at`` aside).

Time is the driver's: a virtual clock (``Driver.now``) drives the transform ledger's leases
(``ledger.clock``) and the ingest claims' expiry, and advances one second per round — and, after
a seeded share of the rounds, past the batch lease (``BATCH_LEASE_SECONDS``), so batches that
died are found dead and **taken over** by the next invocation that claims one of their units.
Batch ids come from a seeded generator, and a directory lease held by a dead batch is not waited
for (the driver is single-threaded: no other invocation can release it meanwhile). So nothing
the pipeline decides depends on the wall clock, and a seed gives the same run.

Then silver is read back as a reader sees it — every file under the silver bucket — and
reconciled by **record identity** (bucket, key, version, line): every line of each key's current
version (the workload writes no blank ones) must have exactly one outcome (a silver row or a
quarantine entry), and no line of a superseded version any. A DLQ message left after the last
redrive that nothing explains counts its lines of the current version as lost.
"""

from __future__ import annotations

import contextlib
import io
import json
import posixpath
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import unquote_plus

import pyarrow.parquet as pq

from chaos.faults import FaultInjector, FaultPlan
from chaos.stack import BRONZE, SILVER, TABLE, chaos_stack
from chaos.workload import SourceObject, Workload, build_workload
from elt import batch as batch_module
from elt import retract as retract_module
from elt.config import IngestSettings
from elt.devkit.events import s3_object_created_from_head, sqs_record_from_message
from elt.devkit.handlers import LambdaContext, load_handler
from elt.devkit.stack import InProcessStack
from elt.idempotency import COMPLETED
from elt.ingest import plan_units, send_units
from elt.layout import BATCH_RECORD_PREFIX, is_batch_id
from elt.ledger import COMMITTED, OPEN
from elt.s3_events import ObjectRef
from elt.work_units import MessageError, WorkUnit

ASYNC_ATTEMPTS = 3  # Lambda: the invocation plus two retries
DUPLICATE_DELIVERY_RATE = 0.05
POISON_BODIES = ('{"v": 1, "bucket": "truncated', "not a work unit")
MAX_ROUNDS = 10_000
#: ReceiveMessage calls (of up to 10 messages) per transform round, shuffled together and cut
#: into batches: replays and redeliveries mix with the messages sent before them.
RECEIVES_PER_ROUND = 3
#: The virtual clock's first instant (2026-02-01T00:00:00Z): after the workload's events
#: (``chaos.workload.GENERATOR_NOW``), as S3 event times of the objects holding them must be.
CLOCK_START = 1_769_904_000.0
#: Share of rounds after which the clock passes the batch lease: dead batches can be taken over.
LEASE_EXPIRY_ROUND_RATE = 0.4
LIVE_REPLAY = "chaos-live"
FINAL_REPLAY = "chaos-final"

#: A record's identity: (bucket, key, version, line) — version is the VersionId on a versioned
#: bucket, else the ETag (what ``_source_version`` and a quarantine entry's ``source.version`` hold).
Identity = tuple[str, str, str, int]


@dataclass
class RunReport:
    run: int
    seed: int
    records: int = 0
    objects: int = 0
    units: int = 0
    silver_rows: int = 0
    quarantined: int = 0
    expected_rows: int = 0
    expected_quarantined: int = 0
    lost: int = 0
    duplicated: int = 0
    stale: int = 0  # rows or entries of a superseded version
    misrouted: int = 0
    superseded_lines: int = 0  # lines of superseded versions (none of them may be in silver)
    dlq_explained: int = 0
    dlq_unexplained: int = 0
    orphaned_claims: int = 0
    uncommitted_files: int = 0  # files in silver of batches that never committed
    open_batches: int = 0  # batch records still OPEN at the end (dead, never taken over)
    redeliveries: int = 0
    live_replay_units: int = 0  # (c) replay units published next to live traffic
    overwrite_replay_units: int = 0  # (d) replay units in flight when their key was overwritten
    replayed_units: int = 0  # the final replay's units
    replay_mismatches: int = 0  # rows or entries that differ after the final replay
    lease_expiries: int = 0  # rounds after which the clock passed the batch lease
    redrives: int = 0  # operator redrives of both DLQs
    faults: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)  # takeovers, batches committed
    crash_phases: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)  # per unit, every transform batch
    dlq_reasons: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.stale
            or self.misrouted
            or self.dlq_unexplained
            or self.orphaned_claims
            or self.uncommitted_files
            or self.replay_mismatches
        )


@dataclass(frozen=True)
class _Version:
    source: SourceObject
    etag: str
    version_id: str | None
    event_time: str

    @property
    def key(self) -> str:
        return self.source.key

    @property
    def version(self) -> str:
        return self.version_id or self.etag

    def ref(self) -> ObjectRef:
        return ObjectRef(BRONZE, self.key, self.etag, len(self.source.body), self.version_id, self.event_time)


@dataclass
class _PendingEvent:
    event: dict[str, Any]
    attempts: int = 0


class Driver:
    def __init__(self, stack: InProcessStack, injector: FaultInjector, seed: int, report: RunReport) -> None:
        self.stack, self.injector, self.report = stack, injector, report
        self.rng = random.Random(seed)
        self._ids = random.Random(seed * 31 + 5)  # batch ids: their own stream
        self.now = CLOCK_START
        self.ingest = self._instrumented(load_handler("ingest"), ("s3", "sqs"), store=True)
        self.transform = self._instrumented(load_handler("transform"), ("s3", "dynamodb"))
        self.lease_seconds: int = self.transform.settings.batch_lease_seconds
        self.claim_expiry_seconds: int = self.ingest.settings.in_progress_expiry_seconds
        self.transform.ledger.clock = lambda: self.now
        store, claim = self.ingest.store, self.ingest.store.claim
        setattr(store, "claim", lambda pk, now=None: claim(pk, now=self.now))  # noqa: B010
        process_batch = getattr(self.transform, "process_batch")  # noqa: B009

        def counted(*args: Any, **kwargs: Any) -> Any:
            result = process_batch(*args, **kwargs)
            self.report.verdicts.update(o.verdict for o in result.outcomes)
            return result

        setattr(self.transform, "process_batch", counted)  # noqa: B010
        self.pending: list[_PendingEvent] = []

    def _instrumented(self, module: ModuleType, clients: tuple[str, ...], store: bool = False) -> ModuleType:
        for name in clients:
            self.injector.instrument(getattr(module, name))
        if store:
            self.injector.instrument(module.store.client)
        return module

    @contextlib.contextmanager
    def deterministic(self) -> Iterator[None]:
        """Seeded batch ids on the virtual clock, and no waiting for a dead batch's directory lease."""
        saved = batch_module.new_batch_id, retract_module.LEASE_WAIT_SECONDS
        batch_module.new_batch_id = self.new_batch_id
        retract_module.LEASE_WAIT_SECONDS = 0
        try:
            yield
        finally:
            batch_module.new_batch_id, retract_module.LEASE_WAIT_SECONDS = saved

    def new_batch_id(self, now: datetime) -> str:
        """``elt.layout.new_batch_id`` on the virtual clock (``now``, the wall clock's, unused)."""
        return f"b{datetime.fromtimestamp(self.now, UTC):%Y%m%dT%H%M%S}-{self._ids.getrandbits(48):012x}"

    def tick(self) -> None:
        """One round later; sometimes much later: past the lease of every batch open now."""
        self.now += 1
        if self.rng.random() < LEASE_EXPIRY_ROUND_RATE:
            self.now += self.lease_seconds
            self.report.lease_expiries += 1

    # ---- S3 → ingest (asynchronous invocation) ------------------------------------------

    def upload(self, source: SourceObject) -> tuple[_Version, dict[str, Any]]:
        s3 = self.stack.s3
        s3.put_object(Bucket=BRONZE, Key=source.key, Body=source.body)
        head = s3.head_object(Bucket=BRONZE, Key=source.key)
        written = datetime.fromtimestamp(self.now, UTC)
        event = s3_object_created_from_head(BRONZE, source.key, head, event_time=written)
        version = _Version(source, head["ETag"].strip('"'), head.get("VersionId"), event["Records"][0]["eventTime"])
        return version, event

    def notify(self, event: dict[str, Any], copies: int = 1) -> None:
        self.pending += [_PendingEvent(event) for _ in range(copies)]

    def ingest_round(self) -> bool:
        batch, self.pending = self.pending, []
        self.rng.shuffle(batch)
        for item in batch:
            with self.injector.invocation("ingest") as invocation, _quiet():
                try:
                    self.ingest.handler(item.event, LambdaContext("ingest"))
                    failed = invocation.dead
                except Exception:
                    failed = True
            if not failed:
                continue
            item.attempts += 1
            if item.attempts < ASYNC_ATTEMPTS:
                self.pending.append(item)
            else:
                self.stack.sqs.send_message(QueueUrl=self.stack.ingest_dlq_url, MessageBody=json.dumps(item.event))
        return bool(batch)

    # ---- replays ----------------------------------------------------------------------------

    def replay(self, version: _Version, run_name: str) -> int:
        """Publish the units of one object version with a replay run name (what the ops replay
        sends: planned with ingest's own code); returns how many."""
        settings = IngestSettings.from_env(self.stack.env)
        units = plan_units(version.ref(), s3=self.stack.s3, settings=settings, replay=run_name)
        send_units(units, sqs=self.stack.sqs, queue_url=self.stack.queue_url, attempts=settings.send_attempts)
        return len(units)

    # ---- SQS → transform (the event source mapping) -------------------------------------

    def transform_round(self) -> bool:
        sqs, url = self.stack.sqs, self.stack.queue_url
        got: list[dict[str, Any]] = []
        for _ in range(RECEIVES_PER_ROUND):
            received = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            if not received:
                break
            got += received
        if not got:
            return False
        self.rng.shuffle(got)
        while got:
            size = self.rng.randint(1, min(len(got), 10))
            batch, got = got[:size], got[size:]
            self._invoke_transform(batch)
        return True

    def _invoke_transform(self, batch: list[dict[str, Any]]) -> None:
        sqs, url = self.stack.sqs, self.stack.queue_url
        for message in batch:
            if self.rng.random() < DUPLICATE_DELIVERY_RATE:
                sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
                self.report.redeliveries += 1
        event = {"Records": [sqs_record_from_message(m, self.stack.queue_arn) for m in batch]}
        with self.injector.invocation("transform") as invocation, _quiet():
            try:
                response = self.transform.handler(event, LambdaContext("transform"))
                failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            except Exception:
                failed = {m["MessageId"] for m in batch}
            if invocation.dead:  # a dead invocation reports nothing: the whole batch comes back
                failed = {m["MessageId"] for m in batch}
        for message in batch:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
                self.report.redeliveries += 1
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # ---- draining -------------------------------------------------------------------------

    def drain(self, actions: dict[int, list[Callable[[], None]]] | None = None) -> None:
        """Rounds of ingest and transform until both are idle; ``actions`` run at the start of
        their round (replays and overwrites in the middle of live traffic)."""
        actions = dict(actions or {})
        for number in range(MAX_ROUNDS):
            for action in actions.pop(number, []):
                action()
            ingested = self.ingest_round() if self.pending else False
            transformed = self.transform_round()
            self.tick()
            if not ingested and not transformed and not self.pending and not actions:
                return
        raise RuntimeError(f"the pipeline did not drain in {MAX_ROUNDS} rounds")

    def redrive(self) -> None:
        """Operator redrive of both DLQs, later: crashed ingest claims and batch leases have expired."""
        self.now += self.claim_expiry_seconds + self.lease_seconds + 1
        self.report.redrives += 1
        sqs = self.stack.sqs
        for message in _receive_all(sqs, self.stack.ingest_dlq_url, delete=True):
            self.notify(json.loads(message["Body"]))
        for message in _receive_all(sqs, self.stack.dlq_url, delete=True):
            sqs.send_message(QueueUrl=self.stack.queue_url, MessageBody=message["Body"])

    def settle(self, stale_etags: set[str], max_redrives: int) -> None:
        """Drain; redrive while a DLQ holds a message that could still succeed."""
        self.drain()
        for _ in range(max_redrives):
            if all(_dlq_reason(q, body, stale_etags) for q, body in _dlq_messages(self.stack)):
                return
            self.redrive()
            self.drain()


def _quiet() -> contextlib.redirect_stdout[io.StringIO]:
    """The handlers print their EMF metrics to stdout, as Lambda expects; not wanted here."""
    return contextlib.redirect_stdout(io.StringIO())


def _receive_all(sqs: Any, url: str, delete: bool) -> list[dict[str, Any]]:
    """Every message of a queue (DLQs are not consumed by anything else)."""
    messages: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get("Messages", [])
        if not got:
            break
        messages += got
    for message in messages:
        if delete:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        else:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return messages


# ---- reading silver as a reader does ---------------------------------------------------------


@dataclass
class _Silver:
    rows: Counter[Identity] = field(default_factory=Counter)
    entries: Counter[Identity] = field(default_factory=Counter)
    #: Every row and entry as content (``_ingested_at`` and ``planned_at`` aside), with its
    #: directory: what a replay must leave as it was.
    content: Counter[tuple[str, str]] = field(default_factory=Counter)
    files_by_batch: dict[str, list[str]] = field(default_factory=dict)


def _read_silver(stack: InProcessStack) -> _Silver:
    """Every file in the silver bucket: silver Parquet and quarantine JSON Lines."""
    s3, silver = stack.s3, _Silver()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=SILVER):
        for item in page.get("Contents", []):
            key = item["Key"]
            name = posixpath.basename(key).split(".", 1)[0]
            silver.files_by_batch.setdefault(name if is_batch_id(name) else "", []).append(key)
            body = s3.get_object(Bucket=SILVER, Key=key)["Body"].read()
            directory = posixpath.dirname(key)
            if key.endswith(".parquet"):
                for row in pq.read_table(io.BytesIO(body)).to_pylist():
                    bucket, _, source_key = row["_source_uri"].removeprefix("s3://").partition("/")
                    silver.rows[(bucket, source_key, row["_source_version"], row["_source_line"])] += 1
                    content = {k: v for k, v in row.items() if k != "_ingested_at"}
                    silver.content[(directory, repr(sorted(content.items())))] += 1
                continue
            for text in body.decode().splitlines():
                entry = json.loads(text)
                source = entry["source"]
                version = source.get("version") or source["etag"]
                silver.entries[(source["bucket"], source["key"], version, source["line"])] += 1
                content = {k: v for k, v in entry.items() if k != "planned_at"}
                silver.content[(directory, json.dumps(content, sort_keys=True))] += 1
    return silver


# ---- accounting -----------------------------------------------------------------------------


def _dlq_reason(queue: str, body: str, stale_etags: set[str]) -> str:
    """Why a DLQ message cannot succeed however often it is redriven; "" when it could.

    A unit of a version that is no longer current is acknowledged as superseded by the
    transform, so no unit message has a reason to stay; an ingest event of an overwritten
    version on an unversioned bucket does: its planning read (``GET If-Match``) fails with 412."""
    if queue == "ingest":
        obj = json.loads(body)["Records"][0]["s3"]["object"]
        stale = obj["eTag"].strip('"') in stale_etags
        return "event of an overwritten object version (planning GET If-Match: 412)" if stale else ""
    try:
        WorkUnit.from_message(body)
    except MessageError:
        return "planted poison message" if body in POISON_BODIES else ""
    return ""


def _dlq_messages(stack: InProcessStack) -> list[tuple[str, str]]:
    """(queue, body) of every message in both DLQs, left in place; duplicates counted once."""
    found = {("events", m["Body"]) for m in _receive_all(stack.sqs, stack.dlq_url, delete=False)}
    found |= {("ingest", m["Body"]) for m in _receive_all(stack.sqs, stack.ingest_dlq_url, delete=False)}
    return sorted(found)


def _explain_dlq(stack: InProcessStack, report: RunReport, stale_etags: set[str]) -> list[tuple[str, str]]:
    """Count DLQ messages by reason; returns the unexplained ones (queue, body)."""
    unexplained = []
    for queue, body in _dlq_messages(stack):
        reason = _dlq_reason(queue, body, stale_etags)
        if reason:
            report.dlq_explained += 1
            report.dlq_reasons[reason] += 1
        else:
            report.dlq_unexplained += 1
            report.problems.append(f"unexplained message in the {queue} DLQ: {body[:160]}")
            unexplained.append((queue, body))
    return unexplained


def _dlq_lines(unexplained: list[tuple[str, str]], current: dict[str, _Version]) -> set[Identity]:
    """The lines of the current versions an unexplained DLQ message stands for: counted lost."""
    lines: set[Identity] = set()
    for queue, body in unexplained:
        if queue == "ingest":
            obj = json.loads(body)["Records"][0]["s3"]["object"]
            key, etag, first, last = unquote_plus(obj["key"]), obj["eTag"].strip('"'), 1, None
        else:
            try:
                unit = WorkUnit.from_message(body)
            except MessageError:
                continue
            key, etag, first, last = unit.key, unit.etag, unit.first_line, unit.last_line
            if unit.whole_object:
                first, last = 1, None
        version = current.get(key)
        if version is None or version.etag != etag:
            continue
        lines |= {
            (BRONZE, key, version.version, n)
            for n in version.source.lines
            if n >= first and (last is None or n <= last)
        }
    return lines


def _reconcile(report: RunReport, silver: _Silver, versions: Sequence[_Version], dlq_lost: set[Identity]) -> None:
    """Exactly one outcome per line of each key's current version, none of superseded ones."""
    current = {v.key: v for v in versions}  # the last upload of a key is its current version
    superseded = {(v.key, v.version) for v in versions if current[v.key] is not v}
    report.silver_rows, report.quarantined = sum(silver.rows.values()), sum(silver.entries.values())
    report.superseded_lines = sum(len(v.source.lines) for v in versions if (v.key, v.version) in superseded)
    expected: dict[Identity, bool] = {}
    for version in current.values():
        for line, valid in version.source.lines.items():
            expected[(BRONZE, version.key, version.version, line)] = valid
    report.expected_rows = sum(expected.values())
    report.expected_quarantined = len(expected) - report.expected_rows
    lost: set[Identity] = set()
    for identity, valid in expected.items():
        rows, entries = silver.rows[identity], silver.entries[identity]
        if rows + entries == 0:
            lost.add(identity)
        elif rows + entries > 1:
            report.duplicated += rows + entries - 1
            report.problems.append(f"{identity}: {rows} rows + {entries} quarantine entries")
        elif (rows == 1) != valid:
            report.misrouted += 1
            report.problems.append(f"{identity}: valid={valid} but rows={rows}")
    report.problems += [f"{identity}: lost" for identity in sorted(lost)[:20]]
    for identity in sorted(dlq_lost - lost)[:20]:
        report.problems.append(f"{identity}: in silver, but an unexplained DLQ message stands for it")
    report.lost = len(lost | dlq_lost)
    for identity in sorted((set(silver.rows) | set(silver.entries)) - set(expected)):
        n = silver.rows[identity] + silver.entries[identity]
        if (identity[1], identity[2]) in superseded:
            report.stale += n
            report.problems.append(f"{identity}: a superseded version's line, yet {n} outcome(s)")
        else:
            report.duplicated += n
            report.problems.append(f"{identity}: output for no input line")


def _ledger_state(stack: InProcessStack, report: RunReport, silver: _Silver, now: float) -> None:
    """Ingest claims stuck in progress; batches never committed whose files are in silver."""
    statuses: dict[str, str] = {}
    for page in stack.ddb.get_paginator("scan").paginate(TableName=TABLE):
        for item in page["Items"]:
            pk = item["pk"]["S"]
            if pk.startswith(BATCH_RECORD_PREFIX):
                statuses[pk.removeprefix(BATCH_RECORD_PREFIX)] = item["status"]["S"]
            elif (
                pk.startswith("s3://")
                and item["status"]["S"] != COMPLETED
                and float(item.get("in_progress_expiry", {}).get("N", "0")) < now
            ):
                report.orphaned_claims += 1
                report.problems.append(f"claim {pk} stuck {item['status']['S']} past its expiry")
    report.open_batches = sum(status == OPEN for status in statuses.values())
    for batch_id, keys in sorted(silver.files_by_batch.items()):
        if statuses.get(batch_id) != COMMITTED:
            report.uncommitted_files += len(keys)
            report.problems.append(
                f"{len(keys)} file(s) of batch {batch_id or '?'} ({statuses.get(batch_id)}) in silver"
            )


def _compare(before: _Silver, after: _Silver, report: RunReport) -> None:
    missing, extra = before.content - after.content, after.content - before.content
    report.replay_mismatches = sum(missing.values()) + sum(extra.values())
    for (directory, text), n in [*missing.items(), *extra.items()][:10]:
        report.problems.append(f"after the final replay, {directory}: {'missing' if text in missing else 'new'} "
                               f"x{n}: {text[:160]}")  # fmt: skip


# ---- the run --------------------------------------------------------------------------------


def run_once(
    run: int,
    seed: int,
    records: int,
    plan: FaultPlan,
    *,
    units: int = 60,
    replay_objects: int = 2,
    max_redrives: int = 30,
) -> RunReport:
    """Run ``run`` of a series (odd runs use a versioned bronze bucket), reproducible by seed."""
    started = time.perf_counter()
    workload: Workload = build_workload(records, seed, units)
    report = RunReport(run=run, seed=seed, records=workload.records, objects=len(workload.objects) + 2)
    injector = FaultInjector(plan, random.Random(seed * 7919 + 1))
    # Odd runs: a versioned bronze bucket (units read their VersionId; an old version stays
    # readable), even runs: unversioned (an old version's bytes are gone once overwritten).
    versioned = run % 2 == 1
    with chaos_stack({"WORK_UNIT_BYTES": str(workload.work_unit_bytes)}, versioned_bronze=versioned) as stack:
        driver = Driver(stack, injector, seed, report)
        with driver.deterministic():
            versions = _live(driver, workload, stack)
            latest = {v.key: v for v in versions}
            stale_etags = set() if versioned else {v.etag for v in versions if latest[v.key] is not v}
            driver.settle(stale_etags, max_redrives)

            # The final replay: recompute some objects in place; silver must not change.
            before = _read_silver(stack)
            current = sorted({v.key: v for v in versions}.values(), key=lambda v: v.key)
            for version in driver.rng.sample(current, min(replay_objects, len(current))):
                report.replayed_units += driver.replay(version, FINAL_REPLAY)
            driver.settle(stale_etags, max_redrives)
            after = _read_silver(stack)
            _compare(before, after, report)

        report.faults, report.events, report.crash_phases = injector.counts, injector.events, injector.crash_phases
        report.units = _count_units(stack)
        unexplained = _explain_dlq(stack, report, stale_etags)
        _reconcile(report, after, versions, _dlq_lines(unexplained, {v.key: v for v in versions}))
        _ledger_state(stack, report, after, driver.now)
    report.seconds = time.perf_counter() - started
    return report


def _live(driver: Driver, workload: Workload, stack: InProcessStack) -> list[_Version]:
    """Upload, overwrite in flight, replays next to live traffic; returns every version uploaded."""
    rng, report = driver.rng, driver.report
    versions: list[_Version] = []
    for source in workload.objects:
        version, event = driver.upload(source)
        versions.append(version)
        driver.notify(event, copies=rng.randint(1, 3))
    for body in POISON_BODIES:
        stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=body)

    driver.ingest_round()  # units of the first versions are now in flight
    new, event = driver.upload(workload.overwrite)
    versions.append(new)
    driver.notify(event, copies=2)

    def live_replay() -> None:
        # (c) a replay of two objects, its units interleaved with the live ones in the same rounds
        special = {workload.overwrite.key, workload.replay_overwrite.key}
        plain = [v for v in versions if v.key not in special]
        for version in rng.sample(plain, 2):
            report.live_replay_units += driver.replay(version, LIVE_REPLAY)

    replayed = next(v for v in versions if v.key == workload.replay_overwrite.key)

    def replay_of_the_key() -> None:
        # (d) a replay of one key, overwritten while the replay's units are in flight
        report.overwrite_replay_units += driver.replay(replayed, LIVE_REPLAY)

    def overwrite_the_key() -> None:
        version, event = driver.upload(workload.replay_overwrite)
        versions.append(version)
        driver.notify(event, copies=2)

    replay_round, key_round = rng.randint(1, 3), rng.randint(1, 3)
    actions: dict[int, list[Callable[[], None]]] = {}
    actions.setdefault(replay_round, []).append(live_replay)
    actions.setdefault(key_round, []).append(replay_of_the_key)
    actions.setdefault(key_round + rng.randint(0, 1), []).append(overwrite_the_key)
    driver.drain(actions)
    return versions


def _count_units(stack: InProcessStack) -> int:
    total = 0
    for page in stack.ddb.get_paginator("scan").paginate(TableName=TABLE):
        total += sum(int(i.get("result", {}).get("M", {}).get("units", {}).get("N", 0)) for i in page["Items"])
    return total
