"""Published on-demand prices the cost model uses, in one table, with the date they were read.

us-east-1, x86_64 Lambda, S3 Standard, SQS standard queues, DynamoDB on-demand (after the
November 2024 price reduction). Free tiers are ignored: the figure is the marginal cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PRICES_AS_OF = "2025-06-01"
PRICES_REGION = "us-east-1"

#: USD per unit. Keys are what the cost model multiplies.
PRICES_USD: dict[str, float] = {
    "lambda_gb_second": 0.0000166667,  # x86_64, first 6 billion GB-s per month
    "lambda_request": 0.20 / 1_000_000,
    "sqs_request": 0.40 / 1_000_000,  # standard queue, per 64 KiB chunk of a request
    "s3_put_request": 0.005 / 1_000,  # PUT, COPY, POST, LIST (multipart parts count as PUTs)
    "s3_get_request": 0.0004 / 1_000,  # GET, HEAD and all other requests
    "dynamodb_write_request_unit": 0.625 / 1_000_000,  # on-demand, per 1 KiB written
    "dynamodb_read_request_unit": 0.125 / 1_000_000,
}

#: Amazon Data Firehose, Direct PUT source, us-east-1 (https://aws.amazon.com/firehose/pricing/):
#: ingestion $0.029 per GB (first 500 TB a month) and JSON → Parquet/ORC format conversion $0.018
#: per GB, both on ingested bytes with every record rounded up to a multiple of 5 KB.
FIREHOSE_USD_PER_GB = {"ingestion": 0.029, "format_conversion": 0.018}
FIREHOSE_RECORD_INCREMENT_BYTES = 5 * 1024

#: Lambda allocates CPU in proportion to memory: one full vCPU at 1,769 MB.
LAMBDA_MB_PER_VCPU = 1769

S3_PUT_CLASS = {
    "PutObject",
    "CopyObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "ListObjectsV2",
}
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@dataclass(frozen=True)
class FunctionUsage:
    """One function's share of a run: invocations, CPU-seconds, configured memory."""

    invocations: int
    cpu_seconds: float
    memory_mb: int

    def billed_seconds(self) -> float:
        """Duration estimate: CPU-seconds stretched by the vCPU share the memory setting buys
        (below 1,769 MB a function gets a fraction of a core; above it, the work here is
        single-threaded enough that extra cores do not shorten it)."""
        return self.cpu_seconds * max(1.0, LAMBDA_MB_PER_VCPU / self.memory_mb)

    def gb_seconds(self) -> float:
        return self.billed_seconds() * self.memory_mb / 1024


def request_cost(service: str, operation: str, count: float) -> float:
    if service == "s3":
        key = "s3_put_request" if operation in S3_PUT_CLASS else "s3_get_request"
        return count * PRICES_USD[key]
    if service == "sqs":
        return count * PRICES_USD["sqs_request"]
    if service == "dynamodb":
        key = "dynamodb_write_request_unit" if operation in DYNAMODB_WRITES else "dynamodb_read_request_unit"
        return count * PRICES_USD[key]
    return 0.0


def firehose_json_to_parquet_usd(records: int, input_bytes: int) -> float:
    """What Firehose would bill to ingest ``records`` records of ``input_bytes`` in all and convert
    them to Parquet: each record is billed as a whole number of 5 KB increments (a 166-byte record
    counts as 5 KB), so for small records the rounding, not the data, sets the price."""
    mean = input_bytes / max(records, 1)
    billed = records * -(-mean // FIREHOSE_RECORD_INCREMENT_BYTES) * FIREHOSE_RECORD_INCREMENT_BYTES
    return billed / 1024**3 * sum(FIREHOSE_USD_PER_GB.values())


def cost_usd(requests: Mapping[str, float], functions: Mapping[str, FunctionUsage]) -> dict[str, float]:
    """Cost split into Lambda compute, Lambda requests, and each service's requests.

    ``requests`` maps ``"service:Operation"`` to a count (already scaled to the unit of
    interest, e.g. per 1M records). DynamoDB items here are small (< 1 KiB): one request
    unit per write.
    """
    out = {
        "lambda_compute": sum(f.gb_seconds() for f in functions.values()) * PRICES_USD["lambda_gb_second"],
        "lambda_requests": sum(f.invocations for f in functions.values()) * PRICES_USD["lambda_request"],
        "s3": 0.0,
        "sqs": 0.0,
        "dynamodb": 0.0,
    }
    for name, count in requests.items():
        service, _, operation = name.partition(":")
        if service in out:
            out[service] += request_cost(service, operation, count)
    out["total"] = sum(out.values())
    return out
