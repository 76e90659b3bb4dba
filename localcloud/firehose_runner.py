"""Firehose delivery for the local cloud: the emulator's Firehose writes every PutRecord straight to
S3 as one object and never reads a Kinesis source. This runner does what the service does for an
extended S3 destination: buffer records per dynamic partition, flush a buffer when it reaches the
size hint or its interval passes, write one object per (partition, flush) under the evaluated
prefix (gzip when configured, with the file extension), and send records whose metadata extraction
fails to the error prefix in Firehose's error envelope.

Records come from a Kinesis source (a reader per delivery stream, through the emulator's Kinesis
backend in-process) or from PutRecord/PutRecordBatch on a DirectPut stream
(``localcloud.extensions.firehose``). Objects are put through the emulator's S3 backend, whose
PutObject sends the bucket's notifications: the bronze notification fires as for any upload.
Runs inside the emulator process; stops with the runtime.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localcloud.settings import ACCOUNT_ID, LocalCloudSettings

log = logging.getLogger("localcloud.firehose")
#: How often buffers are checked against their interval and Kinesis sources are read.
TICK_SECONDS = 0.25
#: Records read from one shard per tick at most (GetRecords' own limit).
MAX_RECORDS_PER_READ = 10_000
#: Error envelope of a record whose partition keys could not be extracted.
EXTRACTION_FAILED = "DynamicPartitioning.MetadataExtractionFailed"
PROCESSING_FAILED = "processing-failed"
#: Java DateTimeFormatter patterns Firehose's !{timestamp:...} takes, as strftime directives.
_JAVA_TIME = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
_EXPRESSION = re.compile(r"!\{(?P<namespace>[a-zA-Z]+):(?P<name>[^}]*)\}")


class ExtractionError(ValueError):
    """The metadata extraction query gave no partition key for a record."""


@dataclass(frozen=True)
class DeliveryConfig:
    """What the runner needs of a delivery stream's extended S3 (or S3) destination."""

    name: str
    version: str
    bucket: str
    prefix: str
    error_prefix: str
    size_bytes: int
    interval_seconds: float
    gzip: bool
    extension: str
    query: str | None
    delimiter: bool
    kinesis_arn: str | None

    @classmethod
    def of(cls, stream: Any) -> DeliveryConfig | None:
        """The config of a moto DeliveryStream; None when it has no S3 destination."""
        destination: dict[str, Any] = next(iter(stream.destinations), {})
        s3 = destination.get("ExtendedS3") or destination.get("S3")
        if not s3:
            return None
        hints = s3.get("BufferingHints") or {}
        processors = (s3.get("ProcessingConfiguration") or {}).get("Processors") or []
        enabled = (s3.get("ProcessingConfiguration") or {}).get("Enabled") in (True, "true", "True")
        by_type = {p.get("Type"): p for p in processors} if enabled else {}
        partitioning = (s3.get("DynamicPartitioningConfiguration") or {}).get("Enabled") in (True, "true", "True")
        return cls(
            name=stream.delivery_stream_name,
            version=str(stream.version_id),
            bucket=s3["BucketARN"].split(":")[-1],
            prefix=s3.get("Prefix") or "",
            error_prefix=s3.get("ErrorOutputPrefix") or "",
            size_bytes=int(hints.get("SizeInMBs", 5)) * 1024 * 1024,
            interval_seconds=float(hints.get("IntervalInSeconds", 300)),
            gzip=s3.get("CompressionFormat") == "GZIP",
            extension=s3.get("FileExtension") or (".gz" if s3.get("CompressionFormat") == "GZIP" else ""),
            query=_parameter(by_type.get("MetadataExtraction"), "MetadataExtractionQuery") if partitioning else None,
            delimiter="AppendDelimiterToRecord" in by_type,
            kinesis_arn=(stream.source or {}).get("KinesisStreamARN"),
        )


def _parameter(processor: dict[str, Any] | None, name: str) -> str | None:
    for parameter in (processor or {}).get("Parameters") or []:
        if parameter.get("ParameterName") == name:
            return str(parameter.get("ParameterValue"))
    return None


@functools.cache
def _program(query: str) -> Any:
    import jq

    return jq.compile(query)


def extract_keys(query: str, data: bytes) -> dict[str, str]:
    """Partition keys of a record by the JQ query, as Firehose's inline parsing: the record must be
    a JSON object and every key the query names must have a non-null scalar value."""
    try:
        record = json.loads(data)
    except ValueError as exc:  # UnicodeDecodeError included
        raise ExtractionError(f"Non JSON record provided: {exc}") from None
    try:
        found = _program(query).input_value(record).first()
    except ValueError as exc:
        raise ExtractionError(f"Metadata extraction query failed: {exc}") from None
    if not isinstance(found, dict) or not found:
        raise ExtractionError("Metadata extraction query did not return an object")
    missing = sorted(k for k, v in found.items() if v is None or isinstance(v, dict | list) or v == "")
    if missing:
        raise ExtractionError(f"Partition keys are missing or null: {', '.join(missing)}")
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in found.items()}


