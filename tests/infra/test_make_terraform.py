"""mk/terraform.mk: one place finds the offline provider mirror and prepares the plugin cache for
every target (issue 15, finding 8), and dev/prod say loudly where their state lives (finding 6)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from infra_helpers import ENVS_DIR, REPO_ROOT, plugin_dir

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not on PATH"),
]


def make(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TF_PLUGIN", "MAKE", "MFLAGS"))}
    return subprocess.run(
        ["make", "-s", "--no-print-directory", *args],
        cwd=REPO_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_target_prepares_the_plugin_cache(tmp_path: Path) -> None:
    """Terraform refuses to init when TF_PLUGIN_CACHE_DIR names a missing directory; make exports
    it to every target (tests and throwaway stacks run terraform too), so it creates it for all."""
    cache = tmp_path / "plugin-cache"
    result = make("help", TF_PLUGIN_DIR="none", TF_PLUGIN_CACHE_DIR=str(cache))
    assert result.returncode == 0, result.stderr
    assert cache.is_dir()


def test_make_and_the_infra_tests_find_the_same_mirror() -> None:
    found = make("tf-mirror").stdout.strip()
    script = subprocess.run([str(REPO_ROOT / "scripts" / "find_tf_mirror.sh")], capture_output=True, text=True)
    assert found == (script.stdout.strip() or "none")
    if "TF_PLUGIN_DIR" not in os.environ:
        assert plugin_dir() == (None if found == "none" else found)
    # A mirror given explicitly wins, and is passed on as it is.
    assert make("tf-mirror", TF_PLUGIN_DIR="/given/mirror").stdout.strip() == "/given/mirror"


def _env_copy(tmp_path: Path, env: str) -> Path:
    copy = tmp_path / env
    copy.mkdir()
    for name in ("main.tf", "backend.tf"):
        shutil.copy(ENVS_DIR / env / name, copy / name)
    return copy


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_local_state_is_said_out_loud(env: str, tmp_path: Path) -> None:
    result = make("tf-backend-check", f"ENV={env}", f"TF_DIR={_env_copy(tmp_path, env)}", TF_PLUGIN_DIR="none")
    assert result.returncode == 0, result.stderr
    assert f"NOTE: ENV={env} keeps its Terraform state LOCAL" in result.stdout


def test_backend_settings_without_the_backend_block_stop_init(tmp_path: Path) -> None:
    """Terraform ignores -backend-config without a backend block: state would silently stay local."""
    copy = _env_copy(tmp_path, "dev")
    (copy / "backend.hcl").write_text('bucket = "state"\n')
    result = make("tf-backend-check", "ENV=dev", f"TF_DIR={copy}", TF_PLUGIN_DIR="none")
    assert result.returncode != 0
    assert "backend block in backend.tf is commented out" in result.stderr


def test_an_s3_backend_is_not_announced_as_local(tmp_path: Path) -> None:
    copy = _env_copy(tmp_path, "dev")
    (copy / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    (copy / "backend.hcl").write_text('bucket = "state"\n')
    result = make("tf-backend-check", "ENV=dev", f"TF_DIR={copy}", TF_PLUGIN_DIR="none")
    assert result.returncode == 0, result.stderr
    assert "LOCAL" not in result.stdout
