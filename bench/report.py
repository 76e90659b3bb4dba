"""Figures derived from the raw measurements, the targets, and the printed tables."""

from __future__ import annotations

import os
import platform
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.floor import Floor
from bench.inprocess import RunResult
from bench.isolated import Invocation
from bench.prices import PRICES_AS_OF, PRICES_REGION, PRICES_USD, FunctionUsage, cost_usd, firehose_json_to_parquet_usd

PER = 1_000_000
#: Memory settings in Terraform today (pipeline module defaults), used when no sweep ran.
TERRAFORM_MEMORY_MB = {"ingest": 512, "transform": 1024}


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def workload_figures(run: RunResult, description: str, floor: Floor) -> dict[str, Any]:
    scale = PER / run.records
    requests: Counter[str] = Counter()
    for counts in run.requests.values():
        requests.update(counts)
    floor_cpu = floor.cpu_seconds * run.records / floor.rows
    return {
        "description": description,
        "records": run.records,
        "input_bytes": run.input_bytes,
        "objects": run.objects,
        "units": run.units,
        "ingest_invocations": run.ingest_invocations,
        "transform_invocations": run.transform_invocations,
        "wall_seconds": round(run.wall_seconds, 3),
        "records_per_second": round(run.records / run.wall_seconds),
        "ingest_cpu_seconds": round(run.ingest.cpu_seconds, 3),
        "transform_cpu_seconds": round(run.transform.cpu_seconds, 3),
        "emulator_cpu_seconds": round(run.ingest.emulator_seconds + run.transform.emulator_seconds, 3),
        "ingest_cpu_seconds_per_1m": round(run.ingest.cpu_seconds * scale, 3),
        "transform_cpu_seconds_per_1m": round(run.transform.cpu_seconds * scale, 3),
        "floor_cpu_seconds": round(floor_cpu, 3),
        "transform_cpu_x_floor": round(run.transform.cpu_seconds / floor_cpu, 2),
        "requests": {phase: dict(sorted(c.items())) for phase, c in sorted(run.requests.items())},
        "requests_total": sum(requests.values()),
        "requests_per_1m": round(sum(requests.values()) * scale),
        "requests_per_1m_by_operation": {k: round(v * scale, 1) for k, v in sorted(requests.items())},
        "rows": run.rows,
        "quarantined": run.quarantined,
        "silver_files": run.silver_files,
        "silver_bytes": run.silver_bytes,
        "records_per_file": round(run.rows / max(run.silver_files, 1)),
    }


def memory_figures(calls: list[Invocation], mib: int, records: int) -> dict[str, Any]:
    return {
        "object_mib": mib,
        "records": records,
        "units": sum(c.as_dict()["units"] for c in calls),
        "invocations": [c.as_dict() for c in calls],
        "ingest_peak_rss_mb": max(c.peak_rss_mb for c in calls if c.function == "ingest"),
        "transform_peak_rss_mb": max(c.peak_rss_mb for c in calls if c.function == "transform"),
    }


def _memory(results: dict[str, Any]) -> dict[str, int]:
    sizing = results.get("sweep", {}).get("sizing")
    if sizing:
        return {"ingest": sizing["ingest_memory_mb"], "transform": sizing["transform_memory_mb"]}
    return dict(TERRAFORM_MEMORY_MB)


def cost_figures(results: dict[str, Any]) -> dict[str, Any]:
    memory = _memory(results)
    out: dict[str, Any] = {
        "prices_as_of": PRICES_AS_OF,
        "region": PRICES_REGION,
        "prices_usd": PRICES_USD,
        "memory_mb": memory,
        "per_1m_records_usd": {},
        #: The same records through Firehose's JSON → Parquet conversion instead (bench/prices.py).
        "firehose_per_1m_records_usd": {},
    }
    for name, w in results["workloads"].items():
        scale = PER / w["records"]
        functions = {
            "ingest": FunctionUsage(
                round(w["ingest_invocations"] * scale), w["ingest_cpu_seconds_per_1m"], memory["ingest"]
            ),
            "transform": FunctionUsage(
                round(w["transform_invocations"] * scale), w["transform_cpu_seconds_per_1m"], memory["transform"]
            ),
        }
        cost = cost_usd(w["requests_per_1m_by_operation"], functions)
        out["per_1m_records_usd"][name] = {k: round(v, 6) for k, v in cost.items()}
        out["firehose_per_1m_records_usd"][name] = round(
            firehose_json_to_parquet_usd(PER, round(w["input_bytes"] * scale)), 4
        )
    return out