def evaluate_prefix(prefix: str, keys: dict[str, str], arrival: datetime, error_type: str = "") -> str:
    """Evaluate Firehose's prefix expressions: ``!{partitionKeyFromQuery:k}``, ``!{timestamp:fmt}``
    (UTC, Java pattern letters), ``!{firehose:error-output-type}`` and ``!{firehose:random-string}``."""

    def value(match: re.Match[str]) -> str:
        namespace, name = match.group("namespace"), match.group("name")
        if namespace == "partitionKeyFromQuery":
            return keys[name]
        if namespace == "timestamp":
            return arrival.strftime(re.sub("|".join(_JAVA_TIME), lambda m: _JAVA_TIME[m.group(0)], name))
        if namespace == "firehose" and name == "error-output-type":
            return error_type
        if namespace == "firehose" and name == "random-string":
            return uuid.uuid4().hex[:11]
        raise ValueError(f"unsupported prefix expression {match.group(0)}")

    return _EXPRESSION.sub(value, prefix)


def error_envelope(data: bytes, arrival: datetime, message: str) -> bytes:
    """A failed record as Firehose writes it to the error prefix: one JSON line, the raw data base64."""
    return (
        json.dumps(
            {
                "attemptsMade": 1,
                "arrivalTimestamp": int(arrival.timestamp() * 1000),
                "errorCode": EXTRACTION_FAILED,
                "errorMessage": message,
                "attemptEndingTimestamp": int(time.time() * 1000),
                "rawData": base64.b64encode(data).decode(),
            },
            separators=(",", ":"),
        ).encode()
        + b"\n"
    )


@dataclass
class Buffer:
    """Records of one partition since its last flush."""

    arrival: datetime  # of the oldest record: the !{timestamp} of the object
    opened: float = field(default_factory=time.monotonic)
    records: list[bytes] = field(default_factory=list)
    size: int = 0

    def __len__(self) -> int:
        return len(self.records)

    def add(self, data: bytes) -> None:
        self.records.append(data)
        self.size += len(data)


#: (error output type or "", partition key values): one object per buffer and flush.
BufferKey = tuple[str, tuple[tuple[str, str], ...]]


class Delivery:
    """The buffers of one delivery stream; ``add`` and ``due`` hand back what is ready to write."""

    def __init__(self, config: DeliveryConfig) -> None:
        self.config = config
        self.buffers: dict[BufferKey, Buffer] = {}
        #: Flushed buffers whose object could not be written: tried again on the next tick.
        self.retries: list[tuple[BufferKey, Buffer]] = []
        self.lock = threading.Lock()

    def add(self, records: list[tuple[bytes, datetime]]) -> list[tuple[BufferKey, Buffer]]:
        """Route records into their buffers; returns the buffers that reached the size hint."""
        ready = []
        with self.lock:
            for data, arrival in records:
                key, line = self._route(data, arrival)
                buffer = self.buffers.setdefault(key, Buffer(arrival))
                buffer.add(line)
                if buffer.size >= self.config.size_bytes:
                    ready.append((key, self.buffers.pop(key)))
        return ready

    def due(self, everything: bool = False) -> list[tuple[BufferKey, Buffer]]:
        """Failed writes, then buffers whose interval has passed (all with ``everything``), removed."""
        now = time.monotonic()
        with self.lock:
            keys = [k for k, b in self.buffers.items() if everything or now - b.opened >= self.config.interval_seconds]
            ready, self.retries = self.retries, []
            return ready + [(k, self.buffers.pop(k)) for k in keys]

    def _route(self, data: bytes, arrival: datetime) -> tuple[BufferKey, bytes]:
        line = data + b"\n" if self.config.delimiter else data
        if not self.config.query:
            return ("", ()), line
        try:
            keys = extract_keys(self.config.query, data)
        except ExtractionError as exc:
            return (PROCESSING_FAILED, ()), error_envelope(data, arrival, str(exc))
        return ("", tuple(sorted(keys.items()))), line

    def object_of(self, key: BufferKey, buffer: Buffer) -> tuple[str, bytes]:
        """The key and body of the object a flushed buffer becomes."""
        error_type, keys = key
        template = self.config.error_prefix if error_type else self.config.prefix
        prefix = evaluate_prefix(template, dict(keys), buffer.arrival, error_type)
        if not template:  # no prefix: Firehose's default YYYY/MM/DD/HH/
            prefix = buffer.arrival.strftime("%Y/%m/%d/%H/")
        name = f"{self.config.name}-{self.config.version}-{buffer.arrival:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"
        body = b"".join(buffer.records)
        return f"{prefix}{name}{self.config.extension}", gzip.compress(body, mtime=0) if self.config.gzip else body


