"""One seeded chaos run: upload, deliver with faults, drain (retries, DLQ redrive), account.

The driver plays the AWS side around the two functions, with at-least-once semantics made
worse on purpose:

* S3 → ingest: each notification is delivered one to three times, in shuffled order; a failed
  asynchronous invocation is retried twice, then its event goes to the ingest DLQ (Lambda's
  async retry policy and DeadLetterConfig);
* SQS → transform (the event source mapping): batches of random size from shuffled receives,
  some messages sent a second time (SQS may deliver twice), failed items and crashed batches
  made visible again; after ``maxReceiveCount`` receives SQS moves a message to the DLQ;
* mid-run, one object is overwritten (new etag) while its units wait in the queue;
* after the queue drains, the claim-check messages of some objects are published again
  (a replay that bypasses the idempotency table) and drained;
* operator redrive: both DLQs are moved back and drained, up to ``max_redrives`` times.

Then every output is read back and reconciled line by line against the workload.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pyarrow.parquet as pq

from chaos.faults import FaultInjector, FaultPlan
from chaos.stack import BRONZE, SILVER, TABLE, chaos_stack
from chaos.workload import SourceObject, Workload, build_workload
from elt.config import IngestSettings
from elt.devkit.events import s3_object_created_from_head, sqs_record_from_message
from elt.devkit.handlers import LambdaContext, load_handler
from elt.devkit.stack import InProcessStack
from elt.idempotency import COMPLETED
from elt.ingest import plan_units, send_units
from elt.layout import OutputName, object_id
from elt.s3_events import ObjectRef
from elt.work_units import MessageError, WorkUnit

ASYNC_ATTEMPTS = 3  # Lambda: the invocation plus two retries
DUPLICATE_DELIVERY_RATE = 0.05
POISON_BODIES = ('{"v": 1, "bucket": "truncated', "not a work unit")
MAX_ROUNDS = 10_000


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
    misrouted: int = 0
    superseded_lines: int = 0
    dlq_explained: int = 0
    dlq_unexplained: int = 0
    orphaned_claims: int = 0
    redeliveries: int = 0
    replayed_units: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    dlq_reasons: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.misrouted or self.dlq_unexplained or self.orphaned_claims)


@dataclass
class _PendingEvent:
    event: dict[str, Any]
    attempts: int = 0


class Driver:
    def __init__(self, stack: InProcessStack, injector: FaultInjector, rng: random.Random, report: RunReport) -> None:
        self.stack, self.injector, self.rng, self.report = stack, injector, rng, report
        self.ingest = self._instrumented(load_handler("ingest"), ("s3", "sqs"), store=True)
        self.transform = self._instrumented(load_handler("transform"), ("s3",))
        self.pending: list[_PendingEvent] = []

    def _instrumented(self, module: ModuleType, clients: tuple[str, ...], store: bool = False) -> ModuleType:
        for name in clients:
            self.injector.instrument(getattr(module, name))
        if store:
            self.injector.instrument(module.store.client)
        return module

    # ---- S3 → ingest (asynchronous invocation) ------------------------------------------

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

    # ---- SQS → transform (the event source mapping) -------------------------------------

    def transform_round(self) -> bool:
        sqs, url = self.stack.sqs, self.stack.queue_url
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            return False
        self.rng.shuffle(got)
        while got:
            size = self.rng.randint(1, len(got))
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

    def drain(self) -> None:
        for _ in range(MAX_ROUNDS):
            ingested = self.ingest_round() if self.pending else False
            transformed = self.transform_round()
            if not ingested and not transformed and not self.pending:
                return
        raise RuntimeError(f"the pipeline did not drain in {MAX_ROUNDS} rounds")

    def redrive(self, claim_expiry_seconds: float) -> None:
        """Operator redrive of both DLQs; ingest events once crashed claims have expired."""
        sqs = self.stack.sqs
        events = _receive_all(sqs, self.stack.ingest_dlq_url, delete=True)
        if events:
            time.sleep(claim_expiry_seconds)
        for message in events:
            self.notify(json.loads(message["Body"]))
        for message in _receive_all(sqs, self.stack.dlq_url, delete=True):
            sqs.send_message(QueueUrl=self.stack.queue_url, MessageBody=message["Body"])


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


# ---- accounting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    source: SourceObject
    etag: str
    version_id: str | None

    @property
    def object_id(self) -> str:
        return object_id(BRONZE, self.source.key, self.etag)


def _upload(stack: InProcessStack, source: SourceObject) -> tuple[_Version, dict[str, Any]]:
    stack.s3.put_object(Bucket=BRONZE, Key=source.key, Body=source.body)
    head = stack.s3.head_object(Bucket=BRONZE, Key=source.key)
    version = _Version(source, head["ETag"].strip('"'), head.get("VersionId"))
    return version, s3_object_created_from_head(BRONZE, source.key, head)


def _outputs(stack: InProcessStack) -> tuple[Counter[tuple[str, int]], Counter[tuple[str, int]]]:
    """(object id, line) → silver rows, and → quarantine entries."""
    s3 = stack.s3
    silver: Counter[tuple[str, int]] = Counter()
    quarantine: Counter[tuple[str, int]] = Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=SILVER):
        for item in page.get("Contents", []):
            key = item["Key"]
            body = s3.get_object(Bucket=SILVER, Key=key)["Body"].read()
            if key.endswith(".parquet"):
                name = OutputName.parse(key)
                assert name is not None, f"not a silver file name: {key}"
                oid = name.object_id
                lines = pq.read_table(io.BytesIO(body), columns=["_source_line"]).column(0).to_pylist()
                silver.update((oid, line) for line in lines)
            else:
                for text in body.decode().splitlines():
                    entry = json.loads(text)
                    source = entry["source"]
                    quarantine[(object_id(source["bucket"], source["key"], source["etag"]), source["line"])] += 1
    return silver, quarantine


def _dlq_reason(stack: InProcessStack, queue: str, body: str, superseded: _Version | None) -> str:
    """Why a DLQ message cannot succeed however often it is redriven; "" when it could."""
    if queue == "ingest":
        obj = json.loads(body)["Records"][0]["s3"]["object"]
        stale = superseded is not None and obj["eTag"] == superseded.etag
        return "event of an overwritten object version (planning GET If-Match: 412)" if stale else ""
    try:
        unit = WorkUnit.from_message(body)
    except MessageError:
        return "planted poison message" if body in POISON_BODIES else ""
    if superseded is None or unit.etag != superseded.etag:
        return ""
    current = stack.s3.head_object(Bucket=BRONZE, Key=unit.key)["ETag"].strip('"')
    return "unit of an overwritten object version (GET If-Match: 412)" if current != unit.etag else ""


def _dlq_messages(stack: InProcessStack) -> list[tuple[str, str]]:
    """(queue, body) of every message in both DLQs, left in place; duplicates counted once."""
    found = {("events", m["Body"]) for m in _receive_all(stack.sqs, stack.dlq_url, delete=False)}
    found |= {("ingest", m["Body"]) for m in _receive_all(stack.sqs, stack.ingest_dlq_url, delete=False)}
    return sorted(found)


def _explain_dlq(stack: InProcessStack, report: RunReport, superseded: _Version | None) -> set[str]:
    """Count DLQ messages by reason; returns the etags whose units were dropped as superseded."""
    superseded_etags: set[str] = set()
    for queue, body in _dlq_messages(stack):
        reason = _dlq_reason(stack, queue, body, superseded)
        if reason and superseded is not None and "overwritten" in reason:
            superseded_etags.add(superseded.etag)
        _count_dlq(report, reason, f"{queue} DLQ: {body[:160]}")
    return superseded_etags


def _count_dlq(report: RunReport, reason: str, what: str) -> None:
    if reason:
        report.dlq_explained += 1
        report.dlq_reasons[reason] += 1
    else:
        report.dlq_unexplained += 1
        report.problems.append(f"unexplained message in the {what}")


def _reconcile(stack: InProcessStack, report: RunReport, versions: list[_Version], superseded: set[str]) -> None:
    silver, quarantine = _outputs(stack)
    report.silver_rows, report.quarantined = sum(silver.values()), sum(quarantine.values())
    expected_keys: set[tuple[str, int]] = set()
    for version in versions:
        oid = version.object_id
        for line, valid in version.source.lines.items():
            expected_keys.add((oid, line))
            rows, entries = silver[(oid, line)], quarantine[(oid, line)]
            if version.etag in superseded:
                report.superseded_lines += 1
                if rows + entries:
                    report.duplicated += rows + entries
                    report.problems.append(f"{version.source.key}#{version.etag} line {line}: superseded, yet output")
                continue
            report.expected_rows += valid
            report.expected_quarantined += not valid
            if rows + entries == 0:
                report.lost += 1
                report.problems.append(f"{version.source.key} line {line}: lost")
            elif rows + entries > 1:
                report.duplicated += rows + entries - 1
                report.problems.append(f"{version.source.key} line {line}: {rows} rows + {entries} quarantine entries")
            elif (rows == 1) != valid:
                report.misrouted += 1
                report.problems.append(f"{version.source.key} line {line}: valid={valid} but rows={rows}")
    for key in (set(silver) | set(quarantine)) - expected_keys:
        report.duplicated += silver[key] + quarantine[key]
        report.problems.append(f"output for no input line: object {key[0]} line {key[1]}")


def _orphaned_claims(stack: InProcessStack, report: RunReport) -> None:
    now = time.time()
    for page in stack.ddb.get_paginator("scan").paginate(TableName=TABLE):
        for item in page["Items"]:
            if item["status"]["S"] == COMPLETED:
                continue
            expiry = float(item.get("in_progress_expiry", {}).get("N", "0"))
            if expiry < now:
                report.orphaned_claims += 1
                report.problems.append(f"claim {item['pk']['S']} stuck {item['status']['S']} past its expiry")


# ---- the run --------------------------------------------------------------------------------


def run_once(
    run: int,
    seed: int,
    records: int,
    plan: FaultPlan,
    *,
    units: int = 60,
    replay_objects: int = 2,
    max_redrives: int = 3,
) -> RunReport:
    """Run ``run`` of a series (odd runs use a versioned bronze bucket), reproducible by seed."""
    started = time.perf_counter()
    rng = random.Random(seed)
    workload: Workload = build_workload(records, seed, units)
    report = RunReport(run=run, seed=seed, records=workload.records, objects=len(workload.objects) + 1)
    injector = FaultInjector(plan, random.Random(seed * 7919 + 1))
    # Odd runs: a versioned bronze bucket, where units read their version and an overwrite
    # is just another version to ingest; even runs: unversioned, where it supersedes.
    versioned = run % 2 == 1
    with chaos_stack({"WORK_UNIT_BYTES": str(workload.work_unit_bytes)}, versioned_bronze=versioned) as stack:
        driver = Driver(stack, injector, rng, report)
        versions: list[_Version] = []
        for source in workload.objects:
            version, event = _upload(stack, source)
            versions.append(version)
            driver.notify(event, copies=rng.randint(1, 3))
        for body in POISON_BODIES:
            stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=body)

        driver.ingest_round()  # units of the first version are now in flight
        old = versions[-1]
        new, event = _upload(stack, workload.overwrite)
        versions.append(new)
        driver.notify(event, copies=2)
        driver.drain()

        # Replay: publish the claim-check messages of some objects again, bypassing idempotency.
        settings = IngestSettings.from_env(stack.env)
        for version in rng.sample(versions[:-2], min(replay_objects, len(versions) - 2)):
            ref = ObjectRef(BRONZE, version.source.key, version.etag, len(version.source.body), version.version_id)
            replayed = plan_units(ref, s3=stack.s3, settings=settings)
            send_units(replayed, sqs=stack.sqs, queue_url=stack.queue_url, attempts=settings.send_attempts)
            report.replayed_units += len(replayed)
        driver.drain()

        # Redrive while a DLQ holds a message that can still succeed (not a planted poison or a
        # superseded version), after crashed ingest claims have expired.
        expiry = float(stack.env["IN_PROGRESS_EXPIRY_SECONDS"]) + 0.2
        stale = None if versioned else old
        for _ in range(max_redrives):
            if all(_dlq_reason(stack, q, body, stale) for q, body in _dlq_messages(stack)):
                break
            driver.redrive(claim_expiry_seconds=expiry)
            driver.drain()

        report.faults = injector.counts
        report.units = _count_units(stack)
        superseded = _explain_dlq(stack, report, stale)
        _reconcile(stack, report, versions, superseded)
        _orphaned_claims(stack, report)
    report.seconds = time.perf_counter() - started
    return report


def _count_units(stack: InProcessStack) -> int:
    total = 0
    for page in stack.ddb.get_paginator("scan").paginate(TableName=TABLE):
        total += sum(int(i.get("result", {}).get("M", {}).get("units", {}).get("N", 0)) for i in page["Items"])
    return total
