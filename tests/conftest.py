"""Suite-wide wiring: tier markers from the directory, and a per-tier summary at the end."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

TIERS = ("unit", "integration", "e2e", "infra")
_outcomes: dict[str, Counter[str]] = {tier: Counter() for tier in TIERS}


def _tier(path: Path) -> str | None:
    parts = path.parts
    return next((t for t in TIERS if t in parts), None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = _tier(Path(item.fspath))
        if tier:
            item.add_marker(getattr(pytest.mark, tier))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = _tier(Path(report.fspath))
    if tier is None:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _outcomes[tier][report.outcome] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("test tiers")
    for tier in TIERS:
        counts = _outcomes[tier]
        if counts:
            detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            terminalreporter.write_line(f"{tier:12s} ran: {detail}")
        else:
            terminalreporter.write_line(f"{tier:12s} did not run (no tests collected for this tier)")
