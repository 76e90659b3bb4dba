"""The run report renders every collected number, exactly, in a page that loads nothing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from demo.report import (
    BronzeStage,
    Execution,
    GateResult,
    Partition,
    QueryAnswer,
    QueueDepth,
    ReportData,
    Workflow,
    read_numbers,
    reason_kind,
    render,
)

T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def sample() -> ReportData:
    return ReportData(
        generated_at=T0 + timedelta(minutes=5),
        silver_bucket="elt-local-silver",
        bronze_bucket="elt-local-bronze",
        scope="the whole stack",
        bronze=BronzeStage(objects=5, bytes=1_234_567, ingested_objects=5, work_units=7),
        partitions=(
            Partition("invoice_lines", "2026-11-19", rows=1204, files=3, bytes=90_001),
            Partition("shipments", "2026-11-20", rows=12_345, files=4, bytes=400_123),
            Partition("tracking_events", "2026-11-20", rows=1, files=1, bytes=2_000),
        ),
        quarantine_files=4,
        quarantine_reasons=(("shipment_id", 17), ("invalid JSON", 9), ("record_type <b>'returns'</b>", 2)),
        gate_results=(
            GateResult("shipments", "2026-11-20", True, 12_345, 4, 31, 0, (), 12.5, "2026-11-20T08:33:00Z", "s3://x/a"),
            GateResult(
                "invoice_lines",
                "2026-11-19",
                False,
                1204,
                3,
                29,
                2,
                ("expect_column_values_to_be_unique(invoice_id)", "expect_table_row_count_to_be_between"),
                None,
                None,
                "s3://x/b",
            ),
        ),
        gate_markers=("quarantine/_ge_gate/invoice_lines/dt=2026-11-19.json",),
        workflows=(
            Workflow(
                "Ops",
                "ops_state_machine_arn",
                "arn:aws:states:us-east-1:123:stateMachine:ops",
                (
                    Execution("replay-1", "SUCCEEDED", T0, T0 + timedelta(seconds=41.25), 41.25),
                    Execution("replay-2", "RUNNING", T0 + timedelta(minutes=1), None, 3.5),
                ),
            ),
            Workflow("GE", "ge_state_machine_arn", None),
        ),
        queues=(
            QueueDepth("events queue", "https://q/events", dead_letter=False, visible=3, in_flight=2),
            QueueDepth("events DLQ", "https://q/dlq", dead_letter=True, visible=1, in_flight=0),
            QueueDepth("ingest DLQ", None, dead_letter=True),
        ),
        timings=(("seed (upload to bronze)", 0.8125), ("bronze → silver", 12.0)),
    )


def only(found: dict[tuple[str, str | None], list[str]], name: str, key: str | None = None) -> str:
    """The one value shown for a metric (it may appear several times, always with the same text)."""
    texts = found.get((name, key))
    assert texts, f"metric {name!r} key {key!r} is not in the page"
    assert len(set(texts)) == 1, f"metric {name!r} key {key!r} shows different values: {texts}"
    return texts[0]


def test_every_collected_number_is_shown_exactly() -> None:
    data = sample()
    metrics, charts = read_numbers(render(data))

    assert only(metrics, "bronze_objects") == "5"
    assert only(metrics, "bronze_bytes") == "1,234,567"
    assert only(metrics, "ingested_objects") == "5"
    assert only(metrics, "work_units") == "7"
    assert only(metrics, "silver_rows_total") == "13,550" == f"{1204 + 12_345 + 1:,}"
    assert only(metrics, "silver_files_total") == "8"
    assert only(metrics, "silver_partitions") == "3"
    assert only(metrics, "quarantine_entries_total") == "28"
    assert only(metrics, "quarantine_files") == "4"
    assert only(metrics, "lines_accounted") == "13,578"
    assert only(metrics, "dlq_depth") == "1"
    for p in data.partitions:
        assert only(metrics, "partition_rows", p.key) == only(charts, "partition_rows", p.key) == f"{p.rows:,}"
        assert only(metrics, "partition_files", p.key) == only(charts, "partition_files", p.key) == f"{p.files:,}"
    for reason, count in data.quarantine_reasons:
        assert only(metrics, "quarantine_reason", reason) == only(charts, "quarantine_reason", reason) == str(count)
    assert only(metrics, "gate_results") == "2" and only(metrics, "gate_markers") == "1"
    assert only(metrics, "gate_status", "shipments/2026-11-20") == "PASSED"
    assert only(metrics, "gate_status", "invoice_lines/2026-11-19") == "FAILED"
    assert only(metrics, "gate_rows", "shipments/2026-11-20") == "12,345"
    assert only(metrics, "workflow_state", "ops_state_machine_arn") == "deployed"
    assert only(metrics, "workflow_executions", "ops_state_machine_arn") == "2"
    assert only(metrics, "workflow_state", "ge_state_machine_arn") == "not deployed"
    assert only(metrics, "execution_status", "replay-1") == "SUCCEEDED"
    assert only(metrics, "execution_seconds", "replay-1") == "41.250"
    assert only(charts, "execution_seconds:ops_state_machine_arn", "replay-2") == "3.500 s"
    assert only(metrics, "queue_visible", "events queue") == "3"
    assert only(metrics, "queue_in_flight", "events queue") == "2"
    assert only(metrics, "queue_visible", "ingest DLQ") == "not deployed"
    assert only(metrics, "stage_seconds", "seed (upload to bronze)") == "0.812"
    assert only(charts, "stage_seconds", "bronze → silver") == "12.000 s"


def test_page_is_self_contained_and_escapes_text() -> None:
    html = render(sample())
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"\ssrc=", html)
    # References stay inside the page (the arrow marker); the only http URL is the SVG namespace,
    # an identifier that is never fetched.
    assert set(re.findall(r"url\(([^)]*)\)|href=\"([^\"]*)\"", html)) <= {("#arrow", "")}
    assert set(re.findall(r"https?://[^\s\"'<]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "https://q/" not in html  # queue URLs are not shown, only their depth
    assert "<b>'returns'</b>" not in html and "&lt;b&gt;" in html
    assert "default-src 'none'" in html


def test_empty_stack_renders_placeholders() -> None:
    data = sample()
    empty = ReportData(
        generated_at=data.generated_at,
        silver_bucket="s",
        bronze_bucket="b",
        scope="the whole stack",
        bronze=BronzeStage(0, 0, 0, 0),
        partitions=(),
        quarantine_files=0,
        quarantine_reasons=(),
        gate_results=(),
        gate_markers=(),
        workflows=(),
        queues=(),
    )
    html = render(empty)
    metrics, charts = read_numbers(html)
    assert only(metrics, "silver_rows_total") == "0" and only(metrics, "dlq_depth") == "0"
    assert charts == {}
    assert "No silver files yet." in html and "No quality gate results yet." in html


def test_query_answers_are_shown_cell_by_cell_and_escaped() -> None:
    answer = QueryAnswer(
        "shipment-weight-per-day",
        'SELECT dt, count(*) AS shipments FROM "db"."shipments" WHERE carrier <> \'<x>\' GROUP BY dt',
        ("dt", "shipments"),
        (("2026-11-19", "1204"), ("2026-11-20", "12345")),
        scanned_bytes=400_123,
        engine_ms=87,
    )
    html = render(replace(sample(), queries=(answer,)))
    metrics, _ = read_numbers(html)
    assert only(metrics, "query_rows", "shipment-weight-per-day") == "2"
    assert "<td>2026-11-20</td><td>12345</td>" in html
    assert "scanned 400,123 bytes in 87 ms" in html
    assert "&lt;x&gt;" in html and "<x>" not in html
    assert "No queries were run" in render(sample())


def test_reason_kind_groups_by_field_or_check() -> None:
    assert reason_kind("weight_kg: Input should be greater than or equal to 0 (got -3)") == "weight_kg"
    assert reason_kind("invalid JSON (Expecting ',' delimiter: line 1 column 40)") == "invalid JSON"


def test_firehose_bills_every_small_record_as_5_kb() -> None:
    from bench.prices import FIREHOSE_USD_PER_GB, firehose_json_to_parquet_usd

    per_gb = sum(FIREHOSE_USD_PER_GB.values())
    small = firehose_json_to_parquet_usd(1_000_000, 166_000_000)  # 166-byte records: 5 KB each
    assert small == 1_000_000 * 5 * 1024 / 1024**3 * per_gb
    assert firehose_json_to_parquet_usd(1_000, 6 * 1024 * 1000) == 1_000 * 10 * 1024 / 1024**3 * per_gb
