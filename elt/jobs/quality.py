"""The quality gate of one silver partition: a GX Core 1.x suite derived from the dataset contract.

``expectations_for`` builds every check from the contract model (``elt.contracts``), so a new
dataset gets its suite without code here:

* schema — the exact, ordered column list of ``arrow_schema(model)`` and each column's Spark type
  (``event_time`` must be ``TimestampType``: a zone-less timestamp would read as ``TimestampNTZType``);
* at least one row;
* not null — every column the Arrow schema declares non-nullable (record_type, event_time, the
  key field, required contract fields, ``_source_uri``, ``_ingested_at``);
* value rules of each ``FieldSpec`` — ranges from ge/gt/le/lt, ``min_length`` and ``allowed`` values
  (``record_type`` only admits the partition's own dataset);
* ``event_time`` inside the partition's UTC day (``dt`` is the UTC date of ``event_time``);
* uniqueness — the lineage key everywhere, plus per-dataset keys (``UNIQUE_COLUMNS``).

Result JSON, written to ``<bucket>/<RESULT_PREFIX>/<record_type>/dt=<dt>/result.json`` on every
run (pass or fail; the latest run wins, bucket versioning keeps history)::

    {
      "format_version": 1,
      "record_type": "shipments", "dt": "2024-05-01",
      "partition_uri": "s3://bucket/silver/shipments/dt=2024-05-01",
      "success": false,
      "run_time": {"started_at": "…Z", "finished_at": "…Z", "duration_seconds": 12.3},
      "statistics": {"files": 3, "row_count": 1200, "evaluated_expectations": 24,
                     "successful_expectations": 23, "unsuccessful_expectations": 1,
                     "success_percent": 95.8},
      "failed_expectations": ["expect_column_values_to_be_unique(shipment_id)"],
      "expectations": [
        {"name": "expect_column_values_to_be_unique(shipment_id)",
         "type": "expect_column_values_to_be_unique", "kwargs": {"column": "shipment_id"},
         "success": false,
         "observed": {"element_count": 1200, "unexpected_count": 2, "unexpected_percent": 0.17,
                      "partial_unexpected_list": ["SHP-1", "SHP-1"]},
         "exception": null}
      ],
      "gx_version": "1.24.1"
    }

``name`` is stable across runs: the expectation type with its column(s) in parentheses, or the
bare type for table-level expectations. ``observed`` holds whichever of ``observed_value``,
``element_count``, ``unexpected_count``, ``unexpected_percent`` and ``partial_unexpected_list``
(at most 20 values) the expectation reports. ``exception`` is the error text when GX could not
evaluate it (e.g. a missing column), which counts as a failure.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import from_arrow_schema

from elt.contracts import CONTRACTS, RecordContract
from elt.contracts.spec import FieldSpec, field_specs
from elt.jobs.locations import SilverPartition
from elt.jobs.session import configure
from elt.jobs.storage import HadoopStorage, StoredFile
from elt.records import arrow_schema

log = logging.getLogger(__name__)

REPORT_FORMAT_VERSION = 1
RESULT_FILE = "result.json"
_OBSERVED_KEYS = (
    "observed_value",
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "partial_unexpected_list",
)

#: The exactly-once effect (docs/architecture.md, "Exactly-once"): one source line yields at most one
#: silver row, in every dataset.
LINEAGE_KEY = ("_source_uri", "_source_line")

#: Business keys unique within one ``dt`` partition, per dataset (each entry: one key, as a tuple of columns).
#: A dataset missing here gets the lineage key only: decide its keys when adding it.
UNIQUE_COLUMNS: dict[str, tuple[tuple[str, ...], ...]] = {
    # A shipment is booked once, so a second row with the same shipment_id in a day is the same
    # booking ingested twice (a resent or replayed file).
    "shipments": (("shipment_id",),),
    # A shipment is scanned many times a day, so shipment_id repeats by design. One scan is
    # (shipment, instant, status); the same triple twice is one scan delivered twice.
    "tracking_events": (("shipment_id", "event_time", "status"),),
    # An invoice has several lines and the contract has no line number: the same SKU may appear on
    # two lines of one invoice (different prices, split deliveries) and sku may be null, so neither
    # invoice_id nor (invoice_id, sku) identifies a line. Doubled rows are still caught by the lineage key.
    "invoice_lines": (),
}


class QualityGateFailed(RuntimeError):
    """The suite failed; raised after the result JSON is written, so the Glue run ends FAILED.

    The message starts with ``QualityGateFailed: `` whatever the exception's rendering: the run's
    ErrorMessage carries it, and the gate's state machine tells a failed suite (quarantine the
    partition) from a run that never validated (no verdict, retry) by that token alone.
    """

    def __init__(self, report: Mapping[str, Any], result_uri: str) -> None:
        self.report = report
        self.result_uri = result_uri
        failed = ", ".join(report["failed_expectations"])
        super().__init__(
            f"QualityGateFailed: {report['record_type']} dt={report['dt']} failed "
            f"{len(report['failed_expectations'])} expectation(s): {failed}; details in {result_uri}"
        )


def _contract(record_type: str, contracts: Mapping[str, type[RecordContract]]) -> type[RecordContract]:
    try:
        return contracts[record_type]
    except KeyError:
        raise ValueError(f"unknown record type {record_type!r} (known: {', '.join(sorted(contracts))})") from None


def _range_rule(spec: FieldSpec) -> gxe.Expectation | None:
    """One between-expectation from the spec's bounds (ge/gt/le/lt); of two bounds on a side the tighter wins."""
    lows = [(value, strict) for value, strict in ((spec.ge, False), (spec.gt, True)) if value is not None]
    highs = [(value, strict) for value, strict in ((spec.le, False), (spec.lt, True)) if value is not None]
    lower = max(lows, default=None)  # larger value; on a tie the strict one
    upper = min(highs, key=lambda bound: (bound[0], not bound[1]), default=None)  # smaller; on a tie strict
    if lower is None and upper is None:
        return None
    return gxe.ExpectColumnValuesToBeBetween(
        column=spec.name,
        min_value=None if lower is None else lower[0],
        max_value=None if upper is None else upper[0],
        strict_min=lower is not None and lower[1],
        strict_max=upper is not None and upper[1],
    )


