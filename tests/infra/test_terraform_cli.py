"""terraform fmt, validate (every env) and the offline `terraform test` of the pipeline module."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from infra_helpers import ENVS, ENVS_DIR, MODULES_DIR, REPO_ROOT, TF_ROOT, InitializedDirs, Terraform

pytestmark = pytest.mark.infra

PIPELINE_DIR = MODULES_DIR / "pipeline"


def test_terraform_code_is_formatted(terraform: Terraform, tmp_path: Path) -> None:
    result = terraform.run(TF_ROOT, "fmt", "-check", "-recursive", "-diff", "-no-color", data_dir=tmp_path)
    assert result.returncode == 0, f"run `make tf-fmt`:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("env", ENVS)
def test_env_validates(env: str, terraform: Terraform, initialized: InitializedDirs) -> None:
    config_dir = ENVS_DIR / env
    data_dir = initialized(config_dir)
    result = terraform.run(config_dir, "validate", "-json", "-no-color", data_dir=data_dir)
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
    assert report["error_count"] == 0
    # Deprecations and the like surface as warnings: keep the code free of them.
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=2)


def _pipeline_test_inputs(tmp_path: Path) -> list[str]:
    """-var arguments for inputs the repository may not hold yet (build output, later features).

    Whatever exists in the repository is used as is, so that e.g. a real ASL template is
    rendered by the test once it lands.
    """
    artifacts = tmp_path / "build"
    artifacts.mkdir()
    for name in ("ingest", "transform", "workflows_replay", "workflows_progress", "glue_libs"):
        (artifacts / f"{name}.zip").write_bytes(b"placeholder: the provider is mocked")
    args = ["-var", f"artifacts_dir={artifacts}"]

    runtime = REPO_ROOT / "lambdas" / "runtime.json"
    if not runtime.is_file():
        runtime = tmp_path / "runtime.json"
        runtime.write_text('{"runtime": "python3.11", "architecture": "x86_64"}')
        args += ["-var", f"runtime_config_path={runtime}"]

    scripts = REPO_ROOT / "glue" / "jobs"
    if not all((scripts / name).is_file() for name in ("compact_silver.py", "ge_validate_silver.py")):
        scripts = tmp_path / "glue_jobs"
        scripts.mkdir()
        for name in ("compact_silver.py", "ge_validate_silver.py"):
            repo_script = REPO_ROOT / "glue" / "jobs" / name
            (scripts / name).write_text(repo_script.read_text() if repo_script.is_file() else "# placeholder\n")
        args += ["-var", f"glue_scripts_dir={scripts}"]

    for variable, module in (
        ("ops_definition_template_path", "workflow_ops"),
        ("ge_definition_template_path", "workflow_ge_gate"),
    ):
        if not (MODULES_DIR / module / "definition.asl.json.tftpl").is_file():
            template = tmp_path / f"{module}.asl.json.tftpl"
            template.write_text('{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}')
            args += ["-var", f"{variable}={template}"]
    return args


def test_pipeline_plans_and_applies_against_a_mocked_provider(
    terraform: Terraform, initialized: InitializedDirs, tmp_path: Path
) -> None:
    """modules/pipeline/tests/*.tftest.hcl: toggles off/on, wiring, IAM scope, external queue."""
    data_dir = initialized(PIPELINE_DIR)
    result = terraform.run(
        PIPELINE_DIR, "test", "-no-color", *_pipeline_test_inputs(tmp_path), data_dir=data_dir, timeout=600
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = re.search(r"(\d+) passed, (\d+) failed", output)
    assert summary, output
    assert int(summary.group(1)) >= 3 and summary.group(2) == "0", output
