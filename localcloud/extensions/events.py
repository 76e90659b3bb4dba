"""EventBridge: Lambda and Step Functions targets."""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.runtime import Runtime

log = logging.getLogger("localcloud.extensions")


def lambda_and_sfn_targets(runtime: Runtime) -> None:
    """Gap: moto's rules deliver only to logs, SQS and event buses. Add Lambda and Step Functions
    targets (with Input / InputPath / InputTransformer as moto applies them)."""
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        ours = [t for t in self.targets if parse_arn(t["Arn"]).service in {"lambda", "states"}]
        if len(ours) < len(self.targets):
            # moto raises on target kinds it does not know: hand it a view with its own kinds only.
            theirs = copy.copy(self)
            theirs.targets = [t for t in self.targets if t not in ours]
            original(theirs, original_event, transform_input)
        if ours and self.event_pattern.matches_event(original_event):
            for target in ours:
                runtime.deliver_event(target, original_event)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
