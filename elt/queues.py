"""Queue depth, the one number every operator view of the pipeline reads (the ops workflow's
progress, the run report, redrive, the verify checklist)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


@dataclass(frozen=True)
class Depth:
    visible: int  # waiting to be received
    in_flight: int  # received, neither deleted nor back yet

    @property
    def total(self) -> int:
        return self.visible + self.in_flight


def queue_depth(sqs: Any, queue_url: str) -> Depth:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=_ATTRIBUTES)["Attributes"]
    return Depth(int(attributes[_ATTRIBUTES[0]]), int(attributes[_ATTRIBUTES[1]]))
