"""Transform Lambda: a batch of SQS work units → one batch of silver Parquet + quarantine, with
partial batch failures. A thin adapter over elt.batch."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SQSEvent

from elt.batch import process_batch
from elt.config import TransformSettings
from elt.ingest import send_units
from elt.ledger import Ledger
from elt.partition_ready import CatalogRegistrar, PartitionPublisher
from elt.records import Validator
from elt.work_units import MessageError, WorkUnit

settings = TransformSettings.from_env()
logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"elt"})
metrics = Metrics(namespace=settings.metrics_namespace)
s3 = boto3.client("s3")
dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")
ledger = Ledger(settings.ledger_table, dynamodb, settings.batch_lease_seconds)
validator = Validator()
announce = PartitionPublisher(
    settings,
    events=boto3.client("events") if settings.emit_partition_events else None,
    dynamodb=dynamodb if settings.emit_partition_events else None,
    registrar=CatalogRegistrar(
        boto3.client("glue"),
        settings.catalog_database,
        settings.silver_bucket,
        settings.silver_prefix,
        validator.schemas,
        settings.catalog_table_prefix,
    )
    if settings.catalog_database
    else None,
)


def requeue(units: list[WorkUnit]) -> None:
    """Units over the invocation's byte budget go back as new messages (their receive counts
    start again), when the queue is known."""
    send_units(units, sqs=sqs, queue_url=settings.queue_url, attempts=settings.send_attempts)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    failures: list[dict[str, str]] = []
    units: list[WorkUnit] = []
    message_ids: list[str] = []
    for record in SQSEvent(event).records:
        try:
            units.append(WorkUnit.from_message(record.body))
            message_ids.append(record.message_id)
        except MessageError:
            logger.exception("poison message", extra={"message_id": record.message_id})
            failures.append({"itemIdentifier": record.message_id})
    if units:
        result = process_batch(
            units,
            s3=s3,
            ledger=ledger,
            settings=settings,
            validator=validator,
            announce=announce,
            requeue=requeue if settings.queue_url else None,
        )
        outcomes = zip(message_ids, result.outcomes, strict=True)
        failures += [{"itemIdentifier": m} for m, o in outcomes if not o.acknowledged]
        summary = result.as_dict()
        for name, value in (
            ("RecordsOut", summary["rows"]),
            ("RecordsQuarantined", summary["quarantined"]),
            ("FilesWritten", result.files),
            ("BytesWritten", result.bytes_written),
            ("UnitsProcessed", summary["units"].get("written", 0)),
            ("UnitsSuperseded", summary["units"].get("superseded", 0)),
            ("UnitsRequeued", summary["units"].get("requeued", 0)),
            ("UnitsRetried", len(units) - sum(o.acknowledged for o in result.outcomes)),
        ):
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        logger.info("batch committed", extra=summary)
    return {"batchItemFailures": failures}
