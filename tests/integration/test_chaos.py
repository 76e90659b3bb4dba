"""The chaos harness in CI: two small seeded runs, and proof that its reconciliation has teeth.

`make chaos` runs the full version (10 runs x 50,000 records); here two runs of a couple of
thousand records meet the same faults and crash points: one with an unversioned bronze bucket
(an overwritten object's old bytes are gone) and one versioned (they stay readable). On both the
newest version of a key supersedes the old one, whose lines must all have left silver.
"""

from __future__ import annotations

from typing import Any

import pytest

from chaos.__main__ import describe, format_table
from chaos.faults import (
    COMMIT_CRASH,
    RETRACTION_CRASH,
    TAKEOVER_CRASH_AFTER_ABORT,
    TAKEOVER_CRASH_AFTER_DELETE,
    UPLOAD_CRASH,
    FaultPlan,
)
from chaos.run import RunReport, run_once
from elt import silver
from elt.ledger import Claim, Ledger

# A killed invocation flushes no metrics, and Powertools warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

RECORDS = 2000
UNITS = 16
#: More crashes than `make chaos` defaults so that a small run still meets every crash point.
CI_PLAN = FaultPlan(
    error_rate=0.02,
    lost_response_rate=0.015,
    ingest_crash_rate=0.2,
    transform_crash_rate=0.25,
    timeout_rate=0.1,
    takeover_crash_rate=0.5,
    retraction_crash_rate=0.25,
)


@pytest.fixture(scope="module")
def ci_runs() -> list[RunReport]:
    reports = [run_once(run, seed=100 + run, records=RECORDS, plan=CI_PLAN, units=UNITS) for run in range(2)]
    print("\n" + format_table(reports))
    print("\n".join(describe(r) for r in reports))
    return reports


def test_two_seeded_runs_lose_duplicate_and_keep_nothing_stale(ci_runs: list[RunReport]) -> None:
    for report in ci_runs:
        assert report.problems == [], report.problems[:20]
        assert (report.lost, report.duplicated, report.stale, report.misrouted) == (0, 0, 0, 0)
        assert report.orphaned_claims == 0 and report.dlq_unexplained == 0 and report.uncommitted_files == 0
        assert report.silver_rows == report.expected_rows > 0.9 * (report.records - report.superseded_lines)
        assert report.quarantined == report.expected_quarantined > 0
        assert report.redeliveries > 0 and report.dlq_reasons["planted poison message"] == 2
        assert report.ok


def test_the_runs_met_every_fault_and_crash_point(ci_runs: list[RunReport]) -> None:
    faults = set().union(*(r.faults for r in ci_runs))
    assert {"throttled", "5xx", "lost response", "ingest crash", "lambda timeout"} <= faults
    assert {
        RETRACTION_CRASH,
        UPLOAD_CRASH,
        COMMIT_CRASH,
        TAKEOVER_CRASH_AFTER_ABORT,
        TAKEOVER_CRASH_AFTER_DELETE,
    } <= faults
    # Uploads crashed between the batch's prepare and its commit; dead batches were taken over.
    assert sum(r.crash_phases["upload"] for r in ci_runs) >= sum(r.faults[UPLOAD_CRASH] for r in ci_runs)
    assert all(r.events["takeovers"] > 0 and r.lease_expiries > 0 for r in ci_runs)
    assert all(r.verdicts["busy"] > 0 and r.verdicts["done"] > 0 for r in ci_runs)


def test_replays_next_to_live_traffic_and_overwritten_in_flight(ci_runs: list[RunReport]) -> None:
    for report in ci_runs:
        assert report.live_replay_units > 0 and report.overwrite_replay_units > 0
        # The final replay recomputed silver in place: row for row the same.
        assert report.replayed_units > 0 and report.replay_mismatches == 0
        # Two keys were overwritten: the old versions' units were answered superseded, their
        # lines (and any rows written before the overwrite) are gone from silver.
        assert report.superseded_lines > 0 and report.stale == 0
        assert report.verdicts["superseded"] > 0


def _outcome(report: RunReport) -> dict[str, Any]:
    return {k: v for k, v in report.__dict__.items() if k not in ("seconds", "problems")}


def test_same_seed_same_faults_same_outcome() -> None:
    # Every decision is seeded or on the driver's virtual clock (leases, claim expiry, batch ids):
    # two runs of one seed take the same course however loaded the machine is — all faults on.
    first, second = (run_once(0, seed=7, records=1000, plan=CI_PLAN, units=8) for _ in range(2))
    assert sum(first.faults.values()) > 0 and first.ok
    assert _outcome(first) == _outcome(second)


def test_reconciliation_reports_duplicates_when_redeliveries_are_claimed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ledger that lets every delivery claim its unit again doubles rows on redelivery."""
    monkeypatch.setattr(Ledger, "_same_version", lambda self, unit, batch_id, old: Claim(unit, "claimed"))
    report = run_once(0, seed=11, records=1000, plan=FaultPlan.none(), units=8)
    assert report.duplicated > 0 and not report.ok
    assert any("rows +" in problem for problem in report.problems)


def test_reconciliation_reports_losses_when_a_partition_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A transform that silently skips a partition file loses its rows."""
    close = silver.BatchWriters.close

    def close_dropping_one(self: silver.BatchWriters) -> dict[tuple[str, str], str]:
        files = close(self)
        return dict(sorted(files.items())[1:])

    monkeypatch.setattr(silver.BatchWriters, "close", close_dropping_one)
    report = run_once(0, seed=12, records=1000, plan=FaultPlan.none(), units=8)
    assert report.lost > 0 and not report.ok


def test_reconciliation_reports_stale_rows_when_an_overwrite_retracts_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ledger that switches a key to its new version without retracting the old rows leaves
    superseded lines in silver."""
    other_version = Ledger._other_version

    def without_retractions(self: Ledger, *args: Any) -> Claim:
        claim = other_version(self, *args)
        claim.retractions.clear()
        return claim

    monkeypatch.setattr(Ledger, "_other_version", without_retractions)
    report = run_once(1, seed=13, records=1000, plan=FaultPlan.none(), units=8)
    assert report.stale > 0 and not report.ok
