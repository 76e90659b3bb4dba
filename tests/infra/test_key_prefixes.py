"""The key prefixes Terraform deploys are the ones ``elt.layout`` builds and parses keys with."""

from __future__ import annotations

import re
from pathlib import Path

from elt import layout

PIPELINE = Path(__file__).resolve().parents[2] / "infra" / "terraform" / "modules" / "pipeline"


def _locals() -> dict[str, str]:
    text = "\n".join(p.read_text() for p in sorted(PIPELINE.glob("*.tf")))
    return dict(re.findall(r'^\s*(\w+_prefix)\s*=\s*"([^"$]*)"', text, flags=re.M))


def test_terraform_prefixes_match_the_layout_module() -> None:
    found = _locals()
    assert found.get("bronze_prefix") == layout.BRONZE_PREFIX
    assert found.get("silver_prefix") == layout.SILVER_PREFIX
    assert found.get("quarantine_prefix") == layout.QUARANTINE_PREFIX
    assert found.get("ge_results_prefix") == layout.GE_RESULTS_PREFIX
    assert found.get("stream_error_prefix") == layout.STREAM_ERROR_PREFIX


def test_derived_prefixes_match_the_layout_module() -> None:
    text = "\n".join(p.read_text() for p in sorted(PIPELINE.glob("*.tf")))
    assert re.search(r'replay_prefix\s*=\s*"\$\{local\.bronze_prefix\}replay/"', text)
    assert f"{layout.BRONZE_PREFIX}replay/" == layout.REPLAY_PREFIX
    assert '"${local.quarantine_prefix}/_ge_gate"' in text
    assert f"{layout.QUARANTINE_PREFIX}/_ge_gate" == layout.GATE_MARKER_PREFIX