def _value_rules(spec: FieldSpec) -> list[gxe.Expectation]:
    rules: list[gxe.Expectation] = []
    between = _range_rule(spec)
    if between is not None:
        rules.append(between)
    if spec.min_length is not None:
        rules.append(gxe.ExpectColumnValueLengthsToBeBetween(column=spec.name, min_value=spec.min_length))
    if spec.allowed is not None:
        rules.append(gxe.ExpectColumnValuesToBeInSet(column=spec.name, value_set=list(spec.allowed)))
    return rules


def _uniqueness(columns: Sequence[str]) -> gxe.Expectation:
    if len(columns) == 1:
        return gxe.ExpectColumnValuesToBeUnique(column=columns[0])
    return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns))


def expectations_for(
    record_type: str, dt: str, contracts: Mapping[str, type[RecordContract]] = CONTRACTS
) -> list[gxe.Expectation]:
    """The suite of one partition of ``record_type``, derived from its contract (see module docstring)."""
    model = _contract(record_type, contracts)
    schema = arrow_schema(model)
    day = datetime.combine(date.fromisoformat(dt), datetime.min.time(), UTC)
    suite: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=schema.names),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
    ]
    suite += [
        gxe.ExpectColumnValuesToBeOfType(column=field.name, type_=type(field.dataType).__name__)
        for field in from_arrow_schema(schema).fields
    ]
    suite += [gxe.ExpectColumnValuesToNotBeNull(column=field.name) for field in schema if not field.nullable]
    for spec in field_specs(model):
        suite += _value_rules(spec)
    suite.append(
        gxe.ExpectColumnValuesToBeBetween(
            column="event_time", min_value=day, max_value=day + timedelta(days=1), strict_max=True
        )
    )
    suite += [_uniqueness(key) for key in (LINEAGE_KEY, *UNIQUE_COLUMNS.get(record_type, ()))]
    return suite


def expectation_name(expectation_type: str, kwargs: Mapping[str, Any]) -> str:
    """Stable name for reports: ``type(column)``, ``type(a, b)`` for column sets, bare for tables."""
    if "column" in kwargs:
        return f"{expectation_type}({kwargs['column']})"
    if expectation_type.startswith("expect_table_") or "column_list" not in kwargs:
        return expectation_type
    return f"{expectation_type}({', '.join(kwargs['column_list'])})"


