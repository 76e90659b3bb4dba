"""Fixtures of the Terraform tests (helpers in infra_helpers.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra_helpers import (
    ENVS,
    ENVS_DIR,
    MODULES,
    MODULES_DIR,
    Config,
    InitializedDirs,
    Terraform,
    load_config,
    parse_hcl,
    plugin_dir,
)


@pytest.fixture(scope="session")
def module_configs() -> dict[str, Config]:
    return {name: load_config(MODULES_DIR / name) for name in MODULES}


@pytest.fixture(scope="session")
def env_configs() -> dict[str, Config]:
    return {name: load_config(ENVS_DIR / name) for name in ENVS}


@pytest.fixture(scope="session")
def env_tfvars() -> dict[str, dict[str, Any]]:
    return {name: parse_hcl(ENVS_DIR / name / "terraform.tfvars") for name in ENVS}


@pytest.fixture(scope="session")
def terraform() -> Terraform:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not on PATH")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if plugin_dir() is None:
        cache = Path(env.get("TF_PLUGIN_CACHE_DIR") or Path.home() / ".terraform.d" / "plugin-cache")
        cache.mkdir(parents=True, exist_ok=True)
        env["TF_PLUGIN_CACHE_DIR"] = str(cache)
    return Terraform(binary, env)


@pytest.fixture(scope="session")
def initialized(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InitializedDirs]:
    dirs = InitializedDirs(terraform, tmp_path_factory.mktemp("tf-data"))
    yield dirs
    dirs.restore_lock_files()
