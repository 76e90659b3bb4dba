#!/usr/bin/env python3
"""The run report: what the deployed stack holds, as one self-contained HTML file.

``collect`` reads everything from the stack itself with the AWS clients it is given (it never
looks inside the demo): bronze objects, ingested object versions and their work units (the
idempotency table), silver Parquet row and file counts per partition (read from each file's
footer), quarantine entries grouped by reason, the quality gate's result JSONs and partition
markers, the executions of every deployed state machine, and the depth of the queues and DLQs.
Stage timings are the caller's measurements. ``render`` turns that into HTML with inline CSS and
inline SVG charts: no script, no font, no request leaves the file.

Every number carries ``data-metric`` (and ``data-key`` where it is one of many, e.g. a
partition), so a browser test can read back exactly what a reader sees.

``python demo/report.py [--out demo/out/report.html]`` writes the report of ``ENV``'s stack.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from elt import layout, queues
from elt.layout import object_id

ROOT = Path(__file__).resolve().parent.parent

#: Optional state machines in the Terraform outputs: (output name, title in the report).
WORKFLOWS = (("ops_state_machine_arn", "Ops: replay + poll silver"), ("ge_state_machine_arn", "Quality gate (GE)"))
EXECUTIONS_PER_WORKFLOW = 25
#: Parquet ends with the footer, its 4-byte length and the magic ``PAR1``; one ranged GET of the
#: tail reads a small file's footer, a second one a larger footer.
PARQUET_TAIL_BYTES = 64 * 1024


def reason_kind(reason: str) -> str:
    """Group quarantine reasons by their kind: the field or check before the detail."""
    return reason.split(" (", 1)[0].split(":", 1)[0][:60]


@dataclass(frozen=True)
class Prefixes:
    """Key prefixes in the silver bucket (the pipeline module's defaults)."""

    silver: str = layout.SILVER_PREFIX
    quarantine: str = layout.QUARANTINE_PREFIX
    ge_results: str = layout.GE_RESULTS_PREFIX
    #: Partition markers written by the quality gate workflow; they live under the quarantine
    #: prefix but are not record entries.
    ge_markers: str = layout.GATE_MARKER_PREFIX
    bronze: str = layout.BRONZE_PREFIX.rstrip("/")  # in the bronze bucket


@dataclass(frozen=True)
class BronzeStage:
    objects: int
    bytes: int
    ingested_objects: int  # object versions the ingest function completed (idempotency table)
    work_units: int  # units it planned and enqueued for them


@dataclass(frozen=True)
class Partition:
    record_type: str
    dt: str
    rows: int
    files: int
    bytes: int

    @property
    def key(self) -> str:
        return f"{self.record_type}/{self.dt}"


@dataclass(frozen=True)
class GateResult:
    """One ``result.json`` of the GE quality gate (shape: ``elt/jobs/quality.py``)."""

    record_type: str
    dt: str
    success: bool
    row_count: int
    files: int
    evaluated: int
    unsuccessful: int
    failed_expectations: tuple[str, ...]
    duration_seconds: float | None
    finished_at: str | None
    uri: str

    @property
    def key(self) -> str:
        return f"{self.record_type}/{self.dt}"


@dataclass(frozen=True)
class Execution:
    name: str
    status: str
    started_at: datetime
    stopped_at: datetime | None
    duration_seconds: float  # so far, for a running execution

    @property
    def running(self) -> bool:
        return self.stopped_at is None


@dataclass(frozen=True)
class Workflow:
    title: str
    output: str
    arn: str | None  # None: not deployed (the output is null or absent)
    executions: tuple[Execution, ...] = ()


@dataclass(frozen=True)
class QueueDepth:
    title: str
    url: str | None  # None: not deployed
    dead_letter: bool
    visible: int = 0
    in_flight: int = 0


@dataclass(frozen=True)
class QueryAnswer:
    """One SQL query over silver and its answer (as text, the way a query console shows it)."""

    name: str
    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    scanned_bytes: int
    engine_ms: int


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows."""

    generated_at: datetime
    silver_bucket: str
    bronze_bucket: str
    scope: str  # what the counts cover: the whole stack or the named objects
    bronze: BronzeStage
    partitions: tuple[Partition, ...]
    quarantine_files: int
    quarantine_reasons: tuple[tuple[str, int], ...]  # (reason kind, entries), most frequent first
    gate_results: tuple[GateResult, ...]
    gate_markers: tuple[str, ...]  # keys of partition quarantine markers
    workflows: tuple[Workflow, ...]
    queues: tuple[QueueDepth, ...]  # the events queue, its DLQ, the ingest DLQ
    timings: tuple[tuple[str, float], ...] = field(default=())  # (stage, seconds), in run order
    queries: tuple[QueryAnswer, ...] = field(default=())  # Athena answers the caller ran

    @property
    def silver_rows(self) -> int:
        return sum(p.rows for p in self.partitions)

    @property
    def silver_files(self) -> int:
        return sum(p.files for p in self.partitions)

    @property
    def quarantine_entries(self) -> int:
        return sum(count for _, count in self.quarantine_reasons)

    @property
    def dlq_depth(self) -> int:
        return sum(q.visible + q.in_flight for q in self.queues if q.dead_letter)


# --------------------------------------------------------------------------- collect


def _keys(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def _source_in_scope(uri: str, version: str, object_ids: Collection[str]) -> bool:
    """A row's or entry's source (``s3://bucket/key`` and its version: the ETag on an unversioned
    bucket) is one of the object versions ``object_ids`` names."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return object_id(bucket, key, version) in object_ids


def scoped_rows(s3: Any, bucket: str, key: str, object_ids: Collection[str]) -> int:
    """Rows of a silver file whose lineage is one of ``object_ids``: files are named by batch, and
    a batch holds the rows of several object versions (the file is read, two columns of it)."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    table = pq.read_table(io.BytesIO(body), columns=["_source_uri", "_source_version"])
    counts = table.group_by(["_source_uri", "_source_version"]).aggregate([([], "count_all")]).to_pylist()
    return sum(c["count_all"] for c in counts if _source_in_scope(c["_source_uri"], c["_source_version"], object_ids))


def parquet_rows(s3: Any, bucket: str, key: str, size: int) -> int:
    """Row count from the Parquet footer, read with ranged GETs (never the whole file)."""
    tail_size = min(size, PARQUET_TAIL_BYTES)
    tail = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=-{tail_size}")["Body"].read()
    if len(tail) < 12 or tail[-4:] != b"PAR1":
        raise ValueError(f"s3://{bucket}/{key}: not a Parquet file (no PAR1 magic at its end)")
    footer = struct.unpack("<I", tail[-8:-4])[0] + 8
    if footer > len(tail):
        if footer > size:
            raise ValueError(f"s3://{bucket}/{key}: footer length {footer} exceeds the file size {size}")
        tail = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=-{footer}")["Body"].read()
    return int(pq.read_metadata(io.BytesIO(tail[-footer:])).num_rows)


def collect_bronze(
    s3: Any, dynamodb: Any, outputs: Mapping[str, Any], prefixes: Prefixes, object_ids: Collection[str] | None
) -> BronzeStage:
    bucket = outputs["bronze_bucket"]
    objects = size = 0
    for obj in _keys(s3, bucket, prefixes.bronze + "/"):
        if object_ids is None or object_id(bucket, obj["Key"], obj["ETag"].strip('"')) in object_ids:
            objects, size = objects + 1, size + int(obj["Size"])
    ingested = units = 0
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=outputs["idempotency_table_name"],
        ProjectionExpression="pk, #s, #r",
        ExpressionAttributeNames={"#s": "status", "#r": "result"},
    )
    for page in pages:
        for item in page.get("Items", []):
            if item.get("status", {}).get("S") != "COMPLETED":
                continue
            item_bucket, key, etag = layout.parse_object_version_key(item["pk"]["S"])
            if object_ids is not None and object_id(item_bucket, key, etag) not in object_ids:
                continue
            ingested += 1
            units += int(item.get("result", {}).get("M", {}).get("units", {}).get("N", "0"))
    return BronzeStage(objects=objects, bytes=size, ingested_objects=ingested, work_units=units)


def collect_silver(s3: Any, bucket: str, prefixes: Prefixes, object_ids: Collection[str] | None) -> list[Partition]:
    rows: Counter[tuple[str, str]] = Counter()
    files: Counter[tuple[str, str]] = Counter()
    sizes: Counter[tuple[str, str]] = Counter()
    silver_prefix = prefixes.silver.strip("/")
    for obj in _keys(s3, bucket, silver_prefix + "/"):
        found = layout.SilverFile.parse(obj["Key"], silver_prefix)
        if found is None:
            continue
        if object_ids is None:
            count = parquet_rows(s3, bucket, obj["Key"], int(obj["Size"]))
        elif not (count := scoped_rows(s3, bucket, obj["Key"], object_ids)):
            continue
        partition = (found.record_type, found.dt)
        rows[partition] += count
        files[partition] += 1
        sizes[partition] += int(obj["Size"])
    return [Partition(rt, dt, rows[(rt, dt)], files[(rt, dt)], sizes[(rt, dt)]) for rt, dt in sorted(files)]


def collect_quarantine(
    s3: Any, bucket: str, prefixes: Prefixes, object_ids: Collection[str] | None
) -> tuple[int, Counter[str], list[str]]:
    """(entry files, entries per reason kind, gate marker keys) under the quarantine prefix."""
    reasons: Counter[str] = Counter()
    markers, entry_files = [], 0
    marker_base = prefixes.ge_markers.strip("/") + "/"
    for obj in _keys(s3, bucket, prefixes.quarantine.strip("/") + "/"):
        key = obj["Key"]
        if key.startswith(marker_base):
            markers.append(key)
            continue
        if not key.endswith(".jsonl"):
            continue
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        in_file: Counter[str] = Counter()
        for number, line in enumerate(body.splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                source = entry["source"]
                uri = f"s3://{source['bucket']}/{source['key']}"
                if object_ids is None or _source_in_scope(uri, source["etag"], object_ids):
                    in_file[reason_kind(entry["reason"])] += 1
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"s3://{bucket}/{key} line {number}: not a quarantine entry ({exc})") from None
        if in_file or object_ids is None:
            entry_files += 1
            reasons.update(in_file)
    return entry_files, reasons, sorted(markers)


def _gate_result(uri: str, doc: Mapping[str, Any]) -> GateResult:
    stats, run_time = doc.get("statistics", {}), doc.get("run_time") or {}
    return GateResult(
        record_type=doc["record_type"],
        dt=doc["dt"],
        success=bool(doc["success"]),
        row_count=int(stats.get("row_count", 0)),
        files=int(stats.get("files", 0)),
        evaluated=int(stats.get("evaluated_expectations", 0)),
        unsuccessful=int(stats.get("unsuccessful_expectations", 0)),
        failed_expectations=tuple(doc.get("failed_expectations", ())),
        duration_seconds=run_time.get("duration_seconds"),
        finished_at=run_time.get("finished_at"),
        uri=uri,
    )


def collect_gate_results(s3: Any, bucket: str, prefixes: Prefixes) -> list[GateResult]:
    results = []
    for obj in _keys(s3, bucket, prefixes.ge_results.strip("/") + "/"):
        if not obj["Key"].endswith("/result.json"):
            continue
        uri = f"s3://{bucket}/{obj['Key']}"
        try:
            results.append(_gate_result(uri, json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{uri}: not a quality gate result ({exc!r})") from None
    return sorted(results, key=lambda r: (r.record_type, r.dt))


def collect_executions(sfn: Any, arn: str, now: datetime, limit: int = EXECUTIONS_PER_WORKFLOW) -> list[Execution]:
    """The newest ``limit`` executions of one state machine, oldest first."""
    listed = sfn.list_executions(stateMachineArn=arn, maxResults=limit).get("executions", [])
    executions = []
    for e in listed[:limit]:
        started, stopped = e["startDate"], e.get("stopDate")
        executions.append(
            Execution(e["name"], e["status"], started, stopped, ((stopped or now) - started).total_seconds())
        )
    return sorted(executions, key=lambda e: e.started_at)


def queue_depth(sqs: Any, title: str, url: str | None, dead_letter: bool) -> QueueDepth:
    if not url:
        return QueueDepth(title, None, dead_letter)
    depth = queues.queue_depth(sqs, url)
    return QueueDepth(title, url, dead_letter, depth.visible, depth.in_flight)


def collect(
    *,
    s3: Any,
    sqs: Any,
    dynamodb: Any,
    sfn: Any,
    outputs: Mapping[str, Any],
    timings: Mapping[str, float] | None = None,
    queries: Sequence[QueryAnswer] = (),
    object_ids: Collection[str] | None = None,
    prefixes: Prefixes = Prefixes(),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ReportData:
    """Gather the report from the stack named by ``outputs`` (its Terraform outputs).

    ``object_ids`` limits bronze, silver and quarantine counts to those bronze object versions
    (``elt.layout.object_id`` of bucket, key and ETag), told by each row's lineage and each
    entry's source (silver files are then read, not only their footers; a row's
    ``_source_version`` is the ETag on an unversioned bronze bucket, as the local stack's), e.g.
    one demo run on a stack that already held data; a file counts when it holds any of their
    rows. Gate results, workflows and queues always cover the stack.
    """
    bucket = outputs["silver_bucket"]
    moment = now()
    entry_files, reasons, markers = collect_quarantine(s3, bucket, prefixes, object_ids)
    workflows = []
    for output, title in WORKFLOWS:
        arn = outputs.get(output)
        runs = tuple(collect_executions(sfn, arn, moment)) if arn else ()
        workflows.append(Workflow(title, output, arn or None, runs))
    scope = "the whole stack" if object_ids is None else f"{len(object_ids)} bronze object version(s)"
    return ReportData(
        generated_at=moment,
        silver_bucket=bucket,
        bronze_bucket=outputs["bronze_bucket"],
        scope=scope,
        bronze=collect_bronze(s3, dynamodb, outputs, prefixes, object_ids),
        partitions=tuple(collect_silver(s3, bucket, prefixes, object_ids)),
        quarantine_files=entry_files,
        quarantine_reasons=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
        gate_results=tuple(collect_gate_results(s3, bucket, prefixes)),
        gate_markers=tuple(markers),
        workflows=tuple(workflows),
        queues=(
            queue_depth(sqs, "events queue", outputs.get("queue_url"), dead_letter=False),
            queue_depth(sqs, "events DLQ", outputs.get("dlq_url"), dead_letter=True),
            queue_depth(sqs, "ingest DLQ", outputs.get("ingest_dlq_url"), dead_letter=True),
        ),
        timings=tuple((timings or {}).items()),
        queries=tuple(queries),
    )


# --------------------------------------------------------------------------- render

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;
 color:#1f2933;background:#fff;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d9e2ec;padding-bottom:4px}
.meta{color:#52606d}.meta code{background:#f0f4f8;padding:0 4px;border-radius:3px}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #e4e7eb;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1f7a3a;font-weight:600}.bad{color:#b42318;font-weight:600}.muted{color:#7b8794}
.charts{display:flex;flex-wrap:wrap;gap:32px;align-items:flex-start}svg{font:12px system-ui,sans-serif}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.kpi{border:1px solid #d9e2ec;border-radius:6px;padding:8px 14px;min-width:120px}
.kpi b{display:block;font-size:20px;font-variant-numeric:tabular-nums}.kpi span{color:#52606d}
"""

COLORS = {"rows": "#2f6fde", "files": "#7c5cc4", "reasons": "#d9822b", "ok": "#2f9e57", "bad": "#d64545",
          "run": "#8a96a3", "timing": "#3d8b8b"}  # fmt: skip


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_seconds(value: float) -> str:
    return f"{value:.3f}"


def metric(name: str, text: str, key: str | None = None, tag: str = "span") -> str:
    """One number as the reader sees it, tagged for tests: ``data-metric`` (+ ``data-key``)."""
    key_attr = f' data-key="{escape(key)}"' if key is not None else ""
    return f'<{tag} data-metric="{escape(name)}"{key_attr}>{escape(text)}</{tag}>'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown
    key: str
    color: str


@dataclass(frozen=True)
class Column:
    """One series of bars: its own scale, heading and ``data-chart`` id."""

    chart: str
    heading: str
    bars: Sequence[Bar]
    unit: str = ""
    width: int = 300


def bar_chart(title: str, columns: Sequence[Column]) -> str:
    """Horizontal bars as inline SVG, one row per label and one column per series (side by side).

    Rows are labelled by the first column's bars; every value label carries ``data-chart`` (the
    column's id) and ``data-key``.
    """
    if not columns or not columns[0].bars:
        return f'<p class="muted">{escape(title)}: nothing to chart.</p>'
    labels = [b.label for b in columns[0].bars]
    label_width = min(340, 16 + round(7.5 * max(len(label) for label in labels)))
    value_width, row, top = 72, 22, 44
    width = label_width + sum(c.width + value_width for c in columns)
    height = top + row * len(labels) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" data-chart-id="{escape(columns[0].chart)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-weight="600">{escape(title)}</text>',
    ]
    for i, label in enumerate(labels):
        shown = label if len(label) <= 44 else label[:43] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{top + i * row + 14}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
        )
    x = label_width
    for column in columns:
        peak = max(b.value for b in column.bars) or 1.0
        parts.append(f'<text x="{x}" y="36" fill="#52606d">{escape(column.heading)}</text>')
        for i, b in enumerate(column.bars):
            y = top + i * row
            length = max(1.0, column.width * b.value / peak) if b.value else 0.0
            unit = f" {column.unit}" if column.unit else ""
            parts += [
                f'<rect x="{x}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" rx="2" fill="{b.color}"/>',
                f'<text x="{x + length + 6:.1f}" y="{y + 14}" data-chart="{escape(column.chart)}" '
                f'data-key="{escape(b.key)}">{escape(b.text + unit)}</text>',
            ]
        x += column.width + value_width
    parts.append("</svg>")
    return "".join(parts)


