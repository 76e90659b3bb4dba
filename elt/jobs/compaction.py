"""Compaction of one silver partition into few files near a target size, with verified content.

Plan. The input is the set of visible ``*.parquet`` files listed once at the start; files a writer
adds meanwhile are neither read nor deleted. The output has
``max(1, ceil(input bytes / target bytes))`` files: input Parquet bytes stand in for the output
size because the rewrite keeps the columns, the encodings and the snappy codec (the output is
usually a little smaller: fewer footers, larger dictionaries). Rows are spread with ``coalesce``
when that reduces the number of Spark partitions (no shuffle) and ``repartition`` otherwise, then
sorted within each file by ``event_time`` and the lineage columns: deterministic output with
tight per-row-group ``event_time`` statistics for predicate pushdown.

Verification, before anything is committed: every output file's Parquet footer declares exactly
the input's columns (names, order, physical and logical types — ``event_time`` stays
``TIMESTAMP(MICROS, isAdjustedToUTC=true)`` — and required/optional), there are at most the planned
number of files, and the output has the same row count and the same order-independent checksum
(sum of a 64-bit hash of every row, null markers included) as the input: the same multiset of rows
up to a hash collision. Otherwise ``VerificationError`` is raised and nothing is committed.

Modes.

* Copy (``REPLACE=false``, the default): the output goes to ``<OUTPUT_PREFIX>/<record_type>/dt=<dt>/``
  (default prefix ``compacted``), rewritten on each run; silver is never touched.
* Replace (``REPLACE=true``): the output is staged outside the partition, under
  ``<OUTPUT_PREFIX>/_staging/<record_type>/dt=<dt>/<run id>/``, verified, then swapped in:

  1. the journal ``_compaction.json`` (hidden from readers by its leading underscore) is written
     in the partition, naming the originals and the staged → final moves;
  2. each staged file moves into the partition as ``compacted-<run id>-NNNNN.snappy.parquet``;
  3. the originals are deleted, then the journal, then the staging directory.

  Guarantee, for a reader that lists the partition (Athena, Spark, the crawler):

  * never missing rows — no original is deleted before every verified new file is in place;
  * the partition is untouched if anything fails before step 1, failed verification included;
  * rows seen twice only by a listing taken inside the swap window, from the first move of
    step 2 to the last delete of step 3 (a few object copies and deletes). S3 has no atomic
    multi-object swap and silver is read by listing, so only a manifest-aware reader could close
    this window; a listing before or after it sees every row exactly once;
  * a run that dies inside the window leaves the journal; the next replace run of the partition
    first rolls the swap forward (finishes the moves, deletes the listed originals), so doubled
    rows never outlive that run. A copy run refuses to read a partition with a pending journal.

  A partition that already has no more files than planned is left alone (nothing to gain).

Preconditions: compact settled partitions only — every batch that wrote into them committed or
aborted (older than the ledger's batch lease), since a dead batch's files are deleted by name at
its takeover and a copy of them in a compacted file would outlive it; never while a replay of the
same partition runs (a replay's retraction rewrites files, including ``compacted-*`` ones, under
the partition's ledger lease, which this job does not take); and never run two compactions of one
partition at the same time.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructField, StructType

from elt.jobs.session import configure
from elt.jobs.storage import HadoopStorage, ParquetField, StoredFile

log = logging.getLogger(__name__)

MIB = 1024 * 1024
DEFAULT_TARGET_FILE_MB = 128
JOURNAL_FILE = "_compaction.json"
#: Sort key within each output file: time first (row-group statistics), lineage to make it total.
SORT_COLUMNS = ("event_time", "_source_uri", "_source_line")


class CompactionError(RuntimeError):
    """The partition cannot be compacted safely as it is; nothing was changed by this run."""


class VerificationError(CompactionError):
    """The rewritten files differ from the originals; they were not committed."""


@dataclass(frozen=True)
class Fingerprint:
    """Row count and order-independent checksum of a frame's rows."""

    rows: int
    checksum: Decimal


