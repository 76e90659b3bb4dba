"""Glue job plumbing without Spark: job arguments, partition locations, the contract-derived suite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import pytest
from pydantic import Field, StrictFloat

from elt.contracts import CONTRACTS
from elt.contracts.base import DatasetSpec, Key, RecordContract
from elt.contracts.tracking_events import TRACKING_STATUSES
from elt.jobs.arguments import parse_flag, resolve_options
from elt.jobs.compaction import target_file_count
from elt.jobs.locations import SilverPartition, bucket_root
from elt.jobs.quality import expectation_name, expectations_for
from elt.records import arrow_schema

DAY = "2024-05-01"


def suite_by_name(record_type: str, contracts: Any = CONTRACTS) -> dict[str, dict[str, Any]]:
    """Expectations of a dataset keyed by their report name, with their kwargs."""
    suite = expectations_for(record_type, DAY, contracts)
    named = {expectation_name(e.expectation_type, e.configuration.kwargs): e.configuration.kwargs for e in suite}
    assert len(named) == len(suite), "report names must identify expectations uniquely"
    return named


# ---- arguments ---------------------------------------------------------------------------------


def test_arguments_resolve_like_glue_without_awsglue() -> None:
    argv = ["job.py", "--JOB_ID", "j_1", "--DT", "2024-05-01", "--RECORD_TYPE=shipments", "--REPLACE", "true"]
    args = resolve_options(argv, ["DT", "RECORD_TYPE"], {"REPLACE": "false", "OUTPUT_PREFIX": "compacted"})
    assert args == {"DT": "2024-05-01", "RECORD_TYPE": "shipments", "REPLACE": "true", "OUTPUT_PREFIX": "compacted"}


def test_missing_required_argument_exits_non_zero() -> None:
    with pytest.raises(SystemExit) as exited:
        resolve_options(["job.py", "--DT", DAY], ["DT", "RECORD_TYPE"])
    assert exited.value.code == 2


def test_flags_accept_only_true_or_false() -> None:
    assert parse_flag("REPLACE", "TRUE") is True
    assert parse_flag("REPLACE", "false") is False
    with pytest.raises(ValueError, match="--REPLACE must be true or false"):
        parse_flag("REPLACE", "yes")


# ---- locations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("storage_root", "expected"),
    [("s3://", "s3://b"), ("s3a://", "s3a://b"), ("/srv/mirror/", "/srv/mirror/b"), ("file:///m", "file:///m/b")],
)
def test_bucket_root_keeps_the_scheme_a_parameter(storage_root: str, expected: str) -> None:
    assert bucket_root(storage_root, "b") == expected


def test_partition_uris_follow_the_silver_layout() -> None:
    args = {"STORAGE_ROOT": "s3a://", "SILVER_BUCKET": "lake", "SILVER_PREFIX": "/silver/", "RECORD_TYPE": "shipments"}
    partition = SilverPartition.from_args({**args, "DT": DAY})
    assert partition.uri == "s3a://lake/silver/shipments/dt=2024-05-01"
    assert partition.under("ge-results") == "s3a://lake/ge-results/shipments/dt=2024-05-01"


@pytest.mark.parametrize(
    ("record_type", "dt"), [("shipments", "2024-02-30"), ("shipments", "20240501"), ("../etc", DAY), ("_x", DAY)]
)
def test_partition_rejects_malformed_names(record_type: str, dt: str) -> None:
    with pytest.raises(ValueError):
        SilverPartition(root="s3://b", prefix="silver", record_type=record_type, dt=dt)


# ---- compaction plan ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "target", "files"), [(0, 100, 1), (1, 100, 1), (100, 100, 1), (101, 100, 2), (1000, 128, 8)]
)
def test_output_file_count_is_ceil_of_bytes_over_target(total: int, target: int, files: int) -> None:
    assert target_file_count(total, target) == files


# ---- the suite derived from the contracts --------------------------------------------------------


def test_every_dataset_checks_its_schema_nulls_rows_day_and_lineage() -> None:
    day_start, day_end = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)
    for record_type, model in CONTRACTS.items():
        suite = suite_by_name(record_type)
        schema = arrow_schema(model)
        assert suite["expect_table_columns_to_match_ordered_list"]["column_list"] == schema.names
        assert suite["expect_table_row_count_to_be_between"]["min_value"] == 1
        assert suite["expect_column_values_to_be_of_type(event_time)"]["type_"] == "TimestampType"
        not_null = {name for name in suite if name.startswith("expect_column_values_to_not_be_null(")}
        assert not_null == {f"expect_column_values_to_not_be_null({f.name})" for f in schema if not f.nullable}
        assert suite["expect_column_values_to_be_in_set(record_type)"]["value_set"] == [record_type]
        key = model.dataset.key_field
        assert suite[f"expect_column_value_lengths_to_be_between({key})"]["min_value"] == 1
        window = suite["expect_column_values_to_be_between(event_time)"]
        assert (window["min_value"], window["max_value"], window["strict_max"]) == (day_start, day_end, True)
        assert "expect_compound_columns_to_be_unique(_source_uri, _source_line)" in suite


def test_uniqueness_is_decided_per_dataset() -> None:
    shipments, tracking, invoices = (suite_by_name(rt) for rt in ("shipments", "tracking_events", "invoice_lines"))
    assert "expect_column_values_to_be_unique(shipment_id)" in shipments
    assert "expect_column_values_to_be_unique(shipment_id)" not in tracking
    assert "expect_compound_columns_to_be_unique(shipment_id, event_time, status)" in tracking
    assert not any("unique(invoice_id" in name or name.endswith("_unique(sku)") for name in invoices)
    assert [name for name in invoices if "unique" in name] == [
        "expect_compound_columns_to_be_unique(_source_uri, _source_line)"
    ]


def test_value_rules_come_from_the_field_specs() -> None:
    weight = suite_by_name("shipments")["expect_column_values_to_be_between(weight_kg)"]
    assert (weight["min_value"], weight["max_value"]) == (0, 100_000)
    assert not weight.get("strict_min") and not weight.get("strict_max")
    quantity = suite_by_name("invoice_lines")["expect_column_values_to_be_between(quantity)"]
    assert (quantity["min_value"], quantity["max_value"]) == (1, 1_000_000)
    assert suite_by_name("tracking_events")["expect_column_values_to_be_in_set(status)"]["value_set"] == list(
        TRACKING_STATUSES
    )


def test_a_new_dataset_gets_its_suite_from_its_model_alone() -> None:
    class Parcel(RecordContract):
        dataset = DatasetSpec("parcels", key_field="parcel_id", description="test-only dataset")

        record_type: Literal["parcels"]
        parcel_id: Key
        volume_l: Annotated[StrictFloat | None, Field(gt=0, lt=500)] = None

    suite = suite_by_name("parcels", {"parcels": Parcel})
    volume = suite["expect_column_values_to_be_between(volume_l)"]
    bounds = (volume["min_value"], volume["max_value"], volume["strict_min"], volume["strict_max"])
    assert bounds == (0, 500, True, True)
    assert "expect_column_values_to_not_be_null(parcel_id)" in suite
    assert suite["expect_column_values_to_be_of_type(volume_l)"]["type_"] == "DoubleType"
    assert [name for name in suite if "unique" in name] == [
        "expect_compound_columns_to_be_unique(_source_uri, _source_line)"
    ]


def test_unknown_dataset_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown record type 'parcels'"):
        expectations_for("parcels", DAY)