def _target(name: str, value: float | None, limit: float, *, at_most: bool = True, unit: str = "") -> dict[str, Any]:
    met = None if value is None else (value <= limit if at_most else value >= limit)
    return {"target": name, "value": value, "limit": limit, "at_most": at_most, "unit": unit, "met": met}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    w = results["workloads"]
    mem = results.get("memory_mode", {})
    imports = results["cold_import"]
    out = [
        _target("transform CPU vs pyarrow floor, W1", w.get("W1", {}).get("transform_cpu_x_floor"), 3, unit="x"),
        _target("AWS requests per 1M records, W1", w.get("W1", {}).get("requests_per_1m"), 100),
        _target("AWS requests per 1M records, W2", w.get("W2", {}).get("requests_per_1m"), 6000),
        _target("mean records per silver file, W1", w.get("W1", {}).get("records_per_file"), 10_000, at_most=False),
        _target("mean records per silver file, W2", w.get("W2", {}).get("records_per_file"), 5_000, at_most=False),
        _target("transform CPU vs pyarrow floor, W2", w.get("W2", {}).get("transform_cpu_x_floor"), 4, unit="x"),
        # 5x the 5,081 records/s measured before silver files were batch-owned (2026-11-22).
        _target("records/s end to end, W2", w.get("W2", {}).get("records_per_second"), 25_405, at_most=False),
        _target("ingest peak RSS, 1 GB object", mem.get("ingest_peak_rss_mb"), 512, unit="MB"),
        _target("transform peak RSS per invocation, 1 GB object", mem.get("transform_peak_rss_mb"), 512, unit="MB"),
        # The least-disturbed of the timed imports (the machine may be shared); the median is in the JSON.
        _target("ingest cold import (min)", round(imports["ingest"]["min_seconds"], 3), 0.3, unit="s"),
        _target("transform cold import (min)", round(imports["transform"]["min_seconds"], 3), 1.5, unit="s"),
    ]
    return out


