"""Object-level idempotency: one conditional DynamoDB write per object version.

Why not Powertools Idempotency: it stores ``<function>#<md5(payload)>`` as the key, while our
contract (docs/architecture.md, "Idempotency") is a readable ``pk = s3://bucket/key#etag`` that operators query and
the verify checklist inspects. The protocol is the same as Powertools': claim with a
conditional put (status IN_PROGRESS + in-progress expiry + TTL), mark COMPLETED on success,
delete on failure so the retry can claim again; a crashed claim expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"

ClaimOutcome = Literal["claimed", "completed", "in_progress"]


class AlreadyInProgressError(RuntimeError):
    """Another attempt holds the claim and has not expired: retry later."""


@dataclass
class IdempotencyStore:
    table_name: str
    ttl_seconds: int
    in_progress_expiry_seconds: int
    client: Any  # boto3 DynamoDB client

    def claim(self, pk: str, now: float | None = None) -> ClaimOutcome:
        """Claim ``pk`` for processing. Returns ``completed`` when an earlier attempt finished."""
        now = time.time() if now is None else now
        now_s = int(now)
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": pk},
                    "status": {"S": IN_PROGRESS},
                    "in_progress_expiry": {"N": str(now_s + self.in_progress_expiry_seconds)},
                    "expires_at": {"N": str(now_s + self.ttl_seconds)},
                    "claimed_at": {"N": str(now_s)},
                },
                # Free, expired (TTL deletion lags up to days), or a crashed claim past its expiry.
                ConditionExpression=(
                    "attribute_not_exists(pk) OR expires_at < :now OR (#s = :in_progress AND in_progress_expiry < :now)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":now": {"N": str(now_s)},
                    ":in_progress": {"S": IN_PROGRESS},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return "claimed"
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            old = exc.response.get("Item") or {}
            status = old.get("status", {}).get("S")
            return "completed" if status == COMPLETED else "in_progress"

    def complete(self, pk: str, result: dict[str, int]) -> None:
        self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": pk}},
            UpdateExpression="SET #s = :completed, #r = :result REMOVE in_progress_expiry",
            ExpressionAttributeNames={"#s": "status", "#r": "result"},
            ExpressionAttributeValues={
                ":completed": {"S": COMPLETED},
                ":result": {"M": {k: {"N": str(v)} for k, v in result.items()}},
            },
        )

    def release(self, pk: str) -> None:
        """Forget a failed attempt so the retry can claim immediately."""
        self.client.delete_item(TableName=self.table_name, Key={"pk": {"S": pk}})
