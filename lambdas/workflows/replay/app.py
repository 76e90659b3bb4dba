"""Ops workflow task: one bounded batch of the replay — the window's objects recomputed in place
(work units with ``replay`` set, sent to the work queue), or copied under the replay prefix
with ``reingest_as_new_copies`` (elt/ops/replay.py)."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from elt.config import OpsSettings
from elt.ops.replay import replay_step

settings = OpsSettings.from_env()
logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"elt"})
s3 = boto3.client("s3")
sqs = boto3.client("sqs")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    state = replay_step(
        s3,
        event["input"],
        execution_name=event["execution_name"],
        execution_started_at=event["execution_started_at"],
        defaults=settings,
        sqs=sqs,
        # Stops before the Lambda timeout (Sandbox.Timedout, which the workflow does not retry).
        remaining_ms=context.get_remaining_time_in_millis,
    )
    logger.info("replay batch done", extra={"replay": state["replay"]})
    return state
