"""Shared helpers of the Terraform tests: paths, the terraform CLI, HCL parsing.

Terraform runs with a throwaway TF_DATA_DIR per configuration, so the tree gets no `.terraform/`.
`terraform init` also writes `.terraform.lock.hcl` next to the configuration; a lock file that
was there before is restored afterwards and one that was not is removed. The provider comes from
the offline mirror that scripts/find_tf_mirror.sh names (TF_PLUGIN_DIR, or one found on this
machine: the search `make` and .ci/run use), else from the registry (shared plugin cache).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2 import SerializationOptions

REPO_ROOT = Path(__file__).resolve().parents[2]
TF_ROOT = REPO_ROOT / "infra" / "terraform"
MODULES_DIR = TF_ROOT / "modules"
ENVS_DIR = TF_ROOT / "envs"

ENVS = sorted(p.name for p in ENVS_DIR.iterdir() if (p / "main.tf").is_file())
MODULES = sorted(p.name for p in MODULES_DIR.iterdir() if p.is_dir())

# Feature toggles of the envs (bool tfvars) and what each one creates in modules/pipeline.
TOGGLES = (
    "ops_enabled",
    "ops_schedule_enabled",
    "glue_enabled",
    "glue_job_enabled",
    "ge_enabled",
    "ge_workflow_enabled",
    "ge_eventbridge_enabled",
    "ge_emit_events_from_transform",
    "ge_quarantine_enabled",
    "observability_enabled",
    "athena_enabled",
    "redshift_enabled",
)

_HCL_OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True, preserve_heredocs=False
)


# ------------------------------------------------------------------------------------------------
# HCL
# ------------------------------------------------------------------------------------------------


def parse_hcl(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_HCL_OPTIONS)


@dataclass
class Config:
    """The blocks of one Terraform directory (all its .tf files), keyed by their labels."""

    path: Path
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    providers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    terraform: list[dict[str, Any]] = field(default_factory=list)

    def resources_of(self, rtype: str) -> dict[str, dict[str, Any]]:
        return {name: body for (t, name), body in self.resources.items() if t == rtype}


def _typed_blocks(doc: dict[str, Any], kind: str) -> dict[tuple[str, str], Any]:
    """``resource``/``data`` blocks by (type, name)."""
    return {
        (type_, name): body
        for block in doc.get(kind, [])
        for type_, named in block.items()
        for name, body in named.items()
    }


def load_config(path: Path) -> Config:
    config = Config(path)
    for tf in sorted(path.glob("*.tf")):
        doc = parse_hcl(tf)
        config.resources.update(_typed_blocks(doc, "resource"))
        config.data.update(_typed_blocks(doc, "data"))
        for block in doc.get("module", []):
            config.modules.update(block)
        for block in doc.get("variable", []):
            config.variables.update(block)
        for block in doc.get("output", []):
            config.outputs.update(block)
        for block in doc.get("locals", []):
            config.locals.update(block)
        for block in doc.get("provider", []):
            config.providers.extend(block.items())
        config.terraform.extend(doc.get("terraform", []))
    return config


# ------------------------------------------------------------------------------------------------
# terraform CLI
# ------------------------------------------------------------------------------------------------


def plugin_dir() -> str | None:
    """The offline provider mirror, or None (the registry). Under make, TF_PLUGIN_DIR already
    holds mk/terraform.mk's answer ("none" when there is no mirror); run directly, the tests ask
    the same script."""
    configured = os.environ.get("TF_PLUGIN_DIR", "")
    if configured:
        return configured if Path(configured).is_dir() else None
    return _found_mirror()


@cache
def _found_mirror() -> str | None:
    script = REPO_ROOT / "scripts" / "find_tf_mirror.sh"
    found = subprocess.run([str(script)], capture_output=True, text=True, timeout=120).stdout.strip()
    return found or None


@dataclass
class Terraform:
    binary: str
    env: dict[str, str]

    def run(self, config_dir: Path, *args: str, data_dir: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "TF_DATA_DIR": str(data_dir)}
        return subprocess.run(
            [self.binary, f"-chdir={config_dir}", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


class InitializedDirs:
    """`terraform init -backend=false` once per configuration directory, in a temp data dir."""

    def __init__(self, terraform: Terraform, tmp_root: Path) -> None:
        self._terraform = terraform
        self._tmp_root = tmp_root
        self._data_dirs: dict[Path, Path] = {}
        self._locks: dict[Path, bytes | None] = {}

    def __call__(self, config_dir: Path) -> Path:
        if config_dir in self._data_dirs:
            return self._data_dirs[config_dir]
        lock = config_dir / ".terraform.lock.hcl"
        self._locks.setdefault(lock, lock.read_bytes() if lock.exists() else None)
        data_dir = self._tmp_root / config_dir.relative_to(TF_ROOT).as_posix().replace("/", "_")
        args = ["init", "-backend=false", "-input=false", "-no-color"]
        if mirror := plugin_dir():
            args.append(f"-plugin-dir={mirror}")
        result = self._terraform.run(config_dir, *args, data_dir=data_dir, timeout=600)
        if result.returncode != 0:
            if plugin_dir() is None:
                pytest.skip(
                    "terraform init could not install the AWS provider from the registry and "
                    f"TF_PLUGIN_DIR names no offline mirror:\n{result.stderr[-2000:]}"
                )
            pytest.fail(f"terraform init failed in {config_dir}:\n{result.stdout}\n{result.stderr}")
        self._data_dirs[config_dir] = data_dir
        return data_dir

    def restore_lock_files(self) -> None:
        for lock, content in self._locks.items():
            if content is None:
                lock.unlink(missing_ok=True)
            else:
                lock.write_bytes(content)
