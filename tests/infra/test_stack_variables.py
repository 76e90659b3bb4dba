"""The env interface (infra/terraform/stack/variables.tf) and modules/pipeline declare their shared
variables once in substance: same type, default, nullability and description, each passed through.

The stack re-declares the module's inputs because a root module cannot inherit them; this test is
what keeps the two copies from drifting apart (the module's text is the reference).
"""

from __future__ import annotations

from typing import Any

import pytest
from infra_helpers import MODULES_DIR, TF_ROOT, Config, load_config

pytestmark = pytest.mark.infra

STACK_DIR = TF_ROOT / "stack"
#: Read by the envs' providers.tf, not by the pipeline module.
STACK_ONLY = {"aws_region"}
#: What must agree. A missing key is compared as missing: a default in one copy only differs.
COMPARED = ("type", "default", "nullable", "description")


class _Missing:
    def __repr__(self) -> str:
        return "<not set>"


MISSING = _Missing()


@pytest.fixture(scope="module")
def stack() -> Config:
    return load_config(STACK_DIR)


@pytest.fixture(scope="module")
def pipeline() -> Config:
    return load_config(MODULES_DIR / "pipeline")


def _shared(stack: Config, pipeline: Config) -> list[str]:
    return [name for name in stack.variables if name in pipeline.variables]


def _differences(ours: dict[str, Any], reference: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        key: (ours.get(key, MISSING), reference.get(key, MISSING))
        for key in COMPARED
        if ours.get(key, MISSING) != reference.get(key, MISSING)
    }


def test_the_stack_declares_only_pipeline_inputs(stack: Config, pipeline: Config) -> None:
    extra = set(stack.variables) - set(pipeline.variables) - STACK_ONLY
    assert not extra, f"stack/variables.tf declares variables the pipeline module does not have: {sorted(extra)}"
    assert len(_shared(stack, pipeline)) > 40


def test_shared_variables_agree_with_the_pipeline_module(stack: Config, pipeline: Config) -> None:
    drift = {
        name: diff
        for name in _shared(stack, pipeline)
        if (diff := _differences(stack.variables[name], pipeline.variables[name]))
    }
    lines = [
        f"  {name}.{key}: stack {ours!r} != pipeline {reference!r}"
        for name, diff in drift.items()
        for key, (ours, reference) in diff.items()
    ]
    assert not drift, "stack/variables.tf differs from modules/pipeline/variables.tf:\n" + "\n".join(lines)


def test_the_comparison_sees_a_difference() -> None:
    """Guards the check above: a changed description, a default in one copy only, a changed type."""
    reference = {"type": "number", "default": 5, "nullable": False, "description": "Receives."}
    assert not _differences(dict(reference), reference)
    assert set(_differences({**reference, "description": "Other."}, reference)) == {"description"}
    assert set(_differences({k: v for k, v in reference.items() if k != "default"}, reference)) == {"default"}
    assert set(_differences({**reference, "default": None}, reference)) == {"default"}
    assert set(_differences({**reference, "type": "string"}, reference)) == {"type"}


def test_shared_variables_are_passed_to_the_pipeline(stack: Config, pipeline: Config) -> None:
    call = stack.modules["pipeline"]
    for name in _shared(stack, pipeline):
        assert call.get(name) == f"${{var.{name}}}", f"stack/main.tf does not pass var.{name} to the pipeline"


def test_the_bench_drains_in_the_deployed_batches(pipeline: Config) -> None:
    """The bench's event source mapping takes batches of Terraform's esm_batch_size: its W2 files
    per partition and requests are what a deployment gets."""
    from bench.inprocess import ESM_BATCH_SIZE

    assert pipeline.variables["esm_batch_size"]["default"] == ESM_BATCH_SIZE
