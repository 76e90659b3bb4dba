"""Transform Lambda: SQS work units → silver Parquet + quarantine, with partial batch failures."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from elt.config import TransformSettings
from elt.partition_ready import CatalogRegistrar, PartitionPublisher
from elt.records import Validator
from elt.silver import process_unit
from elt.work_units import WorkUnit

settings = TransformSettings.from_env()
logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"elt"})
metrics = Metrics(namespace=settings.metrics_namespace)
processor = BatchProcessor(event_type=EventType.SQS)
s3 = boto3.client("s3")
validator = Validator()
announce = PartitionPublisher(
    settings,
    events=boto3.client("events") if settings.emit_partition_events else None,
    dynamodb=boto3.client("dynamodb") if settings.emit_partition_events else None,
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


def record_handler(record: SQSRecord) -> dict[str, Any]:
    unit = WorkUnit.from_message(record.body)
    result = process_unit(unit, s3=s3, settings=settings, validator=validator, announce=announce)
    for name, value in (
        ("RecordsOut", result.rows),
        ("RecordsQuarantined", result.quarantined),
        ("FilesWritten", result.files),
        ("BytesWritten", result.bytes_written),
        ("UnitsProcessed", 1),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("unit done", extra={"unit": str(unit.output_name), "source": unit.source_uri, **result.as_dict()})
    return result.as_dict()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
