"""The Glue jobs on a real local Spark: GX quality gate and partition compaction, on file paths.

One Spark session serves the whole module (start-up is the expensive part). Partitions are
written with pyarrow and ``arrow_schema(model)``, exactly as the transform writes silver.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from elt.contracts import CONTRACTS
from elt.jobs import compaction
from elt.jobs.compaction import CompactionError, VerificationError, compact_partition
from elt.jobs.locations import SilverPartition
from elt.jobs.quality import RESULT_FILE, QualityGateFailed, run_quality_gate, validate_partition
from elt.jobs.storage import HadoopStorage
from elt.records import arrow_schema

REPO = Path(__file__).resolve().parents[2]
DAY = "2024-05-01"
DAY_START = datetime(2024, 5, 1, tzinfo=UTC)
REPORT_KEYS = {
    "format_version",
    "record_type",
    "dt",
    "partition_uri",
    "success",
    "run_time",
    "statistics",
    "failed_expectations",
    "expectations",
    "gx_version",
}


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    if shutil.which("java") is None:
        pytest.skip("java is not on PATH: the Glue job tests run local Spark, which needs a JVM (Java 17)")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("glue-job-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def load_job(name: str) -> ModuleType:
    """A Glue entry script as a module, so its ``main(argv)`` can run in-process."""
    spec = importlib.util.spec_from_file_location(f"glue_job_{name}", REPO / "glue" / "jobs" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def partition_at(tmp_path: Path, record_type: str) -> SilverPartition:
    return SilverPartition(root=str(tmp_path / "lake"), prefix="silver", record_type=record_type, dt=DAY)


def rows_for(record_type: str, count: int, offset: int = 0) -> list[dict[str, Any]]:
    """Valid rows of a dataset inside ``DAY``, with distinct keys and lineage."""
    rows = []
    for i in range(offset, offset + count):
        row: dict[str, Any] = {
            "record_type": record_type,
            "event_time": DAY_START + timedelta(seconds=7 * i, microseconds=i),
            "_source_uri": f"s3://bronze/bronze/{record_type}/part-{i // 50}.jsonl",
            "_source_version": "0123abcd",
            "_source_line": i % 50 + 1,
            "_ingested_at": DAY_START + timedelta(days=1),
        }
        if record_type == "shipments":
            row.update(shipment_id=f"SHP-{i:08d}", origin="Lyon", destination=None, carrier="DHL", weight_kg=i / 3)
        elif record_type == "tracking_events":
            row.update(shipment_id=f"SHP-{i // 4:08d}", status="IN_TRANSIT" if i % 2 else None, city="Oslo")
        else:
            row.update(invoice_id=f"INV-{i // 3:07d}", sku="SKU-1", quantity=i % 9 + 1, unit_price=2.5, line_total=None)
        rows.append(row)
    return rows


def write_partition(
    partition: SilverPartition, rows: list[dict[str, Any]], files: int = 1, schema: pa.Schema | None = None
) -> Path:
    """Spread ``rows`` over ``files`` snappy Parquet files in the partition directory."""
    directory = Path(partition.uri)
    directory.mkdir(parents=True, exist_ok=True)
    schema = schema or arrow_schema(CONTRACTS[partition.record_type])
    per_file = -(-len(rows) // files)
    for n in range(files):
        table = pa.Table.from_pylist(rows[n * per_file : (n + 1) * per_file], schema=schema)
        pq.write_table(table, directory / f"unit-{n:04d}.parquet", compression="snappy")
    return directory


def read_rows(files: list[Path]) -> pa.Table:
    """All rows of the files as one table in a canonical order (a multiset comparison)."""
    table = pa.concat_tables(pq.read_table(f) for f in files)
    return table.sort_by([("_source_uri", "ascending"), ("_source_line", "ascending")])


def parquet_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix == ".parquet" and not p.name.startswith(("_", ".")))


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


# ---- quality gate ------------------------------------------------------------------------------


def test_good_partition_passes_and_writes_the_documented_result(spark: SparkSession, tmp_path: Path) -> None:
    partition = partition_at(tmp_path, "shipments")
    write_partition(partition, rows_for("shipments", 30), files=3)

    report, result_uri = run_quality_gate(spark, partition, "ge-results")

    result_file = tmp_path / "lake" / "ge-results" / "shipments" / f"dt={DAY}" / RESULT_FILE
    assert Path(result_uri.removeprefix("file:")) == result_file
    written = json.loads(result_file.read_text())
    assert written == report
    assert set(written) == REPORT_KEYS
    assert written["success"] is True and written["failed_expectations"] == []
    stats = written["statistics"]
    assert (stats["files"], stats["row_count"], stats["unsuccessful_expectations"]) == (3, 30, 0)
    assert stats["evaluated_expectations"] == len(written["expectations"]) > 20
    assert written["run_time"]["duration_seconds"] > 0
    assert written["run_time"]["started_at"].endswith("Z")
    names = {e["name"] for e in written["expectations"]}
    assert {"expect_column_values_to_be_unique(shipment_id)", "expect_table_row_count_to_be_between"} <= names
    assert all(e["success"] and e["exception"] is None for e in written["expectations"])


def test_bad_partition_fails_the_job_and_names_the_failed_expectations(spark: SparkSession, tmp_path: Path) -> None:
    partition = partition_at(tmp_path, "shipments")
    rows = rows_for("shipments", 10)
    rows[1]["shipment_id"] = None  # null key
    rows[2]["weight_kg"] = -5.0  # below the contract's ge=0
    rows[3]["shipment_id"] = rows[4]["shipment_id"]  # the same shipment twice
    rows[5]["event_time"] = DAY_START + timedelta(days=1)  # belongs to the next dt partition
    loose_schema = arrow_schema(CONTRACTS["shipments"])  # a rogue writer that lets nulls through
    loose_schema = loose_schema.set(2, loose_schema.field("shipment_id").with_nullable(True))
    write_partition(partition, rows, files=2, schema=loose_schema)
    argv = ["ge_validate_silver.py", "--JOB_ID", "j_1", "--STORAGE_ROOT", str(tmp_path), "--SILVER_BUCKET", "lake"]
    argv += ["--SILVER_PREFIX", "silver", "--RECORD_TYPE", "shipments", "--DT", DAY, "--RESULT_PREFIX", "ge-results"]

    with pytest.raises(QualityGateFailed, match="failed 4 expectation"):
        load_job("ge_validate_silver").main(argv)

    result = json.loads((tmp_path / "lake" / "ge-results" / "shipments" / f"dt={DAY}" / RESULT_FILE).read_text())
    assert result["success"] is False
    assert set(result["failed_expectations"]) == {
        "expect_column_values_to_not_be_null(shipment_id)",
        "expect_column_values_to_be_between(weight_kg)",
        "expect_column_values_to_be_unique(shipment_id)",
        "expect_column_values_to_be_between(event_time)",
    }
    by_name = {e["name"]: e for e in result["expectations"]}
    assert by_name["expect_column_values_to_be_between(weight_kg)"]["observed"]["partial_unexpected_list"] == [-5.0]
    assert by_name["expect_column_values_to_not_be_null(shipment_id)"]["observed"]["unexpected_count"] == 1
    assert result["statistics"]["unsuccessful_expectations"] == 4


def test_disallowed_status_and_a_doubled_scan_fail_tracking_events(spark: SparkSession, tmp_path: Path) -> None:
    partition = partition_at(tmp_path, "tracking_events")
    rows = rows_for("tracking_events", 12)
    rows[0]["status"] = "LOST"
    rows[7] = {**rows[6], "_source_line": 99}  # one scan delivered twice, from two source lines
    write_partition(partition, rows)

    report = validate_partition(spark, partition)

    assert report["success"] is False
    assert set(report["failed_expectations"]) == {
        "expect_column_values_to_be_in_set(status)",
        "expect_compound_columns_to_be_unique(shipment_id, event_time, status)",
    }


def test_schema_drift_and_an_empty_partition_fail(spark: SparkSession, tmp_path: Path) -> None:
    drifted = partition_at(tmp_path, "invoice_lines")
    schema = arrow_schema(CONTRACTS["invoice_lines"])
    schema = schema.set(schema.get_field_index("quantity"), pa.field("quantity", pa.float64())).append(
        pa.field("note", pa.string())
    )
    rows = [{**row, "quantity": 2.0, "note": "x"} for row in rows_for("invoice_lines", 6)]
    write_partition(drifted, rows, schema=schema)
    empty = partition_at(tmp_path, "shipments")

    drift_report = validate_partition(spark, drifted)
    with pytest.raises(QualityGateFailed):
        run_quality_gate(spark, empty, "ge-results")

    assert set(drift_report["failed_expectations"]) == {
        "expect_table_columns_to_match_ordered_list",
        "expect_column_values_to_be_of_type(quantity)",
    }
    empty_report = json.loads((tmp_path / "lake" / "ge-results" / "shipments" / f"dt={DAY}" / RESULT_FILE).read_text())
    assert empty_report["failed_expectations"] == ["expect_table_row_count_to_be_between"]
    assert empty_report["statistics"]["files"] == empty_report["statistics"]["row_count"] == 0


# ---- compaction --------------------------------------------------------------------------------


def test_copy_mode_compacts_many_small_files_without_changing_rows_or_schema(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    partition = partition_at(tmp_path, "shipments")
    source = write_partition(partition, rows_for("shipments", 2400), files=120)
    before = digest(source)
    input_bytes = sum(p.stat().st_size for p in parquet_files(source))
    target_mb = input_bytes / 2.5 / 2**20  # plans ceil(2.5) = 3 files
    argv = ["compact_silver.py", "--STORAGE_ROOT", str(tmp_path), "--SILVER_BUCKET", "lake", "--SILVER_PREFIX"]
    argv += ["silver", "--RECORD_TYPE", "shipments", "--DT", DAY, "--TARGET_FILE_MB", str(target_mb)]

    load_job("compact_silver").main(argv)

    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    output = tmp_path / "lake" / "compacted" / "shipments" / f"dt={DAY}"
    compacted = parquet_files(output)
    assert (printed["input_files"], printed["input_bytes"], printed["target_files"]) == (120, input_bytes, 3)
    assert printed["rows"] == 2400 and printed["replace"] is False
    assert 1 <= len(compacted) <= 3 and len(printed["output_files"]) == len(compacted)
    assert read_rows(compacted).equals(read_rows(parquet_files(source)))
    for path in compacted:
        assert pq.read_schema(path).remove_metadata().equals(arrow_schema(CONTRACTS["shipments"]))
        assert pq.read_metadata(path).row_group(0).column(0).compression == "SNAPPY"
    assert digest(source) == before  # copy mode never touches silver


def test_replace_mode_leaves_only_the_new_files_with_the_same_rows(spark: SparkSession, tmp_path: Path) -> None:
    partition = partition_at(tmp_path, "tracking_events")
    source = write_partition(partition, rows_for("tracking_events", 1000), files=100)
    expected = read_rows(parquet_files(source))
    staging = f"{partition.under('compacted/_staging')}/run-1"

    result = compact_partition(spark, partition.uri, staging, replace_partition=True, run_id="run-1")

    remaining = sorted(p.name for p in source.iterdir() if not p.name.startswith("."))
    assert remaining == ["compacted-run-1-00000.snappy.parquet"]
    assert read_rows(parquet_files(source)).equals(expected)
    assert pq.read_schema(source / remaining[0]).remove_metadata().equals(arrow_schema(CONTRACTS["tracking_events"]))
    assert (result.input_files, result.target_files, result.rows) == (100, 1, 1000)
    assert not Path(staging).exists()
    compacted_digest = digest(source)
    again = compact_partition(spark, partition.uri, staging, replace_partition=True, run_id="run-2")
    assert again.skipped == "the partition already has no more files than planned"
    assert digest(source) == compacted_digest


def test_failed_verification_leaves_the_partition_untouched(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partition = partition_at(tmp_path, "invoice_lines")
    source = write_partition(partition, rows_for("invoice_lines", 300), files=30)
    before = digest(source)
    real_fingerprint = compaction.fingerprint
    calls: list[compaction.Fingerprint] = []

    def lose_a_row_on_output(frame: Any) -> compaction.Fingerprint:
        calls.append(real_fingerprint(frame))
        found = calls[-1]
        return found if len(calls) == 1 else compaction.Fingerprint(found.rows - 1, found.checksum)

    monkeypatch.setattr(compaction, "fingerprint", lose_a_row_on_output)
    staging = f"{partition.under('compacted/_staging')}/run-1"

    with pytest.raises(VerificationError, match="differ from input rows"):
        compact_partition(spark, partition.uri, staging, replace_partition=True, run_id="run-1")

    assert len(calls) == 2
    assert digest(source) == before


def test_an_interrupted_swap_is_rolled_forward_by_the_next_replace_run(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partition = partition_at(tmp_path, "shipments")
    source = write_partition(partition, rows_for("shipments", 200), files=20)
    expected = read_rows(parquet_files(source))
    real_delete = HadoopStorage.delete

    def crash_on_first_original(self: HadoopStorage, uri: str, recursive: bool = False) -> None:
        if uri.endswith("unit-0000.parquet"):
            raise OSError("simulated crash inside the swap window")
        real_delete(self, uri, recursive)

    monkeypatch.setattr(HadoopStorage, "delete", crash_on_first_original)
    staging = f"{partition.under('compacted/_staging')}/run-1"
    with pytest.raises(OSError, match="simulated crash"):
        compact_partition(spark, partition.uri, staging, replace_partition=True, run_id="run-1")
    monkeypatch.setattr(HadoopStorage, "delete", real_delete)
    assert (source / compaction.JOURNAL_FILE).exists()
    assert len(parquet_files(source)) == 21  # originals and the new file: the window a crash can leave open
    with pytest.raises(CompactionError, match="interrupted swap is pending"):
        compact_partition(spark, partition.uri, str(tmp_path / "copy"))

    compact_partition(spark, partition.uri, f"{staging}-retry", replace_partition=True, run_id="run-2")

    assert [p.name for p in parquet_files(source)] == ["compacted-run-1-00000.snappy.parquet"]
    assert not (source / compaction.JOURNAL_FILE).exists()
    assert read_rows(parquet_files(source)).equals(expected)
