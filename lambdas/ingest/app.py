"""Ingest Lambda: S3 object-created events → work units on SQS. A thin adapter over elt.ingest."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from elt.config import IngestSettings
from elt.idempotency import IdempotencyStore
from elt.ingest import LazyClient, ingest_event

settings = IngestSettings.from_env()
logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"elt"})
metrics = Metrics(namespace=settings.metrics_namespace)
s3 = LazyClient("s3")  # most objects are planned without reading them
sqs = boto3.client("sqs")
store = IdempotencyStore(
    table_name=settings.idempotency_table,
    ttl_seconds=settings.idempotency_ttl_seconds,
    in_progress_expiry_seconds=settings.in_progress_expiry_seconds,
    client=boto3.client("dynamodb"),
)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = ingest_event(event, s3=s3, sqs=sqs, store=store, settings=settings).as_dict()
    for name, value in result.items():
        metrics.add_metric(name=f"Ingest{name.title()}", unit=MetricUnit.Count, value=value)
    logger.info("ingest done", extra=result)
    return result
