"""What the transform does after a batch's silver files are committed: register the partitions in the
Glue catalog (optional, instead of a crawler) and announce them with a "silver partition ready"
EventBridge event (optional, it starts the quality gate).

Announcements are debounced per partition: a burst of batches writing into one partition makes one
event per ``PARTITION_EVENT_DEBOUNCE_SECONDS`` window, claimed with a conditional DynamoDB write.
The gate waits the same window before it validates (its input carries ``quiet_seconds``), so every
write is covered by a validation that starts after it, and a partition gets at most one validation
per window however many batches land in it.

Registration uses the Glue API directly (one ``CreateTable`` per dataset, one
``BatchCreatePartition`` per new partition): awswrangler's catalog helpers do the same calls but
import pandas, which would double the transform's package and cold start.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from botocore.exceptions import ClientError

from elt.batch import BatchResult
from elt.config import TransformSettings
from elt.layout import partition_claim_key, partition_prefix
from elt.silver import silver_key

log = logging.getLogger(__name__)

EVENT_SOURCE = "serverless-elt.transform"
PARTITION_READY = "silver partition ready"
#: Debounce claims share the idempotency table under their own key prefix (IAM scopes the
#: transform to it with dynamodb:LeadingKeys).
PARQUET_SERDE = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


def hive_type(arrow_type: pa.DataType) -> str:
    """Catalog (Hive) type of a silver column."""
    if pa.types.is_string(arrow_type):
        return "string"
    if pa.types.is_int64(arrow_type):
        return "bigint"
    if pa.types.is_float64(arrow_type):
        return "double"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    raise TypeError(f"no catalog type for silver column type {arrow_type}")


@dataclass
class CatalogRegistrar:
    """Keeps the catalog in step with silver: the table per dataset, a partition per dt."""

    glue: Any
    database: str
    bucket: str
    silver_prefix: str
    schemas: dict[str, pa.Schema]
    table_prefix: str = ""
    _known: set[tuple[str, str]] = field(default_factory=set)  # partitions registered by this process
    _tables: set[str] = field(default_factory=set)  # tables this process created or found

    def location(self, record_type: str, dt: str | None = None) -> str:
        return f"s3://{self.bucket}/{partition_prefix(self.silver_prefix, record_type, dt)}"

    def columns(self, record_type: str) -> list[dict[str, str]]:
        return [{"Name": f.name, "Type": hive_type(f.type)} for f in self.schemas[record_type]]

    def _create_table(self, record_type: str) -> None:
        if record_type in self._tables:
            return
        try:
            self.glue.create_table(
                DatabaseName=self.database,
                TableInput={
                    "Name": self.table_prefix + record_type,
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
                    "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                    "StorageDescriptor": {
                        "Columns": self.columns(record_type),
                        "Location": self.location(record_type),
                        **PARQUET_SERDE,
                    },
                },
            )
            log.info("catalog table created", extra={"table": self.table_prefix + record_type})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "AlreadyExistsException":
                raise
        self._tables.add(record_type)

    def register(self, partitions: Iterable[tuple[str, str]]) -> int:
        """Register partitions not yet known; returns how many were new to the catalog."""
        created = 0
        by_type: dict[str, list[str]] = {}
        for record_type, dt in partitions:
            if (record_type, dt) not in self._known:
                by_type.setdefault(record_type, []).append(dt)
        for record_type, dts in sorted(by_type.items()):
            self._create_table(record_type)
            columns = self.columns(record_type)
            for offset in range(0, len(dts), 100):  # BatchCreatePartition takes 100 at a time
                batch = dts[offset : offset + 100]
                response = self.glue.batch_create_partition(
                    DatabaseName=self.database,
                    TableName=self.table_prefix + record_type,
                    PartitionInputList=[
                        {
                            "Values": [dt],
                            "StorageDescriptor": {
                                "Columns": columns,
                                "Location": self.location(record_type, dt),
                                **PARQUET_SERDE,
                            },
                        }
                        for dt in batch
                    ],
                )
                errors = {e["PartitionValues"][0]: e["ErrorDetail"] for e in response.get("Errors", [])}
                for dt in batch:
                    error = errors.get(dt)
                    if error is None:
                        created += 1
                    elif error.get("ErrorCode") != "AlreadyExistsException":
                        raise RuntimeError(f"cannot register partition {record_type}/dt={dt}: {error}")
                    self._known.add((record_type, dt))
        return created


@dataclass
class PartitionPublisher:
    """The transform's ``announce`` hook: registration, then debounced "partition ready" events."""

    settings: TransformSettings
    events: Any = None
    dynamodb: Any = None
    registrar: CatalogRegistrar | None = None
    clock: Any = time.time

    def __call__(self, result: BatchResult) -> None:
        partitions = sorted(result.partitions)
        if self.registrar is not None:
            self.registrar.register(partitions)
        if self.events is None or not self.settings.emit_partition_events:
            return
        entries = [
            self._entry(result.batch_id, record_type, dt, result.partitions[(record_type, dt)])
            for record_type, dt in partitions
            if self._claim(record_type, dt)
        ]
        for offset in range(0, len(entries), 10):  # PutEvents takes 10 entries at a time
            response = self.events.put_events(Entries=entries[offset : offset + 10])
            if response.get("FailedEntryCount"):
                # Lost announcements are recoverable (`make ge-start`); failing the batch would
                # re-run it for nothing.
                log.warning("some partition events were not published", extra={"failed": response["FailedEntryCount"]})

    def _claim(self, record_type: str, dt: str) -> bool:
        """True if this batch may announce the partition now (no announcement in the window)."""
        window = self.settings.partition_event_debounce_seconds
        if window == 0:
            return True
        now = int(self.clock())
        try:
            self.dynamodb.put_item(
                TableName=self.settings.partition_claims_table,
                Item={
                    "pk": {"S": partition_claim_key(self.settings.silver_prefix, record_type, dt)},
                    "announced_at": {"N": str(now)},
                    "expires_at": {"N": str(now + window)},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _entry(self, batch_id: str, record_type: str, dt: str, rows: int) -> dict[str, Any]:
        detail = {
            "silver_bucket": self.settings.silver_bucket,
            "silver_prefix": self.settings.silver_prefix,
            "record_type": record_type,
            "dt": dt,
            "rows": rows,
            "key": silver_key(self.settings, record_type, dt, batch_id),
            "quiet_seconds": self.settings.partition_event_debounce_seconds,
        }
        return {
            "Source": EVENT_SOURCE,
            "DetailType": PARTITION_READY,
            "EventBusName": self.settings.event_bus_name,
            "Detail": json.dumps(detail),
        }