def pipeline_diagram(data: ReportData) -> str:
    """Bronze → ingest → work units → transform → silver / quarantine, with the DLQ under the queue."""
    b = data.bronze
    boxes = [
        (10, 40, "S3 bronze", [("bronze_objects", fmt_int(b.objects), "objects"),
                               ("bronze_bytes", fmt_int(b.bytes), "bytes")]),
        (190, 40, "ingest Lambda", [("ingested_objects", fmt_int(b.ingested_objects), "object versions")]),
        (370, 40, "SQS work units", [("work_units", fmt_int(b.work_units), "units planned")]),
        (550, 40, "transform Lambda", [("lines_accounted", fmt_int(data.silver_rows + data.quarantine_entries),
                                        "source lines")]),
        (730, 10, "S3 silver", [("silver_rows_total", fmt_int(data.silver_rows), "rows"),
                                ("silver_files_total", fmt_int(data.silver_files), "files"),
                                ("silver_partitions", fmt_int(len(data.partitions)), "partitions")]),
        (730, 150, "quarantine", [("quarantine_entries_total", fmt_int(data.quarantine_entries), "entries"),
                                  ("quarantine_files", fmt_int(data.quarantine_files), "files")]),
        (370, 170, "DLQs (events, ingest)", [("dlq_depth", fmt_int(data.dlq_depth), "messages")]),
    ]  # fmt: skip
    w, h = 160, 100
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="900" height="280" viewBox="0 0 900 280" '
        'data-chart-id="pipeline"><title>Pipeline with per-stage counts</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#52606d"/></marker></defs>',
    ]
    for x1, y1, x2, y2 in ((170, 90, 190, 90), (350, 90, 370, 90), (530, 90, 550, 90), (710, 80, 730, 60),
                           (710, 110, 730, 190), (450, 140, 450, 170)):  # fmt: skip
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#52606d" marker-end="url(#arrow)"/>')
    for x, y, title, lines in boxes:
        fill = "#fdecea" if title.startswith(("quarantine", "DLQ")) else "#eef4fd"
        parts += [
            f'<rect x="{x}" y="{y}" width="{w}" height="{h if len(lines) < 3 else 120}" rx="8" fill="{fill}" '
            'stroke="#9fb3c8"/>',
            f'<text x="{x + 10}" y="{y + 20}" font-weight="600">{escape(title)}</text>',
        ]
        for i, (name, value, unit) in enumerate(lines):
            parts.append(
                f'<text x="{x + 10}" y="{y + 44 + i * 22}">'
                f'<tspan font-size="15" font-weight="600" data-metric="{name}">{escape(value)}</tspan>'
                f" {escape(unit)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _kpis(data: ReportData) -> str:
    items = [
        ("silver_rows_total", fmt_int(data.silver_rows), "silver rows"),
        ("silver_files_total", fmt_int(data.silver_files), "silver files"),
        ("quarantine_entries_total", fmt_int(data.quarantine_entries), "quarantine entries"),
        ("dlq_depth", fmt_int(data.dlq_depth), "DLQ messages (both DLQs)"),
    ]
    cells = "".join(
        f'<div class="kpi">{metric(n, v, tag="b")}<span>{escape(label)}</span></div>' for n, v, label in items
    )
    return f'<div class="kpis">{cells}</div>'


def _silver_section(data: ReportData) -> str:
    if not data.partitions:
        return '<p class="muted">No silver files yet.</p>'
    rows = "".join(
        f"<tr><td>{escape(p.record_type)}</td><td>{escape(p.dt)}</td>"
        f'<td class="n">{metric("partition_rows", fmt_int(p.rows), p.key)}</td>'
        f'<td class="n">{metric("partition_files", fmt_int(p.files), p.key)}</td>'
        f'<td class="n">{fmt_int(p.bytes)}</td></tr>'
        for p in data.partitions
    )
    table = (
        '<table><tr><th>record_type</th><th>dt</th><th class="n">rows</th><th class="n">files</th>'
        f'<th class="n">bytes</th></tr>{rows}</table>'
    )
    chart = bar_chart("Rows and files per partition", [
        Column("partition_rows", "rows", [Bar(p.key, p.rows, fmt_int(p.rows), p.key, COLORS["rows"])
                                          for p in data.partitions], width=180),
        Column("partition_files", "files", [Bar(p.key, p.files, fmt_int(p.files), p.key, COLORS["files"])
                                            for p in data.partitions], width=60),
    ])  # fmt: skip
    return f'<div class="charts">{table}{chart}</div>'


def _quarantine_section(data: ReportData) -> str:
    if not data.quarantine_reasons:
        body = '<p class="muted">No quarantine entries.</p>'
    else:
        rows = "".join(
            f"<tr><td>{escape(reason)}</td>"
            f'<td class="n">{metric("quarantine_reason", fmt_int(count), reason)}</td></tr>'
            for reason, count in data.quarantine_reasons
        )
        chart = bar_chart(
            "Quarantine entries by reason",
            [
                Column(
                    "quarantine_reason",
                    "entries",
                    [Bar(reason, n, fmt_int(n), reason, COLORS["reasons"]) for reason, n in data.quarantine_reasons],
                )
            ],
        )
        body = (
            f'<div class="charts"><table><tr><th>reason</th><th class="n">entries</th></tr>{rows}</table>{chart}</div>'
        )
    return body


def _gate_section(data: ReportData) -> str:
    if not data.gate_results:
        body = '<p class="muted">No quality gate results yet.</p>'
    else:
        rows = "".join(
            f"<tr><td>{escape(r.record_type)}</td><td>{escape(r.dt)}</td>"
            f'<td class="{"ok" if r.success else "bad"}">'
            f"{metric('gate_status', 'PASSED' if r.success else 'FAILED', r.key)}</td>"
            f'<td class="n">{metric("gate_rows", fmt_int(r.row_count), r.key)}</td>'
            f'<td class="n">{fmt_int(r.files)}</td>'
            f'<td class="n">{fmt_int(r.evaluated - r.unsuccessful)}/{fmt_int(r.evaluated)}</td>'
            f'<td class="n">{"" if r.duration_seconds is None else fmt_seconds(r.duration_seconds)}</td>'
            f"<td>{escape(', '.join(r.failed_expectations)) or '—'}</td></tr>"
            for r in data.gate_results
        )
        body = (
            '<table><tr><th>record_type</th><th>dt</th><th>result</th><th class="n">rows</th>'
            '<th class="n">files</th><th class="n">passed</th><th class="n">seconds</th><th>failed expectations</th>'
            f"</tr>{rows}</table>"
        )
    markers = (
        "<p>Quarantined partitions (gate markers): "
        + ", ".join(f"<code>{escape(k)}</code>" for k in data.gate_markers)
        + "</p>"
        if data.gate_markers
        else ""
    )
    count = f"<p>{metric('gate_results', fmt_int(len(data.gate_results)))} result(s), "
    count += f"{metric('gate_markers', fmt_int(len(data.gate_markers)))} partition marker(s).</p>"
    return count + body + markers


def _workflow_section(workflow: Workflow) -> str:
    head = f"<h3>{escape(workflow.title)} <span class='muted'>({escape(workflow.output)})</span></h3>"
    if workflow.arn is None:
        return head + f"<p>{metric('workflow_state', 'not deployed', workflow.output)}</p>"
    state = metric("workflow_state", "deployed", workflow.output)
    count = metric("workflow_executions", fmt_int(len(workflow.executions)), workflow.output)
    intro = f"<p>{state}: <code>{escape(workflow.arn)}</code> — {count} execution(s) shown (newest last).</p>"
    if not workflow.executions:
        return head + intro
    rows = "".join(
        f"<tr><td>{escape(e.name)}</td>"
        f'<td class="{"ok" if e.status == "SUCCEEDED" else "muted" if e.running else "bad"}">'
        f"{metric('execution_status', e.status, e.name)}</td>"
        f"<td>{e.started_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z</td>"
        f'<td class="n">{metric("execution_seconds", fmt_seconds(e.duration_seconds), e.name)}</td></tr>'
        for e in workflow.executions
    )
    color = {"SUCCEEDED": COLORS["ok"], "RUNNING": COLORS["run"]}
    chart = bar_chart(f"{workflow.title}: execution durations", [Column(
        f"execution_seconds:{workflow.output}", "seconds",
        [Bar(f"{e.name} ({e.status})", e.duration_seconds, fmt_seconds(e.duration_seconds), e.name,
             color.get(e.status, COLORS["bad"])) for e in workflow.executions],
        unit="s",
    )])  # fmt: skip
    table = f'<table><tr><th>execution</th><th>status</th><th>started</th><th class="n">seconds</th></tr>{rows}</table>'
    return head + intro + f'<div class="charts">{table}{chart}</div>'


def _queue_section(data: ReportData) -> str:
    rows = "".join(
        f"<tr><td>{escape(q.title)}</td>"
        + (
            f'<td class="n">{metric("queue_visible", fmt_int(q.visible), q.title)}</td>'
            f'<td class="n">{metric("queue_in_flight", fmt_int(q.in_flight), q.title)}</td>'
            if q.url
            else f'<td colspan="2">{metric("queue_visible", "not deployed", q.title)}</td>'
        )
        + "</tr>"
        for q in data.queues
    )
    return f'<table><tr><th>queue</th><th class="n">visible</th><th class="n">in flight</th></tr>{rows}</table>'


def _timings_section(data: ReportData) -> str:
    if not data.timings:
        return '<p class="muted">No stage timings were passed in.</p>'
    rows = "".join(
        f'<tr><td>{escape(stage)}</td><td class="n">{metric("stage_seconds", fmt_seconds(s), stage)}</td></tr>'
        for stage, s in data.timings
    )
    bars = [Bar(stage, s, fmt_seconds(s), stage, COLORS["timing"]) for stage, s in data.timings]
    chart = bar_chart("Seconds per stage", [Column("stage_seconds", "seconds", bars, unit="s")])
    return f'<div class="charts"><table><tr><th>stage</th><th class="n">seconds</th></tr>{rows}</table>{chart}</div>'


def _query_section(data: ReportData) -> str:
    if not data.queries:
        return '<p class="muted">No queries were run (Athena is off, or the caller ran none).</p>'
    parts = []
    for q in data.queries:
        head = "".join(f"<th>{escape(c)}</th>" for c in q.columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in q.rows)
        parts.append(
            f"<h3>{escape(q.name)}</h3><pre>{escape(q.sql.strip())}</pre>"
            f"<p class='meta'>{metric('query_rows', fmt_int(len(q.rows)), q.name)} rows · scanned "
            f"{fmt_int(q.scanned_bytes)} bytes in {fmt_int(q.engine_ms)} ms</p><table><tr>{head}</tr>{body}</table>"
        )
    return "".join(parts)


def render(data: ReportData) -> str:
    """One self-contained HTML page (inline CSS and SVG, no scripts, no external resources)."""
    generated = f"{data.generated_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    sections = [
        ("Pipeline", pipeline_diagram(data)),
        ("Silver partitions", _silver_section(data)),
        ("Quarantine", _quarantine_section(data)),
        ("Quality gate (Great Expectations)", _gate_section(data)),
        ("Workflow executions", "".join(_workflow_section(w) for w in data.workflows)),
        ("Queues and dead-letter queues", _queue_section(data)),
        ("Silver through Athena", _query_section(data)),
        ("Timings", _timings_section(data)),
    ]
    body = "".join(f"<h2>{escape(title)}</h2>{html}" for title, html in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No request may leave the file: block everything but inline styles and inline images.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">'
        f"<title>ELT run report — {escape(generated)}</title><style>{CSS}</style></head><body>"
        f"<h1>ELT run report</h1><p class='meta'>Generated {escape(generated)} · silver "
        f"<code>s3://{escape(data.silver_bucket)}</code> · bronze <code>s3://{escape(data.bronze_bucket)}</code>"
        f" · counts cover {escape(data.scope)}</p>{_kpis(data)}{body}</body></html>\n"
    )


