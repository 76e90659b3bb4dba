"""``python -m chaos``: seeded chaos runs, a table of their outcomes, non-zero exit on any loss."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from chaos.faults import FaultPlan
from chaos.run import RunReport, run_once

COLUMNS = (
    ("run", "run"),
    ("seed", "seed"),
    ("records", "records"),
    ("units", "units"),
    ("faults", "faults injected"),
    ("redeliveries", "redeliveries"),
    ("silver_rows", "silver rows"),
    ("quarantined", "quarantined"),
    ("dlq", "DLQ (explained)"),
    ("superseded_lines", "superseded lines"),
    ("lost", "lost"),
    ("duplicated", "duplicated"),
    ("seconds", "seconds"),
)


def _cells(report: RunReport) -> dict[str, str]:
    values = {name: str(getattr(report, name, "")) for name, _ in COLUMNS}
    values["faults"] = str(sum(report.faults.values()))
    values["dlq"] = f"{report.dlq_explained + report.dlq_unexplained} ({report.dlq_explained})"
    values["seconds"] = f"{report.seconds:.1f}"
    return values


def format_table(reports: Sequence[RunReport]) -> str:
    """A Markdown table, one row per run, plus a totals row."""
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cells(r)[name] for name, _ in COLUMNS) + " |" for r in reports]
    total = {name: "" for name, _ in COLUMNS}
    total["run"] = "**all**"
    for name in (
        "records",
        "units",
        "redeliveries",
        "silver_rows",
        "quarantined",
        "superseded_lines",
        "lost",
        "duplicated",
    ):
        total[name] = f"**{sum(getattr(r, name) for r in reports)}**"
    total["faults"] = f"**{sum(sum(r.faults.values()) for r in reports)}**"
    lines.append("| " + " | ".join(total[name] for name, _ in COLUMNS) + " |")
    return "\n".join(lines)


def describe(report: RunReport) -> str:
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(report.faults.items())) or "none"
    dlq = ", ".join(f"{reason}: {n}" for reason, n in sorted(report.dlq_reasons.items())) or "empty"
    lines = [
        f"run {report.run} (seed {report.seed}): faults: {faults}; DLQ: {dlq}; replayed units {report.replayed_units}"
    ]
    lines += [f"  PROBLEM {p}" for p in report.problems[:20]]
    if len(report.problems) > 20:
        lines.append(f"  ... and {len(report.problems) - 20} more")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="seeded runs (default 10)")
    parser.add_argument("--records", type=int, default=50_000, help="records per run (default 50000)")
    parser.add_argument("--units", type=int, default=60, help="line-aligned work units per run (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first run; run i uses seed + i (default 1)")
    parser.add_argument("--error-rate", type=float, default=FaultPlan.error_rate, help="share of AWS calls failing")
    parser.add_argument("--lost-response-rate", type=float, default=FaultPlan.lost_response_rate)
    parser.add_argument("--crash-rate", type=float, default=FaultPlan.transform_crash_rate,
                        help="share of ingest and of transform invocations that crash")  # fmt: skip
    parser.add_argument("--timeout-rate", type=float, default=FaultPlan.timeout_rate)
    args = parser.parse_args(argv)
    # A handler whose invocation was killed before it added a metric flushes none: expected here.
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    plan = FaultPlan(args.error_rate, args.lost_response_rate, args.crash_rate, args.crash_rate, args.timeout_rate)
    reports = []
    for run in range(args.runs):
        report = run_once(run, args.seed + run, args.records, plan, units=args.units)
        print(describe(report), flush=True)
        reports.append(report)
    print()
    print(format_table(reports))
    failed = [r.run for r in reports if not r.ok]
    if failed:
        print(f"\nFAILED: runs {failed} lost, duplicated or misrouted records, or left unexplained DLQ messages "
              "or orphaned claims", file=sys.stderr)  # fmt: skip
        return 1
    print(f"\n{len(reports)} runs: 0 lost, 0 duplicated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