def _count(value: float | None) -> str:
    """A request count per 1M records: whole above 10, one decimal below."""
    return "-" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _columns_table(title: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(*(_fmt(row[c]) for c in columns))
    return table


def _workloads_table(results: dict[str, Any]) -> Table:
    w = results["workloads"]
    cost = results["cost"]["per_1m_records_usd"]
    table = Table(title=f"make bench — in-process (moto), {results['date']}")
    table.add_column("figure")
    for name in w:
        table.add_column(f"{name}: {w[name]['description']}", justify="right")
    rows = [
        ("records/s end to end", "records_per_second"),
        ("ingest CPU-s per 1M records", "ingest_cpu_seconds_per_1m"),
        ("transform CPU-s per 1M records", "transform_cpu_seconds_per_1m"),
        ("transform CPU / pyarrow floor", "transform_cpu_x_floor"),
        ("AWS requests per 1M records", "requests_per_1m"),
        ("work units", "units"),
        ("transform invocations", "transform_invocations"),
        ("silver files", "silver_files"),
        ("mean records per silver file", "records_per_file"),
    ]
    for label, key in rows:
        table.add_row(label, *(_fmt(w[n][key]) for n in w))
    table.add_row("cost USD per 1M records", *(f"{cost[n]['total']:.4f}" for n in w))
    firehose = results["cost"].get("firehose_per_1m_records_usd", {})
    table.add_row("Firehose JSON→Parquet, USD per 1M", *(_fmt(firehose.get(n)) for n in w))
    return table


def _operations_table(results: dict[str, Any]) -> Table:
    w = results["workloads"]
    ops = Table(title="AWS requests per 1M records, by operation")
    ops.add_column("service:Operation")
    for name in w:
        ops.add_column(name, justify="right")
    names = sorted({k for n in w for k in w[n]["requests_per_1m_by_operation"]})
    for op in names:
        ops.add_row(op, *(_count(w[n]["requests_per_1m_by_operation"].get(op)) for n in w))
    return ops


def _floor_line(results: dict[str, Any]) -> str:
    floor = results["floor"]
    imports = ", ".join(
        f"{fn} median {v['seconds']:.3f} s, min {v['min_seconds']:.3f} s "
        f"(heavy modules: {v['heavy_modules'] or 'none'})"
        for fn, v in results["cold_import"].items()
    )
    return (
        f"pyarrow floor: {floor['cpu_seconds']:.2f} CPU-s for {floor['records']:,} records "
        f"({floor['bytes'] / 1e6:,.0f} MB); cold import: {imports}"
    )


def _targets_table(results: dict[str, Any]) -> Table:
    tt = Table(title="targets")
    for col in ("target", "value", "limit", "met"):
        tt.add_column(col)
    for t in results["targets"]:
        limit = ("<= " if t["at_most"] else ">= ") + _fmt(t["limit"]) + (f" {t['unit']}" if t["unit"] else "")
        met = {True: "[green]yes[/]", False: "[red]NO[/]", None: "not measured"}[t["met"]]
        tt.add_row(t["target"], _fmt(t["value"]), limit, met)
    tt.add_row("cost prices", f"{PRICES_REGION} on-demand, as of {PRICES_AS_OF}", "", "")
    return tt


def print_tables(results: dict[str, Any], console: Console) -> None:
    console.print(_workloads_table(results))
    console.print(_operations_table(results))
    console.print(_floor_line(results))
    if "memory_mode" in results:
        mem = results["memory_mode"]
        title = (
            f"memory mode: one {mem['object_mib']:,} MiB JSONL object, {mem['records']:,} records, {mem['units']} units"
        )
        columns = ("function", "units", "rows", "files", "cpu_seconds", "wall_seconds", "peak_rss_mb")
        console.print(_columns_table(title, columns, mem["invocations"]))
    if "sweep" in results:
        columns = ("unit_mib", "records", "cpu_seconds", "wall_seconds", "peak_rss_mb", "files", "records_per_file")
        title = "work-unit sweep (one unit, transform in a fresh process)"
        console.print(_columns_table(title, columns, results["sweep"]["points"]))
        for line in results["sweep"]["sizing"]["arithmetic"]:
            console.print(f"  {line}")
    if "local_cloud" in results:
        lc = results["local_cloud"]
        console.print(
            f"local cloud: {lc['records']:,} records in {lc['wall_seconds']:.1f} s = "
            f"{lc['records_per_second']:,.0f} records/s; peak RSS (MB) {lc['peak_rss_mb']}"
        )
    console.print(_targets_table(results))


def markdown(results: dict[str, Any]) -> str:
    """The results as markdown tables (bench/results/<date>.md, linked from docs/performance.md)."""
    w = results["workloads"]
    cost = results["cost"]["per_1m_records_usd"]
    names = list(w)
    out = ["| figure | " + " | ".join(f"{n}: {w[n]['description']}" for n in names) + " |"]
    out.append("|---|" + "---:|" * len(names))
    rows = [
        ("records/s end to end (in-process)", "records_per_second"),
        ("ingest CPU-s per 1M records", "ingest_cpu_seconds_per_1m"),
        ("transform CPU-s per 1M records", "transform_cpu_seconds_per_1m"),
        ("transform CPU / pyarrow floor", "transform_cpu_x_floor"),
        ("AWS requests per 1M records", "requests_per_1m"),
        ("work units / transform invocations", None),
        ("silver files / mean records per file", None),
    ]
    for label, key in rows:
        if key:
            cells = [_fmt(w[n][key]) for n in names]
        elif label.startswith("work"):
            cells = [f"{w[n]['units']:,} / {w[n]['transform_invocations']:,}" for n in names]
        else:
            cells = [f"{w[n]['silver_files']:,} / {w[n]['records_per_file']:,}" for n in names]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out.append("| cost USD per 1M records | " + " | ".join(f"{cost[n]['total']:.4f}" for n in names) + " |")
    firehose = results["cost"].get("firehose_per_1m_records_usd", {})
    out.append("| Firehose JSON→Parquet, USD per 1M | " + " | ".join(_fmt(firehose.get(n)) for n in names) + " |")
    out += ["", "| requests per 1M records | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for op in sorted({k for n in names for k in w[n]["requests_per_1m_by_operation"]}):
        out.append(
            f"| `{op}` | " + " | ".join(_count(w[n]["requests_per_1m_by_operation"].get(op)) for n in names) + " |"
        )
    out += ["", "| target | measured | limit | met |", "|---|---:|---:|---|"]
    for t in results["targets"]:
        limit = ("≤ " if t["at_most"] else "≥ ") + _fmt(t["limit"]) + (f" {t['unit']}" if t["unit"] else "")
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        out.append(f"| {t['target']} | {_fmt(t['value'])} | {limit} | {met} |")
    if "memory_mode" in results:
        mem = results["memory_mode"]
        out += [
            "",
            f"Memory mode, one {mem['object_mib']:,} MiB object ({mem['records']:,} records, {mem['units']} units):",
            "",
        ]
        out += ["| invocation | units | rows | CPU-s | peak RSS MB |", "|---|---:|---:|---:|---:|"]
        for c in mem["invocations"]:
            units = c["units"] if c["function"] == "transform" else "-"  # ingest plans units, it does not run them
            out.append(
                f"| {c['function']} | {units} | {c['rows']:,} | {c['cpu_seconds']:.2f} | {c['peak_rss_mb']:.0f} |"
            )
    if "sweep" in results:
        out += ["", "| unit MiB | records | transform CPU-s | wall s | peak RSS MB | files | records/file |"]
        out.append("|---:|---:|---:|---:|---:|---:|---:|")
        for p in results["sweep"]["points"]:
            out.append(
                f"| {p['unit_mib']} | {p['records']:,} | {p['cpu_seconds']:.2f} | {p['wall_seconds']:.2f} "
                f"| {p['peak_rss_mb']:.0f} | {p['files']} | {p['records_per_file']:,} |"
            )
        out += [""] + [f"* {line}" for line in results["sweep"]["sizing"]["arithmetic"]]
    if "local_cloud" in results:
        lc = results["local_cloud"]
        rss = ", ".join(f"{fn} {mb:.0f} MB" for fn, mb in lc["peak_rss_mb"].items() if mb is not None)
        out += [
            "",
            f"Local cloud: {lc['records']:,} records drained in {lc['wall_seconds']:.1f} s "
            f"({lc['records_per_second']:,} records/s, upload to last silver row); Max Memory Used: {rss}.",
        ]
    return "\n".join(out) + "\n"
