"""`python -m bench` (`make bench`): measure the pipeline's handlers and write bench/results/<date>.json.

python -m bench                         # W1-W3 at 1M records, floor, cold import, sweep, 1 GB memory mode
python -m bench --records 20000 --w2-objects 50 --no-memory --sweep-sizes 1,2   # a quick run
python -m bench --local-cloud           # also drain a smaller W1 through the local cloud
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bench import report
from bench.floor import Floor, cold_import, pyarrow_floor
from bench.inprocess import HANDLER_ENV, InProcessPipeline
from bench.meter import EmulatorClock, RequestCounter
from bench.sweep import UNITS_PER_INVOCATION
from bench.workloads import Workload, build_workloads, record_lines, sized_body

ROOT = Path(__file__).resolve().parents[1]

MiB = 1024 * 1024


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--records", type=int, default=1_000_000, help="records per workload (default 1,000,000)")
    p.add_argument("--w2-objects", type=int, default=1000, help="objects in W2 (default 1,000)")
    p.add_argument("--workloads", default="W1,W2,W3", help="comma-separated subset of W1,W2,W3")
    p.add_argument("--work-unit-mib", type=int, help="WORK_UNIT_BYTES for the run, in MiB (default: the config's)")
    p.add_argument("--no-memory", dest="memory", action="store_false", help="skip the 1 GB memory mode")
    p.add_argument("--memory-mib", type=int, default=1024, help="size of the memory-mode object (default 1024 MiB)")
    p.add_argument("--sweep-sizes", default="16,32,64,128,256", help="work-unit sizes to sweep, MiB ('' to skip)")
    p.add_argument("--local-cloud", action="store_true", help="also drain W1 through a throwaway local cloud")
    p.add_argument("--local-cloud-records", type=int, default=100_000, help="records for the local-cloud mode")
    p.add_argument("--import-repeats", type=int, default=5, help="cold imports timed per function (median)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="directory for <date>.json")
    p.add_argument("--json-name", help="file name instead of <date>.json")
    args = p.parse_args(argv)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    unknown = set(args.workloads) - {"W1", "W2", "W3"}
    if unknown:
        p.error(f"unknown workloads {sorted(unknown)}; choose from W1, W2, W3")
    if args.records < args.w2_objects:
        p.error("--records must be at least --w2-objects")
    args.sweep_sizes = [int(s) for s in args.sweep_sizes.split(",") if s.strip()]
    return args


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def _reference_points(args: argparse.Namespace, console: Console, body: bytes, results: dict[str, Any]) -> Floor:
    with console.status("pyarrow floor and cold imports"):
        floor = pyarrow_floor(body)
        results["floor"] = {
            "records": floor.rows,
            "bytes": len(body),
            "cpu_seconds": floor.cpu_seconds,
            "wall_seconds": floor.wall_seconds,
        }
        import_env = {
            **HANDLER_ENV,
            "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
            "IDEMPOTENCY_TABLE": "t",
            "SILVER_BUCKET": "b",
        }
        results["cold_import"] = {
            fn: cold_import(fn, import_env, args.import_repeats) for fn in ("ingest", "transform")
        }
    return floor


def _in_process(workloads: list[Workload], env: dict[str, str], console: Console, floor: Floor) -> dict[str, Any]:
    counter, clock = RequestCounter(), EmulatorClock()
    figures = {}
    for workload in workloads:
        with InProcessPipeline(counter, clock, env).running() as pipeline, _progress(console) as bar:
            task = bar.add_task(f"{workload.name} in-process (moto)", total=workload.records)

            def advance(done: int, bar: Progress = bar, task: TaskID = task) -> None:
                bar.update(task, completed=done)

            run = pipeline.run(workload, progress=advance)
        figures[workload.name] = report.workload_figures(run, workload.description, floor)
    return figures


def _isolated(
    args: argparse.Namespace, env: dict[str, str], console: Console, lines: list[bytes], results: dict[str, Any]
) -> None:
    """Handlers in their own processes: W1 and the memory mode (peak RSS per invocation)."""
    from bench.isolated import IsolatedPipeline

    body = b"".join(lines)
    with console.status("W1 in isolated processes (peak RSS per invocation)"), IsolatedPipeline.running(env) as iso:
        calls = iso.drain(iso.put("bronze/mixed/w1-isolated.jsonl", body))
    results["isolated"] = {"W1": [c.as_dict() for c in calls]}
    if args.memory:
        big, big_records = sized_body(lines, args.memory_mib * MiB)
        with (
            console.status(f"memory mode: one {len(big) / MiB:,.0f} MiB JSONL object"),
            IsolatedPipeline.running(env) as iso,
        ):
            calls = iso.drain(iso.put("bronze/mixed/memory-mode.jsonl", big))
        del big
        results["memory_mode"] = report.memory_figures(calls, args.memory_mib, big_records)


def _sweep(args: argparse.Namespace, console: Console, lines: list[bytes], results: dict[str, Any]) -> None:
    from bench.sweep import choose_sizing, run_sweep

    with _progress(console) as bar:
        task = bar.add_task("work-unit sweep (MiB)", total=len(args.sweep_sizes))
        points = run_sweep(lines, args.sweep_sizes, progress=lambda _: bar.advance(task))
    ingest_rss = max(
        c["peak_rss_mb"]
        for c in results.get("memory_mode", {}).get("invocations", results["isolated"]["W1"])
        if c["function"] == "ingest"
    )
    w1 = results["workloads"].get("W1")
    per_gib = w1["ingest_cpu_seconds"] / (w1["input_bytes"] / 1024**3) if w1 else 1.0
    sizing = choose_sizing(
        points, units_per_invocation=UNITS_PER_INVOCATION, ingest_peak_rss_mb=ingest_rss, ingest_seconds_per_gib=per_gib
    )
    results["sweep"] = {"points": [p.as_dict() for p in points], "sizing": sizing.as_dict()}


def _shown(path: Path) -> str:
    """A path as the results file records it: relative to the repository, so no machine's layout leaks."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(stderr=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),
        "args": {k: (_shown(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    env = {"WORK_UNIT_BYTES": str(args.work_unit_mib * MiB)} if args.work_unit_mib else {}

    with console.status(f"generating {args.records:,} records"):
        lines = record_lines(args.records)
        workloads = build_workloads(lines, small_objects=args.w2_objects, names=tuple(args.workloads))
    floor = _reference_points(args, console, b"".join(lines), results)
    results["workloads"] = _in_process(workloads, env, console, floor)
    if args.memory or args.sweep_sizes:
        _isolated(args, env, console, lines, results)
    if args.sweep_sizes:
        _sweep(args, console, lines, results)
    if args.local_cloud:
        from bench.local_cloud import run_local_cloud

        with console.status(f"local cloud: build, terraform apply, drain {args.local_cloud_records:,} records"):
            results["local_cloud"] = run_local_cloud(lines[: args.local_cloud_records])

    results["cost"] = report.cost_figures(results)
    results["targets"] = report.targets(results)
    results["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / (args.json_name or f"{datetime.now(UTC):%Y-%m-%d}.json")
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    path.with_suffix(".md").write_text(report.markdown(results))
    report.print_tables(results, Console())
    console.print(f"wrote {path} in {results['elapsed_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