class KinesisSource:
    """Reads a Kinesis stream's new records from every shard, through the emulator's backend."""

    def __init__(self, arn: str, region: str) -> None:
        self.arn, self.region = arn, region
        self.positions: dict[str, int] = {}  # shard id → last sequence number read

    def read(self) -> list[tuple[bytes, datetime]]:
        from moto.kinesis.models import kinesis_backends

        stream = kinesis_backends[ACCOUNT_ID][self.region].describe_stream(stream_arn=self.arn, stream_name=None)
        records = []
        for shard in list(stream.shards.values()):
            records += self._read_shard(shard)
        return records

    def _read_shard(self, shard: Any) -> list[tuple[bytes, datetime]]:
        """The shard's records after the last one read. moto numbers a shard's records 1, 2, 3, …
        in a dict; looking them up one by one (instead of moto's get_records, which iterates the
        dict) is safe while PutRecords adds to it and reads only what is new."""
        last = self.positions.get(shard.shard_id, 0)
        found: list[tuple[bytes, datetime]] = []
        while len(found) < MAX_RECORDS_PER_READ and (record := shard.records.get(last + 1)) is not None:
            found.append((base64.b64decode(record.data), record.created_at_datetime.replace(tzinfo=UTC)))
            last += 1
        self.positions[shard.shard_id] = last
        return found


class FirehoseRunner:
    """Every delivery stream with an S3 destination of the emulator, buffered and delivered."""

    def __init__(self, settings: LocalCloudSettings) -> None:
        self.settings = settings
        self.deliveries: dict[str, Delivery] = {}
        self.sources: dict[str, KinesisSource] = {}
        self.stopping = threading.Event()
        self._lock = threading.Lock()  # request threads (DirectPut) and the runner's thread
        self._thread: threading.Thread | None = None

    @staticmethod
    def put(bucket: str, key: str, body: bytes) -> None:
        """Write through the emulator's S3 backend, as moto's own Firehose does: its PutObject sends
        the bucket's notifications (asynchronous, by the S3 extension) as for any upload, and
        needs no HTTP request, so the last flush works while the server is stopping."""
        from moto.s3.models import s3_backends

        s3_backends[ACCOUNT_ID]["aws"].put_object(bucket, key, body)

    def delivery(self, stream: Any) -> Delivery | None:
        """The buffers of a moto DeliveryStream (created on first use; None without S3 destination)."""
        with self._lock:
            current = self.deliveries.get(stream.delivery_stream_arn)
            if current is not None and current.config.version == str(stream.version_id):
                return current
            config = DeliveryConfig.of(stream)
            if config is None:
                return None
            self.deliveries[stream.delivery_stream_arn] = Delivery(config)
        if current is not None:  # updated destination: what the old one buffered is written by it
            self._write(current, current.due(everything=True))
        return self.deliveries[stream.delivery_stream_arn]

    def put_records(self, stream: Any, records: list[bytes]) -> bool:
        """DirectPut: buffer ``records`` of a delivery stream; False when it has no S3 destination."""
        delivery = self.delivery(stream)
        if delivery is None:
            return False
        now = datetime.now(UTC)
        self._write(delivery, delivery.add([(data, now) for data in records]))
        return True

    def tick(self) -> None:
        """Read Kinesis sources, then flush every buffer whose interval has passed."""
        from moto.firehose.models import firehose_backends

        streams = list(firehose_backends[ACCOUNT_ID][self.settings.region].delivery_streams.values())
        live = {s.delivery_stream_arn for s in streams}
        for arn in [a for a in self.deliveries if a not in live]:  # deleted: what was buffered is lost
            del self.deliveries[arn]
            self.sources.pop(arn, None)
        for stream in streams:
            delivery = self.delivery(stream)
            if delivery is None:
                continue
            if delivery.config.kinesis_arn:
                self._read_source(stream.delivery_stream_arn, delivery)
            self._write(delivery, delivery.due())

    def _read_source(self, arn: str, delivery: Delivery) -> None:
        source = self.sources.get(arn)
        if source is None or source.arn != delivery.config.kinesis_arn:
            source = self.sources[arn] = KinesisSource(str(delivery.config.kinesis_arn), self.settings.region)
        try:
            records = source.read()
        except Exception as exc:  # e.g. the stream was deleted: Firehose keeps trying
            log.warning("delivery stream %s cannot read %s: %s", delivery.config.name, source.arn, exc)
            return
        self._write(delivery, delivery.add(records))

    def _write(self, delivery: Delivery, ready: list[tuple[BufferKey, Buffer]]) -> None:
        for key, buffer in ready:
            object_key, body = delivery.object_of(key, buffer)
            try:
                self.put(delivery.config.bucket, object_key, body)
            except Exception:
                log.exception("delivery stream %s: %d records not delivered yet", delivery.config.name, len(buffer))
                with delivery.lock:
                    delivery.retries.append((key, buffer))
                continue
            log.info(
                "delivery stream %s: %d records to s3://%s/%s",
                delivery.config.name,
                len(buffer.records),
                delivery.config.bucket,
                object_key,
            )

    def _run(self) -> None:
        while not self.stopping.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:
                log.exception("firehose runner error")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="firehose-runner")
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and flush what is buffered (bounded by ``timeout``)."""
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for delivery in list(self.deliveries.values()):
            self._write(delivery, delivery.due(everything=True))
