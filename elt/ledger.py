"""Silver's ledger: which transform batch holds each work unit's rows, in the idempotency table.

Silver files are owned by batches (one transform invocation writes one file per partition), so
exactly-once is kept by state, not by file names. Three kinds of items (keys in ``elt/layout.py``):

* **batch record** ``batch#<id>``: ``OPEN`` while the invocation runs (``lease_until`` = its start
  plus ``BATCH_LEASE_SECONDS``, longer than the function can live), then ``COMMITTED`` — the commit
  point of everything the batch wrote — or ``ABORTED`` by whoever takes over a dead batch. It lists
  the batch's files before they are uploaded, so a takeover can delete them.
* **source record** ``source#s3://bucket/key``: the key's registered ``version`` and, per unit of
  that version (attribute ``u:<start>-<end>``), the batch that holds its rows (``<batch>|<replay>``).
  ``rev`` counts changes, for compare-and-swap.
* **lease** ``lease#<directory>``: one rewriter at a time of a silver partition or quarantine
  directory (``elt/retract.py``).

A claim is one conditional ``UpdateItem`` in the common case (a new key, or another unit of the
registered version). The rest is resolved from the item the failed condition returns:

=====================================  ===================================================
the unit's range is held by            then
=====================================  ===================================================
a committed batch                      done (a redelivery): skip — or, for a replay, retract
                                       the unit's rows from that batch, then take it over
an open batch within its lease         busy: the message is retried later
an aborted batch, or open past lease   abort it (delete its files), then take it over
=====================================  ===================================================

A different registered version: the unit's version wins only if it is the key's current version
in S3 now (``HeadObject``); then every batch holding the old version's rows has them retracted
before the record switches to the new version. Otherwise the unit is superseded and skipped. So
the record converges to what S3 holds, whatever order the versions' messages arrive in.

Every change of ownership is a compare-and-swap on the record, made only after the rows of the
previous owner are gone (retracted or deleted with an aborted batch): a reader never sees a
unit's rows twice. It may miss them for the moment between the retraction and the new batch's
upload — or, after a crash there, until the message is retried.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from elt.layout import batch_record_key, lease_key, source_record_key
from elt.work_units import WorkUnit

OPEN, COMMITTED, ABORTED = "OPEN", "COMMITTED", "ABORTED"
UNIT_ATTR_PREFIX = "u:"

Outcome = Literal["claimed", "done", "superseded", "busy"]


class BatchAborted(RuntimeError):
    """This batch was aborted by a takeover (it outlived its lease): nothing it wrote may stay."""


class LeaseBusy(RuntimeError):
    """Another batch kept a directory's lease for longer than we wait."""


@dataclass(frozen=True)
class Retraction:
    """Rows of one source object version to remove from a batch's files: lines ``first_line`` to
    ``last_line`` (inclusive; None: to the end)."""

    uri: str
    version: str
    first_line: int = 1
    last_line: int | None = None

    def covers(self, uri: str, version: str, line: int | None) -> bool:
        if uri != self.uri or version != self.version:
            return False
        if line is None:  # a whole-object quarantine entry belongs to every unit of its object
            return True
        return line >= self.first_line and (self.last_line is None or line <= self.last_line)


@dataclass
class Claim:
    """What claiming one unit decided, and what must happen before the claim is ours."""

    unit: WorkUnit
    outcome: Outcome
    reason: str = ""
    aborts: set[str] = field(default_factory=set)  # dead batches to abort (their files deleted)
    retractions: dict[str, list[Retraction]] = field(default_factory=dict)  # batch → rows
    swap: dict[str, Any] | None = None  # the conditional UpdateItem that makes the claim ours
    superseded_in_batch: tuple[str, str] | None = None  # (uri, version) this claim replaces here
    #: The batch that already holds the unit's range and gives it back if ``swap`` fails.
    release_on_failure: str | None = None


def unit_attr(unit: WorkUnit) -> str:
    return f"{UNIT_ATTR_PREFIX}{unit.start}-{unit.end}"


def unit_lines(unit: WorkUnit) -> tuple[int, int | None]:
    """The lines a unit holds: all of a whole object, else its counted range."""
    whole = unit.start == 0 and unit.end == unit.size
    return (1, None) if whole else (unit.first_line, unit.last_line)


