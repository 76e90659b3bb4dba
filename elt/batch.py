"""One transform invocation: a batch of work units becomes one silver file per partition.

The commit protocol (docs/architecture.md, "What a reader of silver can rely on"):

1. **open** the batch record (``OPEN``, with a lease longer than the function can live);
2. **claim** every unit in the source records (``elt/ledger.py``): done, superseded and busy
   units are answered now; a replay or an overwrite first has the old rows **retracted** from the
   batches holding them (``elt/retract.py``), and a dead batch is **aborted** and its files
   deleted, before the claim is swapped to this batch;
3. **validate** the claimed units into local Parquet files (one per partition) and quarantine
   entries (one file per dataset); a unit that cannot be read as planned gives its claim back;
4. **prepare**: list the batch's file keys in its record, so a takeover can delete them;
5. **upload** the files;
6. **commit**: the batch record becomes ``COMMITTED`` — the one commit point; only then are the
   messages acknowledged.

A crash anywhere before 6 leaves an ``OPEN`` record whose lease runs out; the next claim of any of
its units aborts it, deletes its files and takes the unit over. A crash after 6 leaves a committed
batch whose messages come back and are answered "done".
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from elt.config import TransformSettings
from elt.layout import new_batch_id
from elt.ledger import Claim, Ledger, Retraction
from elt.records import Validator
from elt.retract import delete_files, retract
from elt.silver import (
    BatchWriters,
    UnitReadError,
    UnitResult,
    put_file,
    quarantine_object_key,
    shares_parse,
    silver_key,
    validate_small_units,
    validate_unit,
)
from elt.work_units import WorkUnit

log = logging.getLogger(__name__)

Verdict = Literal["written", "done", "superseded", "requeued", "busy", "deferred", "failed"]
#: Verdicts whose message is acknowledged (deleted from the queue); the others are retried.
ACKNOWLEDGED: frozenset[Verdict] = frozenset({"written", "done", "superseded", "requeued"})


@dataclass
class UnitOutcome:
    unit: WorkUnit
    verdict: Verdict
    reason: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.verdict in ACKNOWLEDGED


@dataclass
class BatchResult:
    batch_id: str
    outcomes: list[UnitOutcome] = field(default_factory=list)
    files: int = 0  # silver and quarantine
    silver_files: int = 0
    bytes_written: int = 0
    retracted: int = 0
    partitions: dict[tuple[str, str], int] = field(default_factory=dict)  # (record_type, dt) → rows
    counts: UnitResult = field(default_factory=UnitResult)  # rows, quarantined, blank lines, blocks

    def as_dict(self) -> dict[str, Any]:
        verdicts: dict[str, int] = {}
        for o in self.outcomes:
            verdicts[o.verdict] = verdicts.get(o.verdict, 0) + 1
        return {
            "batch": self.batch_id,
            "units": verdicts,
            **self.counts.as_dict(),
            "files": self.files,
            "silver_files": self.silver_files,
            "bytes_written": self.bytes_written,
            "retracted": self.retracted,
            "partitions": [{"record_type": rt, "dt": dt, "rows": n} for (rt, dt), n in sorted(self.partitions.items())],
        }


def current_version(s3: Any, unit: WorkUnit) -> str | None:
    """The version of the unit's key S3 holds now (None: deleted) — in the unit's terms: the
    VersionId when the unit has one, else the ETag."""
    try:
        head = s3.head_object(Bucket=unit.bucket, Key=unit.key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    return head.get("VersionId") if unit.version_id else head["ETag"].strip('"')


#: What a gzip unit's bytes count for in the byte budget: JSON Lines inflate about 6.3x (the
#: bench's W3: 166 MB from 26 MB), rounded up to 8 so a batch of gzip objects still fits the timeout.
GZIP_BUDGET_FACTOR = 8


def within_budget(units: Sequence[WorkUnit], max_bytes: int) -> int:
    """How many of ``units`` (in order) one invocation takes: while their bytes (a gzip unit's
    times ``GZIP_BUDGET_FACTOR``) fit ``BATCH_MAX_BYTES``, and always the first."""
    total = 0
    for i, unit in enumerate(units):
        total += (unit.end - unit.start) * (GZIP_BUDGET_FACTOR if unit.compression == "gzip" else 1)
        if i and total > max_bytes:
            return i
    return len(units)


def process_batch(
    units: Sequence[WorkUnit],
    *,
    s3: Any,
    ledger: Ledger,
    settings: TransformSettings,
    validator: Validator,
    announce: Callable[[BatchResult], None] | None = None,
    requeue: Callable[[list[WorkUnit]], None] | None = None,
    batch_id: str | None = None,
) -> BatchResult:
    """Commit ``units`` as one batch (module docstring); every unit gets a verdict. Units over
    the byte budget are handed to ``requeue`` (sent back as new messages: "requeued") or, without
    it, left to come back ("deferred")."""
    result = BatchResult(batch_id or new_batch_id(datetime.now(UTC)))
    taken = within_budget(units, settings.batch_max_bytes)
    deferred = [UnitOutcome(u, "deferred", "over this invocation's byte budget") for u in units[taken:]]
    if deferred and requeue is not None:
        requeue([o.unit for o in deferred])
        deferred = [UnitOutcome(o.unit, "requeued", o.reason) for o in deferred]
    ledger.open_batch(result.batch_id)
    try:
        _run(units[:taken], result, s3=s3, ledger=ledger, settings=settings, validator=validator)
    except Exception:
        _abort_own(result.batch_id, s3=s3, ledger=ledger, bucket=settings.silver_bucket)
        raise
    result.outcomes += deferred
    if announce is not None and result.partitions:
        announce(result)
    return result


def _run(
    units: Sequence[WorkUnit],
    result: BatchResult,
    *,
    s3: Any,
    ledger: Ledger,
    settings: TransformSettings,
    validator: Validator,
) -> None:
    claims, order = _claim_all(units, result.batch_id, s3=s3, ledger=ledger, settings=settings, result=result)
    outcomes: dict[int, UnitOutcome] = {}
    with tempfile.TemporaryDirectory(prefix="batch-") as workdir:
        writers = BatchWriters(validator.schemas, workdir, settings.row_group_rows)
        quarantine: dict[str, list[bytes]] = {}
        shared: list[int] = []
        for i, claim in enumerate(claims):
            if claim.outcome != "claimed":
                outcomes[i] = UnitOutcome(claim.unit, claim.outcome, claim.reason)  # type: ignore[arg-type]
            elif shares_parse(claim.unit, settings):
                shared.append(i)
            else:
                outcomes[i] = _write_unit(claim.unit, result, writers, quarantine, s3, ledger, settings, validator)
        unreadable = validate_small_units(
            [claims[i].unit for i in shared],
            s3=s3,
            settings=settings,
            validator=validator,
            writers=writers,
            counts=result.counts,
            quarantine=quarantine,
        )
        for position, i in enumerate(shared):
            error = unreadable.get(position)
            outcomes[i] = (
                UnitOutcome(claims[i].unit, "written")
                if error is None
                else _unread(claims[i].unit, error, result.batch_id, ledger)
            )
        files = {
            silver_key(settings, record_type, dt, result.batch_id): path
            for (record_type, dt), path in writers.close().items()
        }
        bodies = {quarantine_object_key(settings, ds, result.batch_id): b"".join(q) for ds, q in quarantine.items()}
        if files or bodies:
            ledger.prepare(result.batch_id, [*files, *bodies])
        for key, path in files.items():
            result.bytes_written += put_file(s3, path, settings.silver_bucket, key)
        for key, body in bodies.items():
            s3.put_object(Bucket=settings.silver_bucket, Key=key, Body=body, ContentType="application/x-ndjson")
            result.bytes_written += len(body)
        result.files, result.silver_files = len(files) + len(bodies), len(files)
        result.partitions = dict(writers.rows)
    ledger.commit(result.batch_id)
    for unit, i in zip(units, order, strict=True):  # a second delivery shares its first's verdict
        first = outcomes[i]
        result.outcomes.append(first if first.unit is unit else UnitOutcome(unit, first.verdict, "delivered twice"))


def _claim_all(
    units: Sequence[WorkUnit],
    batch_id: str,
    *,
    s3: Any,
    ledger: Ledger,
    settings: TransformSettings,
    result: BatchResult,
) -> tuple[list[Claim], list[int]]:
    """Claim every distinct unit; do the retractions and aborts the claims need, then swap them.
    Returns the claims and, per unit, the index of its claim (a unit delivered twice has one)."""
    claims: list[Claim] = []
    order: list[int] = []
    first: dict[tuple[str, str, int, int, str | None], int] = {}
    for unit in units:
        identity = (unit.source_uri, unit.version, unit.start, unit.end, unit.replay)
        if identity not in first:
            first[identity] = len(claims)
            claims.append(ledger.claim(unit, batch_id, lambda u: current_version(s3, u)))
        order.append(first[identity])
    _supersede_within(claims)
    result.retracted = _clear_the_way([c for c in claims if c.outcome == "claimed"], batch_id, s3, ledger, settings)
    for claim in claims:
        if claim.outcome == "claimed" and claim.swap is not None and not ledger.complete_claim(claim):
            claim.outcome, claim.reason = "busy", "the source record changed while claiming; retried later"
    return claims, order


def _supersede_within(claims: list[Claim]) -> None:
    """A newer version of a key later in the batch supersedes an older one claimed earlier."""
    for claim in claims:
        if claim.superseded_in_batch is None:
            continue
        for other in claims:
            if other.outcome == "claimed" and (other.unit.source_uri, other.unit.version) == claim.superseded_in_batch:
                other.outcome, other.reason = "superseded", "a newer version of the key is in this batch"


def _clear_the_way(claims: list[Claim], batch_id: str, s3: Any, ledger: Ledger, settings: TransformSettings) -> int:
    """Abort the dead batches and retract the rows the claims take over; returns rows retracted."""
    aborted: set[str] = set()
    retractions: dict[str, list[Retraction]] = {}
    for claim in claims:
        aborted |= claim.aborts
        for holder, rows in claim.retractions.items():
            retractions.setdefault(holder, []).extend(rows)
    for holder in sorted(aborted):
        delete_files(s3, settings.silver_bucket, ledger.abort(holder))
    if not retractions:
        return 0
    return sum(retract(s3, ledger, settings.silver_bucket, batch_id, retractions).values())


def _write_unit(
    unit: WorkUnit,
    result: BatchResult,
    writers: BatchWriters,
    quarantine: dict[str, list[bytes]],
    s3: Any,
    ledger: Ledger,
    settings: TransformSettings,
    validator: Validator,
) -> UnitOutcome:
    try:
        unit_result, entries = validate_unit(unit, s3=s3, settings=settings, validator=validator, writers=writers)
    except UnitReadError as exc:
        return _unread(unit, exc, result.batch_id, ledger)
    for name, value in unit_result.as_dict().items():
        setattr(result.counts, name, getattr(result.counts, name) + value)
    if entries:
        quarantine.setdefault(unit.dataset, []).extend(entries)
    return UnitOutcome(unit, "written")


def _unread(unit: WorkUnit, error: UnitReadError, batch_id: str, ledger: Ledger) -> UnitOutcome:
    """A claimed unit that could not be read: give the claim back (a retry must be able to take
    it), then call it superseded (its version is gone) or failed."""
    ledger.release(unit, batch_id)
    if error.gone:
        log.info("unit superseded: %s", error, extra={"unit": str(unit.output_name)})
        return UnitOutcome(unit, "superseded", str(error))
    log.error("unit failed: %s", error, extra={"unit": str(unit.output_name)})
    return UnitOutcome(unit, "failed", str(error))


def _abort_own(batch_id: str, *, s3: Any, ledger: Ledger, bucket: str) -> None:
    """After a failure: abort this batch and delete what it uploaded, so its units can be taken
    over at once. Best effort — if it does not get through, the lease runs out instead; if the
    batch did commit (a lost response), nothing is deleted."""
    try:
        delete_files(s3, bucket, ledger.abort(batch_id, own=True))
    except Exception:
        log.warning("could not abort batch %s after a failure; its lease will expire", batch_id, exc_info=True)
