"""checkov over infra/terraform: 0 failed checks, and every skip has its written reason.

checkov pins its own boto3, so it lives in .venv-checkov (requirements-checkov.txt), which this
test creates through `make` when it is missing (CHECKOV_BIN may name another binary).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from infra_helpers import REPO_ROOT, TF_ROOT

pytestmark = pytest.mark.infra

CHECKOV_VENV_BIN = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"


def _checkov_binary() -> str:
    if configured := os.environ.get("CHECKOV_BIN"):
        return configured
    if not CHECKOV_VENV_BIN.exists() and shutil.which("make"):
        result = subprocess.run(
            ["make", "-s", ".venv-checkov/.installed"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if result.returncode != 0:
            pytest.skip(f"could not install checkov into .venv-checkov:\n{result.stderr[-2000:]}")
    if not CHECKOV_VENV_BIN.exists():
        pytest.skip("checkov is not installed (make .venv-checkov/.installed)")
    return str(CHECKOV_VENV_BIN)


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    binary = _checkov_binary()
    # Keep checkov's downloads and caches out of the tree; --skip-download keeps it offline.
    home = tmp_path_factory.mktemp("checkov-home")
    result = subprocess.run(
        # stack/ is scanned through the envs that link it (alone, its module path does not resolve).
        [
            binary,
            "-d",
            str(TF_ROOT),
            "--framework",
            "terraform",
            "--skip-download",
            "--compact",
            "-o",
            "json",
            "--skip-path",
            str(TF_ROOT / "stack"),
        ],
        cwd=home,
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.stdout.strip(), result.stderr[-3000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    return terraform


def test_checkov_finds_no_failed_checks(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0, "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 100, "checkov scanned far fewer resources than the stack has"


def test_every_skipped_check_has_a_reason(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    assert skipped
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 30, f"{check['check_id']} in {check['file_path']}: skip without a real reason"


def test_no_skip_is_dead(checkov_report: dict[str, Any]) -> None:
    """Each inline skip suppresses a finding; one that suppresses nothing is stale."""
    used = {(Path(c["file_abs_path"]).resolve(), c["check_id"]) for c in checkov_report["results"]["skipped_checks"]}
    for path in TF_ROOT.rglob("*.tf"):
        for line in path.read_text().splitlines():
            if "#checkov:skip=" in line:
                check_id = line.split("#checkov:skip=")[1].split(":")[0]
                assert (path.resolve(), check_id) in used, f"{path}: skip of {check_id} suppresses nothing"
