"""``python -m chaos``: seeded chaos runs, a table of their outcomes, non-zero exit on any loss."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import Counter
from collections.abc import Sequence

from chaos.faults import (
    COMMIT_CRASH,
    CRASHES,
    RETRACTION_CRASH,
    TAKEOVER_CRASH_AFTER_ABORT,
    TAKEOVER_CRASH_AFTER_DELETE,
    UPLOAD_CRASH,
    FaultPlan,
)
from chaos.run import RunReport, run_once

COLUMNS = (
    ("run", "run"),
    ("seed", "seed"),
    ("records", "records"),
    ("units", "units"),
    ("faults", "faults injected"),
    ("retraction_crashes", "crashes after retraction"),
    ("upload_crashes", "crashes after upload"),
    ("commit_crashes", "crashes after commit"),
    ("takeover_crashes", "crashes in takeover"),
    ("takeovers", "takeovers"),
    ("live_replay_units", "replay units next to live"),
    ("overwrite_replay_units", "replay units overwritten"),
    ("redeliveries", "redeliveries"),
    ("redrives", "redrives"),
    ("silver_rows", "silver rows"),
    ("quarantined", "quarantined"),
    ("dlq", "DLQ (explained)"),
    ("superseded_lines", "superseded lines"),
    ("lost", "lost"),
    ("duplicated", "duplicated"),
    ("stale", "stale"),
    ("replay_mismatches", "changed by replay"),
    ("seconds", "seconds"),
)
#: Columns summed in the totals row.
TOTALS = (
    "records",
    "units",
    "faults",
    "retraction_crashes",
    "upload_crashes",
    "commit_crashes",
    "takeover_crashes",
    "takeovers",
    "live_replay_units",
    "overwrite_replay_units",
    "redeliveries",
    "redrives",
    "silver_rows",
    "quarantined",
    "superseded_lines",
    "lost",
    "duplicated",
    "stale",
    "replay_mismatches",
    "seconds",
)


def _values(report: RunReport) -> dict[str, float]:
    values: dict[str, float] = {name: getattr(report, name, 0) for name, _ in COLUMNS if hasattr(report, name)}
    values["faults"] = sum(report.faults.values())
    values["retraction_crashes"] = report.faults[RETRACTION_CRASH]
    values["upload_crashes"] = report.faults[UPLOAD_CRASH]
    values["commit_crashes"] = report.faults[COMMIT_CRASH]
    values["takeover_crashes"] = report.faults[TAKEOVER_CRASH_AFTER_ABORT] + report.faults[TAKEOVER_CRASH_AFTER_DELETE]
    values["takeovers"] = report.events["takeovers"]
    return values


def _cells(report: RunReport) -> dict[str, str]:
    cells = {name: str(value) for name, value in _values(report).items()}
    cells["dlq"] = f"{report.dlq_explained + report.dlq_unexplained} ({report.dlq_explained})"
    cells["seconds"] = f"{report.seconds:.1f}"
    return cells


def format_table(reports: Sequence[RunReport]) -> str:
    """A Markdown table, one row per run, plus a totals row."""
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cells(r).get(name, "") for name, _ in COLUMNS) + " |" for r in reports]
    total = {name: "" for name, _ in COLUMNS}
    total["run"] = "**all**"
    for name in TOTALS:
        value = sum(_values(r)[name] for r in reports)
        total[name] = f"**{value:.0f}**"
    lines.append("| " + " | ".join(total[name] for name, _ in COLUMNS) + " |")
    return "\n".join(lines)


def describe(report: RunReport) -> str:
    def listed(counter: Counter[str]) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(counter.items())) or "none"

    crashes = Counter({kind: report.faults[kind] for kind in CRASHES if report.faults[kind]})
    lines = [
        f"run {report.run} (seed {report.seed}): {report.records} records, lost {report.lost}, duplicated "
        f"{report.duplicated}, stale {report.stale}, changed by the final replay {report.replay_mismatches}",
        f"  faults: {listed(report.faults)}",
        f"  crash points: {listed(crashes)}; transform crashes by batch phase: {listed(report.crash_phases)}",
        f"  takeovers {report.events['takeovers']}, lease expiries {report.lease_expiries}, redrives "
        f"{report.redrives}; unit verdicts: {listed(report.verdicts)}",
        f"  replays: {report.live_replay_units} units next to live traffic, {report.overwrite_replay_units} "
        f"overwritten in flight, {report.replayed_units} in the final replay; DLQ: {listed(report.dlq_reasons)}",
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
    parser.add_argument("--takeover-crash-rate", type=float, default=FaultPlan.takeover_crash_rate,
                        help="share of takeovers of a dead batch that crash the taking invocation")  # fmt: skip
    parser.add_argument("--retraction-crash-rate", type=float, default=FaultPlan.retraction_crash_rate,
                        help="share of retraction rewrites right after which the invocation crashes")  # fmt: skip
    args = parser.parse_args(argv)
    # A handler whose invocation was killed before it added a metric flushes none: expected here.
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    plan = FaultPlan(
        args.error_rate, args.lost_response_rate, args.crash_rate, args.crash_rate, args.timeout_rate,
        args.takeover_crash_rate, args.retraction_crash_rate,
    )  # fmt: skip
    reports = []
    for run in range(args.runs):
        report = run_once(run, args.seed + run, args.records, plan, units=args.units)
        print(describe(report), flush=True)
        reports.append(report)
    print()
    print(format_table(reports))
    failed = [r.run for r in reports if not r.ok]
    if failed:
        why = (
            "lost, duplicated, misrouted or kept stale records, changed silver by a replay, or left unexplained "
            "DLQ messages, orphaned claims or uncommitted files"
        )
        print(f"\nFAILED: runs {failed} {why}", file=sys.stderr)
        return 1
    records = sum(r.records for r in reports)
    seconds = sum(r.seconds for r in reports)
    print(f"\n{len(reports)} runs, {records} records: 0 lost, 0 duplicated, 0 stale ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