@dataclass(frozen=True)
class CompactionResult:
    partition_uri: str
    output_uri: str
    replace: bool
    input_files: int
    input_bytes: int
    target_files: int
    rows: int = 0
    output_files: list[str] = field(default_factory=list)
    skipped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_run_id() -> str:
    """Sortable and unique: names the staged directory and the files a replace run adds."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def target_file_count(total_bytes: int, target_file_bytes: int) -> int:
    """Number of output files: ``max(1, ceil(total / target))``."""
    if target_file_bytes <= 0:
        raise ValueError(f"target file size must be positive, got {target_file_bytes}")
    return max(1, math.ceil(total_bytes / target_file_bytes))


def fingerprint(frame: DataFrame) -> Fingerprint:
    """One pass: row count and the sum of each row's xxhash64 (exact, as a 38-digit decimal).

    The hash also covers an is-null flag per column, because xxhash64 skips nulls: without the
    flags ``(null, "a")`` and ``("a", null)`` would hash alike.
    """
    columns = [F.col(name) for name in frame.columns]
    row_hash = F.xxhash64(*columns, *(column.isNull() for column in columns))
    aggregates = [F.count(F.lit(1)).alias("rows"), F.sum(row_hash.cast("decimal(38,0)")).alias("checksum")]
    row = frame.agg(*aggregates).collect()[0]  # an aggregate without grouping yields exactly one row
    return Fingerprint(rows=int(row["rows"]), checksum=row["checksum"] or Decimal(0))


def common_fields(storage: HadoopStorage, files: Sequence[StoredFile]) -> tuple[ParquetField, ...]:
    """The footer schema all input files share; differing files cannot be merged without a change."""
    first = storage.parquet_fields(files[0].uri)
    for stored in files[1:]:
        if storage.parquet_fields(stored.uri) != first:
            raise CompactionError(f"{stored.uri} has a different Parquet schema than {files[0].uri}")
    return first


def read_files(spark: SparkSession, files: Sequence[StoredFile]) -> DataFrame:
    return spark.read.parquet(*(f.uri for f in files))


def with_declared_nullability(frame: DataFrame, fields: Sequence[ParquetField]) -> DataFrame:
    """Mark the footer's ``required`` columns non-nullable again before writing.

    Spark's file reader declares every column nullable, and a nullable column is written as
    ``optional``: the rewrite would silently drop ``required`` from the schema. Re-applying the
    schema on the JVM side (``createDataFrame(RDD[Row], StructType)``) avoids moving the rows
    through Python, which the public ``spark.createDataFrame(df.rdd, schema)`` would do.
    """
    required = {f.name for f in fields if f.required}
    schema = StructType(
        [StructField(f.name, f.dataType, f.name not in required, f.metadata) for f in frame.schema.fields]
    )
    spark = frame.sparkSession
    jvm: Any = spark._jvm
    java_schema = jvm.org.apache.spark.sql.types.DataType.fromJson(schema.json())
    return DataFrame(spark._jsparkSession.createDataFrame(frame._jdf.rdd(), java_schema), spark)


def write_compacted(frame: DataFrame, output_uri: str, file_count: int) -> None:
    """Write ``file_count`` files (fewer if some would be empty), sorted for determinism."""
    shaped = frame.coalesce(file_count) if file_count < frame.rdd.getNumPartitions() else frame.repartition(file_count)
    ordered = shaped.sortWithinPartitions(*(c for c in SORT_COLUMNS if c in frame.columns))
    ordered.write.mode("overwrite").option("compression", "snappy").parquet(output_uri)


def verify_output(
    spark: SparkSession,
    storage: HadoopStorage,
    output_uri: str,
    fields: tuple[ParquetField, ...],
    expected: Fingerprint,
    max_files: int,
) -> list[StoredFile]:
    """Check the written files against the input (see the module docstring); return them."""
    outputs = storage.list_parquet(output_uri)
    if not 1 <= len(outputs) <= max_files:
        raise VerificationError(f"{len(outputs)} files written under {output_uri}, expected 1 to {max_files}")
    for stored in outputs:
        if storage.parquet_fields(stored.uri) != fields:
            raise VerificationError(f"{stored.uri}: Parquet schema differs from the input's")
    actual = fingerprint(read_files(spark, outputs))
    if actual != expected:
        raise VerificationError(f"output rows {actual} differ from input rows {expected}")
    return outputs


def _check_separate(storage: HadoopStorage, partition_uri: str, output_uri: str) -> None:
    partition, output = storage.qualify(partition_uri), storage.qualify(output_uri)
    if partition == output or output.startswith(f"{partition}/") or partition.startswith(f"{output}/"):
        raise ValueError(f"output {output_uri} must lie outside the partition {partition_uri}")


def apply_journal(storage: HadoopStorage, journal_uri: str) -> list[str]:
    """Steps 2–3 of the swap, idempotently: safe to run again after a crash at any point."""
    journal = json.loads(storage.read_text(journal_uri))
    for move in journal["moves"]:
        if not storage.exists(move["to"]):
            if not storage.exists(move["from"]):
                raise CompactionError(f"cannot finish the swap in {journal_uri}: {move['from']} is gone")
            storage.rename(move["from"], move["to"])
        if storage.size(move["to"]) != move["size"]:
            raise CompactionError(f"{move['to']} is not the verified file of {journal_uri} (size differs)")
    for original in journal["originals"]:
        storage.delete(original)
    storage.delete(journal_uri)
    storage.delete(journal["staging_uri"], recursive=True)
    return [move["to"] for move in journal["moves"]]


def swap_into_partition(
    storage: HadoopStorage,
    partition_uri: str,
    originals: Sequence[StoredFile],
    staged: Sequence[StoredFile],
    staging_uri: str,
    run_id: str,
) -> list[str]:
    """Journal, move the verified files in, delete the originals (module docstring, steps 1–3)."""
    journal_uri = f"{partition_uri}/{JOURNAL_FILE}"
    journal = {
        "run_id": run_id,
        "staging_uri": staging_uri,
        "originals": [f.uri for f in originals],
        "moves": [
            {"from": f.uri, "to": f"{partition_uri}/compacted-{run_id}-{i:05d}.snappy.parquet", "size": f.size}
            for i, f in enumerate(staged)
        ],
    }
    storage.write_text(journal_uri, json.dumps(journal, indent=2))
    return apply_journal(storage, journal_uri)


def compact_partition(
    spark: SparkSession,
    partition_uri: str,
    output_uri: str,
    *,
    target_file_bytes: int = DEFAULT_TARGET_FILE_MB * MIB,
    replace_partition: bool = False,
    run_id: str | None = None,
) -> CompactionResult:
    """Compact ``partition_uri`` into ``output_uri`` (copy) or, staged there, back into itself (replace)."""
    configure(spark)
    storage = HadoopStorage(spark)
    _check_separate(storage, partition_uri, output_uri)
    journal_uri = f"{partition_uri}/{JOURNAL_FILE}"
    if storage.exists(journal_uri):
        if not replace_partition:
            raise CompactionError(f"{journal_uri}: an interrupted swap is pending; run with REPLACE=true to finish it")
        log.warning("finishing the interrupted swap of %s", journal_uri)
        apply_journal(storage, journal_uri)
    inputs = storage.list_parquet(partition_uri)
    input_bytes = sum(f.size for f in inputs)
    result = CompactionResult(
        partition_uri=partition_uri,
        output_uri=output_uri,
        replace=replace_partition,
        input_files=len(inputs),
        input_bytes=input_bytes,
        target_files=target_file_count(input_bytes, target_file_bytes),
    )
    if not inputs:
        return replace(result, skipped="no parquet files in the partition")
    if replace_partition and len(inputs) <= result.target_files:
        return replace(result, skipped="the partition already has no more files than planned")
    fields = common_fields(storage, inputs)
    expected = fingerprint(read_files(spark, inputs))
    write_compacted(with_declared_nullability(read_files(spark, inputs), fields), output_uri, result.target_files)
    outputs = verify_output(spark, storage, output_uri, fields, expected, result.target_files)
    if replace_partition:
        final = swap_into_partition(storage, partition_uri, inputs, outputs, output_uri, run_id or new_run_id())
    else:
        final = [f.uri for f in outputs]
    return replace(result, rows=expected.rows, output_files=final)