def read_partition(spark: SparkSession, files: Sequence[StoredFile], model: type[RecordContract]) -> DataFrame:
    """The listed files (``mergeSchema``: a column any file adds shows up in the schema check).

    A partition without files becomes an empty frame with the contract's schema, so the suite
    still runs and reports the failed row-count expectation instead of a read error.
    """
    if not files:
        return spark.createDataFrame([], from_arrow_schema(arrow_schema(model)))
    return spark.read.option("mergeSchema", "true").parquet(*(f.uri for f in files))


def run_suite(
    frame: DataFrame, suite_name: str, expectations: list[gxe.Expectation]
) -> ExpectationSuiteValidationResult:
    """Validate ``frame`` in an in-memory GX context (no project files, no usage statistics)."""
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            store_backend_defaults=InMemoryStoreBackendDefaults(),
        ),
    )
    batch = (
        context.data_sources.add_spark(name="silver")
        .add_dataframe_asset(name=suite_name)
        .add_batch_definition_whole_dataframe("partition")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=suite_name, data=batch, suite=suite))
    return definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")


def _expectation_entry(result: Mapping[str, Any]) -> dict[str, Any]:
    config = result["expectation_config"]
    kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
    exception = result.get("exception_info") or {}
    return {
        "name": expectation_name(config["type"], kwargs),
        "type": config["type"],
        "kwargs": kwargs,
        "success": bool(result["success"]),
        "observed": {k: v for k, v in (result.get("result") or {}).items() if k in _OBSERVED_KEYS},
        "exception": exception.get("exception_message") if exception.get("raised_exception") else None,
    }


def build_report(
    partition: SilverPartition,
    files: int,
    row_count: int,
    validation: ExpectationSuiteValidationResult,
    started_at: datetime,
    duration_seconds: float,
) -> dict[str, Any]:
    """The documented result JSON (module docstring) from a GX validation result."""
    entries = [_expectation_entry(r.to_json_dict()) for r in validation.results]
    stats = validation.statistics
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "record_type": partition.record_type,
        "dt": partition.dt,
        "partition_uri": partition.uri,
        "success": bool(validation.success),
        "run_time": {
            "started_at": started_at.isoformat().replace("+00:00", "Z"),
            "finished_at": (started_at + timedelta(seconds=duration_seconds)).isoformat().replace("+00:00", "Z"),
            "duration_seconds": round(duration_seconds, 3),
        },
        "statistics": {
            "files": files,
            "row_count": row_count,
            "evaluated_expectations": stats["evaluated_expectations"],
            "successful_expectations": stats["successful_expectations"],
            "unsuccessful_expectations": stats["unsuccessful_expectations"],
            "success_percent": stats["success_percent"],
        },
        "failed_expectations": [e["name"] for e in entries if not e["success"]],
        "expectations": entries,
        "gx_version": gx.__version__,
    }


def validate_partition(
    spark: SparkSession, partition: SilverPartition, contracts: Mapping[str, type[RecordContract]] = CONTRACTS
) -> dict[str, Any]:
    """Run the contract's suite on one partition and return the result JSON (nothing is written)."""
    configure(spark)
    model = _contract(partition.record_type, contracts)
    started_at, clock = datetime.now(UTC), time.monotonic()
    files = HadoopStorage(spark).list_parquet(partition.uri)
    frame = read_partition(spark, files, model)
    suite_name = f"silver.{partition.record_type}"
    validation = run_suite(frame, suite_name, expectations_for(partition.record_type, partition.dt, contracts))
    row_count = frame.count()
    return build_report(partition, len(files), row_count, validation, started_at, time.monotonic() - clock)


def run_quality_gate(
    spark: SparkSession,
    partition: SilverPartition,
    result_prefix: str,
    contracts: Mapping[str, type[RecordContract]] = CONTRACTS,
) -> tuple[dict[str, Any], str]:
    """Validate, write the result JSON, and raise ``QualityGateFailed`` if the suite failed.

    Returns the report and the URI it was written to when the partition passes.
    """
    report = validate_partition(spark, partition, contracts)
    result_uri = f"{partition.under(result_prefix)}/{RESULT_FILE}"
    HadoopStorage(spark).write_text(result_uri, json.dumps(report, indent=2) + "\n")
    log.info("quality gate %s: %s", "passed" if report["success"] else "FAILED", result_uri)
    if not report["success"]:
        raise QualityGateFailed(report, result_uri)
    return report, result_uri
