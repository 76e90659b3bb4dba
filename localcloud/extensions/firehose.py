"""Firehose: records buffered and delivered as the service does (``localcloud/firehose_runner.py``)
instead of one S3 object per PutRecord call."""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.runtime import Runtime


def records_are_buffered(runtime: Runtime) -> None:
    """moto writes each PutRecord/PutRecordBatch straight to S3 as one object, under its own
    YYYY/MM/DD/HH/ layout, ignoring buffering hints, compression, dynamic partitioning and the
    file extension. A DirectPut stream with an S3 destination hands its records to the runner,
    which buffers them as it does a Kinesis source's; other destinations keep moto's behaviour."""
    from moto.firehose.exceptions import ResourceNotFoundException
    from moto.firehose.models import FirehoseBackend

    original = FirehoseBackend.put_record_batch

    def put_record_batch(self: FirehoseBackend, delivery_stream_name: str, records: list[dict[str, bytes]]) -> Any:
        stream = self.delivery_streams.get(delivery_stream_name)
        if stream is None:
            raise ResourceNotFoundException(
                f"Firehose {delivery_stream_name} under account {self.account_id} not found."
            )
        if not runtime.firehose.put_records(stream, [_raw(r["Data"]) for r in records]):
            return original(self, delivery_stream_name, records)
        return {
            "FailedPutCount": 0,
            "Encrypted": False,
            "RequestResponses": [{"RecordId": uuid.uuid4().hex} for _ in records],
        }

    FirehoseBackend.put_record_batch = put_record_batch  # type: ignore[method-assign]


def _raw(data: bytes | str) -> bytes:
    """A record's bytes (the parsed request may carry the blob still base64-encoded)."""
    return data if isinstance(data, bytes) else base64.b64decode(data)