Tagged = dict[tuple[str, str | None], list[str]]  # (metric or chart, data-key) → texts, in page order


@dataclass
class _OpenTag:
    tag: str
    attribute: str
    name: str
    key: str | None
    text: list[str] = field(default_factory=list)


class _TaggedTextReader(HTMLParser):
    """Collects the text of every element carrying ``data-metric`` or ``data-chart``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, Tagged] = {"data-metric": {}, "data-chart": {}}
        self._open: list[_OpenTag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for attribute in self.found:
            name = values.get(attribute)
            if name is not None:
                self._open.append(_OpenTag(tag, attribute, name, values.get("data-key")))
                return

    def handle_data(self, data: str) -> None:
        for entry in self._open:
            entry.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1].tag == tag:
            entry = self._open.pop()
            self.found[entry.attribute].setdefault((entry.name, entry.key), []).append("".join(entry.text).strip())


def read_numbers(html: str) -> tuple[Tagged, Tagged]:
    """What a reader sees, as tagged: ``({(metric, key): [texts]}, {(chart, key): [value labels]})``."""
    reader = _TaggedTextReader()
    reader.feed(html)
    reader.close()
    return reader.found["data-metric"], reader.found["data-chart"]


def write_report(data: ReportData, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    from scripts.stack import StackError, client, outputs

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "demo" / "out" / "report.html", help="HTML file to write")
    args = parser.parse_args(argv)
    try:
        stack = outputs()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    data = collect(s3=client("s3"), sqs=client("sqs"), dynamodb=client("dynamodb"), sfn=client("stepfunctions"),
                   outputs=stack)  # fmt: skip
    print(write_report(data, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