def owner_value(batch_id: str, unit: WorkUnit) -> str:
    """``<batch>|<replay>|<first line>|<last line>``: who holds the range, for which replay, and
    which lines (so a re-cut of the object can retract exactly them)."""
    first, last = unit_lines(unit)
    return f"{batch_id}|{unit.replay or ''}|{first}|{'' if last is None else last}"


def parse_owner(value: str) -> tuple[str, str | None]:
    batch_id, replay, *_ = value.split("|")
    return batch_id, replay or None


def owner_retraction(uri: str, version: str, value: str) -> Retraction:
    """The rows a holder recorded in ``value`` holds."""
    _, _, first, last = value.split("|")
    return Retraction(uri, version, int(first), int(last) if last else None)


def unit_retraction(unit: WorkUnit) -> Retraction:
    first, last = unit_lines(unit)
    return Retraction(unit.source_uri, unit.version, first, last)


def _range(attr: str) -> tuple[int, int]:
    start, _, end = attr.removeprefix(UNIT_ATTR_PREFIX).partition("-")
    return int(start), int(end)


@dataclass
class Ledger:
    table_name: str
    client: Any  # boto3 DynamoDB client
    lease_seconds: int
    clock: Callable[[], float] = time.time
    _status: dict[str, dict[str, Any]] = field(default_factory=dict)

    # ---- batch records --------------------------------------------------------------------

    def open_batch(self, batch_id: str) -> None:
        now = int(self.clock())
        self.client.put_item(
            TableName=self.table_name,
            Item={
                "pk": {"S": batch_record_key(batch_id)},
                "status": {"S": OPEN},
                "opened_at": {"N": str(now)},
                "lease_until": {"N": str(now + self.lease_seconds)},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def batch(self, batch_id: str) -> dict[str, Any]:
        """A batch's record (status, lease_until, files); committed and aborted ones are cached."""
        if batch_id in self._status:
            return self._status[batch_id]
        item = self.client.get_item(
            TableName=self.table_name, Key={"pk": {"S": batch_record_key(batch_id)}}, ConsistentRead=True
        ).get("Item")
        record = {
            "status": item["status"]["S"] if item else ABORTED,  # never opened: nothing of it exists
            "lease_until": int(item["lease_until"]["N"]) if item and "lease_until" in item else 0,
            "files": [f["S"] for f in item.get("files", {}).get("L", [])] if item else [],
        }
        if record["status"] != OPEN:
            self._status[batch_id] = record
        return record

    def is_dead(self, record: dict[str, Any]) -> bool:
        return record["status"] == ABORTED or (record["status"] == OPEN and record["lease_until"] < self.clock())

    def prepare(self, batch_id: str, files: Iterable[str]) -> None:
        """List the files before uploading them, so a takeover can delete them."""
        self._update_open(batch_id, "SET files = :f", {":f": {"L": [{"S": f} for f in files]}})

    def commit(self, batch_id: str) -> None:
        self._update_open(batch_id, "SET #s = :committed", {":committed": {"S": COMMITTED}})

    def _update_open(self, batch_id: str, expression: str, values: dict[str, Any]) -> None:
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": batch_record_key(batch_id)}},
                UpdateExpression=expression,
                ConditionExpression="#s = :open",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":open": {"S": OPEN}, **values},
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            raise BatchAborted(f"batch {batch_id} was aborted by a takeover") from exc

    def abort(self, batch_id: str, *, own: bool = False) -> list[str]:
        """Mark a batch ABORTED and return its files (to delete). Another batch may abort only a
        dead one; ``own`` aborts this invocation's batch after a failure."""
        condition = "#s = :open" if own else "#s = :open AND lease_until < :now"
        values = {":open": {"S": OPEN}, ":aborted": {"S": ABORTED}}
        if not own:
            values[":now"] = {"N": str(int(self.clock()))}
        try:
            item = self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": batch_record_key(batch_id)}},
                UpdateExpression="SET #s = :aborted",
                ConditionExpression=f"attribute_not_exists(pk) OR ({condition})",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self.client.exceptions.ConditionalCheckFailedException:
            self._status.pop(batch_id, None)
            if self.batch(batch_id)["status"] != ABORTED:
                raise
            item = {}
        files = [f["S"] for f in item.get("files", {}).get("L", [])] or self.batch(batch_id)["files"]
        self._status[batch_id] = {"status": ABORTED, "lease_until": 0, "files": files}
        return files

    # ---- claims ---------------------------------------------------------------------------

    def claim(self, unit: WorkUnit, batch_id: str, current_version: Callable[[WorkUnit], str | None]) -> Claim:
        """Try to make ``batch_id`` the holder of ``unit``'s rows (module docstring).
        ``current_version`` answers which version of the unit's key S3 holds now."""
        attr = unit_attr(unit)
        mine = owner_value(batch_id, unit)
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": source_record_key(unit.bucket, unit.key)}},
                UpdateExpression="SET #v = :v, #u = :mine ADD rev :one",
                ConditionExpression="attribute_not_exists(pk) OR (#v = :v AND attribute_not_exists(#u))",
                ExpressionAttributeNames={"#v": "version", "#u": attr},
                ExpressionAttributeValues={":v": {"S": unit.version}, ":mine": {"S": mine}, ":one": {"N": "1"}},
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return self._recut(unit, batch_id, response.get("Attributes") or {})
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            old = exc.response.get("Item") or {}
        if old.get("version", {}).get("S") == unit.version:
            return self._same_version(unit, batch_id, old)
        return self._other_version(unit, batch_id, old, current_version)

    def _recut(self, unit: WorkUnit, batch_id: str, old: dict[str, Any]) -> Claim:
        """A range newly claimed may overlap ranges of the same version cut differently (the
        object planned again with another ``WORK_UNIT_BYTES``). A replay re-plans the whole
        object, so its unit takes the overlapping ranges over: their holders' rows are retracted
        and the ranges removed. Any other unit leaves them be: its lines are already held."""
        start, end = unit.start, unit.end
        overlapping = {
            name: value["S"]
            for name, value in old.items()
            if name.startswith(UNIT_ATTR_PREFIX)
            and name != unit_attr(unit)
            and _range(name)[0] < end
            and start < _range(name)[1]
        }
        if not overlapping:
            return Claim(unit, "claimed")
        if unit.replay is None:
            self.release(unit, batch_id)
            return Claim(unit, "done", f"its lines are held under another cut of the object: {sorted(overlapping)}")
        claim = Claim(unit, "claimed", release_on_failure=batch_id)
        for value in overlapping.values():
            holder, _ = parse_owner(value)
            record = self.batch(holder) if holder != batch_id else {"status": OPEN, "lease_until": 1 << 62}
            if record["status"] == COMMITTED:
                claim.retractions.setdefault(holder, []).append(owner_retraction(unit.source_uri, unit.version, value))
            elif self.is_dead(record):
                claim.aborts.add(holder)
            else:
                self.release(unit, batch_id)
                return Claim(unit, "busy", f"batch {holder} holds an overlapping range and is still running")
        names = {f"#o{i}": name for i, name in enumerate(overlapping)}
        claim.swap = {
            "UpdateExpression": f"REMOVE {', '.join(names)} ADD rev :one",
            "ConditionExpression": " AND ".join(f"#o{i} = :h{i}" for i in range(len(names))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                **{f":h{i}": {"S": value} for i, value in enumerate(overlapping.values())},
            },
        }
        return claim

    def _same_version(self, unit: WorkUnit, batch_id: str, old: dict[str, Any]) -> Claim:
        attr = unit_attr(unit)
        held = old[attr]["S"]
        holder, replay = parse_owner(held)
        claim = Claim(unit, "claimed", swap=self._swap_owner(unit, held, batch_id))
        if holder == batch_id:
            if replay == unit.replay:  # our own earlier attempt, whose response was lost
                return Claim(unit, "claimed")
            # Another message of this batch (the unit, or a replay of it) claimed the range: its
            # rows are written once, by that claim.
            return Claim(unit, "done", "claimed by another message of this batch")
        record = self.batch(holder)
        if record["status"] == COMMITTED:
            if unit.replay is None or replay == unit.replay:
                return Claim(unit, "done", f"already committed by {holder}")
            claim.retractions[holder] = [unit_retraction(unit)]
        elif self.is_dead(record):
            claim.aborts.add(holder)
        else:
            return Claim(unit, "busy", f"batch {holder} holds it and is still running")
        return claim

    def _other_version(
        self, unit: WorkUnit, batch_id: str, old: dict[str, Any], current_version: Callable[[WorkUnit], str | None]
    ) -> Claim:
        registered = old["version"]["S"]
        current = current_version(unit)
        if current != unit.version:
            why = "the key was deleted" if current is None else f"the key's current version is {current}"
            return Claim(unit, "superseded", f"{why}; {unit.version} is not")
        held = {name: value["S"] for name, value in old.items() if name.startswith(UNIT_ATTR_PREFIX)}
        claim = Claim(unit, "claimed")
        for value in held.values():
            holder, _ = parse_owner(value)
            if holder == batch_id:  # an older version's unit earlier in this same batch
                claim.superseded_in_batch = (unit.source_uri, registered)
                continue
            record = self.batch(holder)
            if record["status"] == COMMITTED:
                claim.retractions.setdefault(holder, []).append(Retraction(unit.source_uri, registered))
            elif self.is_dead(record):
                claim.aborts.add(holder)
            else:
                return Claim(unit, "busy", f"batch {holder} is writing version {registered} of the key")
        names = {"#v": "version", "#u": unit_attr(unit)}
        removed = [name for name in held if name != unit_attr(unit)]
        names.update({f"#r{i}": name for i, name in enumerate(removed)})
        remove = f" REMOVE {', '.join(f'#r{i}' for i in range(len(removed)))}" if removed else ""
        claim.swap = {
            "UpdateExpression": f"SET #v = :v, #u = :mine, rev = rev + :one{remove}",
            "ConditionExpression": "rev = :rev",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":v": {"S": unit.version},
                ":mine": {"S": owner_value(batch_id, unit)},
                ":one": {"N": "1"},
                ":rev": old["rev"],
            },
        }
        return claim

    def _swap_owner(self, unit: WorkUnit, held: str, batch_id: str) -> dict[str, Any]:
        return {
            "UpdateExpression": "SET #u = :mine ADD rev :one",
            "ConditionExpression": "#v = :v AND #u = :held",
            "ExpressionAttributeNames": {"#v": "version", "#u": unit_attr(unit)},
            "ExpressionAttributeValues": {
                ":v": {"S": unit.version},
                ":held": {"S": held},
                ":mine": {"S": owner_value(batch_id, unit)},
                ":one": {"N": "1"},
            },
        }

    def complete_claim(self, claim: Claim) -> bool:
        """Apply the claim's compare-and-swap (after its retractions and aborts); False: the
        record changed meanwhile (the unit is retried later)."""
        assert claim.swap is not None
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": source_record_key(claim.unit.bucket, claim.unit.key)}},
                **claim.swap,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            if claim.release_on_failure is not None:
                self.release(claim.unit, claim.release_on_failure)
            return False
        return True

    def release(self, unit: WorkUnit, batch_id: str) -> None:
        """Give a claimed unit back (it was not written: superseded while it waited)."""
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):  # taken over already
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": source_record_key(unit.bucket, unit.key)}},
                UpdateExpression="REMOVE #u ADD rev :one",
                ConditionExpression="#u = :mine",
                ExpressionAttributeNames={"#u": unit_attr(unit)},
                ExpressionAttributeValues={":mine": {"S": owner_value(batch_id, unit)}, ":one": {"N": "1"}},
            )

    # ---- leases ---------------------------------------------------------------------------

    def acquire_lease(self, directory: str, holder: str, wait_seconds: float) -> None:
        deadline = time.monotonic() + wait_seconds
        delay = 0.05
        while True:
            now = int(self.clock())
            try:
                self.client.put_item(
                    TableName=self.table_name,
                    Item={
                        "pk": {"S": lease_key(directory)},
                        "holder": {"S": holder},
                        "until": {"N": str(now + self.lease_seconds)},
                    },
                    ConditionExpression="attribute_not_exists(pk) OR #until < :now OR holder = :me",
                    ExpressionAttributeNames={"#until": "until"},
                    ExpressionAttributeValues={":now": {"N": str(now)}, ":me": {"S": holder}},
                )
                return
            except self.client.exceptions.ConditionalCheckFailedException as exc:
                if time.monotonic() >= deadline:
                    raise LeaseBusy(f"{directory} is being rewritten by another batch") from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def release_lease(self, directory: str, holder: str) -> None:
        try:
            self.client.delete_item(
                TableName=self.table_name,
                Key={"pk": {"S": lease_key(directory)}},
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": {"S": holder}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
