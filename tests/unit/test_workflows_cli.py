"""`make ge-start` without variables: the gate requests scripts.workflows builds from silver."""

from __future__ import annotations

import argparse

import pytest

from scripts.workflows import ge_inputs

SILVER = {"shipments": ["2024-06-01", "2024-06-03"], "tracking_events": ["2024-06-02"]}


def args(**values: str | None) -> argparse.Namespace:
    return argparse.Namespace(**{"record_type": None, "dt": None, "result_prefix": None, **values})


def test_no_variables_validate_the_newest_partition_of_every_dataset() -> None:
    assert ge_inputs(args(), lambda: SILVER) == [
        {"record_type": "shipments", "dt": "2024-06-03"},
        {"record_type": "tracking_events", "dt": "2024-06-02"},
    ]


def test_variables_narrow_it() -> None:
    assert ge_inputs(args(record_type="shipments"), lambda: SILVER) == [
        {"record_type": "shipments", "dt": "2024-06-03"}
    ]
    assert ge_inputs(args(dt="2024-06-02"), lambda: SILVER) == [{"record_type": "tracking_events", "dt": "2024-06-02"}]
    both = ge_inputs(args(record_type="x", dt="2024-01-01", result_prefix="/r/"), lambda: {})
    assert both == [{"record_type": "x", "dt": "2024-01-01", "result_prefix": "r"}]


def test_nothing_to_validate_says_so() -> None:
    with pytest.raises(ValueError, match="no partition for invoice_lines"):
        ge_inputs(args(record_type="invoice_lines"), lambda: SILVER)
    with pytest.raises(ValueError, match="does not match format"):
        ge_inputs(args(dt="June 2"), lambda: SILVER)
