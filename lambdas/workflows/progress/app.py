"""Ops workflow task: one poll of silver progress and queue depths."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from elt.config import OpsSettings
from elt.ops.progress import progress_step

settings = OpsSettings.from_env()
logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"elt"})
s3 = boto3.client("s3")
sqs = boto3.client("sqs")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    state = progress_step(
        s3,
        sqs,
        event,
        quarantine_prefix=settings.quarantine_prefix,
        queue_url=settings.queue_url,
        dlq_url=settings.dlq_url,
    )
    logger.info("silver progress", extra={"progress": state["progress"]})
    return state
