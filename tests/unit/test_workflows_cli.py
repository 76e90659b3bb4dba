"""scripts.workflows: the gate requests `make ge-start` builds from silver without variables, and
the ops replay request and summary (recompute by default, copies only when asked for)."""

from __future__ import annotations

import argparse

import pytest

from scripts.workflows import ge_inputs, ops_input, parse_args, replay_summary

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


# ---- ops: the replay request and what it did ------------------------------------------------


def test_ops_input_recomputes_unless_copies_are_asked_for() -> None:
    plain = parse_args(["start", "ops", "--window-hours", "6"])
    assert ops_input(plain) == {"window_hours": 6}
    copies = parse_args(["start", "ops", "--window-hours", "6", "--reingest-as-new-copies"])
    assert ops_input(copies) == {"window_hours": 6, "reingest_as_new_copies": True}


def test_the_replay_summary_says_what_happened() -> None:
    recompute = {"mode": "recompute", "objects": 3, "units_sent": 5, "bytes_planned": 900, "more": False}
    assert replay_summary({"replay": recompute}) == (
        "replay: recomputed 3 objects in place, 5 work units sent (900 bytes)"
    )
    copy = {"mode": "copy", "objects": 2, "bytes_copied": 10, "dest_prefix": "bronze/replay/r/", "more": True}
    assert replay_summary({"replay": copy}) == (
        "replay: copied 2 objects (10 bytes) under bronze/replay/r/ to be ingested as new objects (more to come)"
    )
    assert replay_summary({"gate": {}}) is None
