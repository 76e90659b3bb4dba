"""The local cloud, deployed by the real Terraform, for end-to-end tests.

One session: start the emulator on a free port with a throwaway state dir, build the Lambda
zips, `terraform apply` infra/terraform/envs/local against it, hand the outputs to the tests,
and always stop the emulator (and its workers) at the end, even on failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts.stack import wait_for

ROOT = Path(__file__).resolve().parents[2]
#: Glue job runs (and Step Functions tasks that start them) execute on local Spark.
needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="java is not on PATH: Glue runs execute on local Spark, which needs Java 17"
)
ENV_DIR = ROOT / "infra" / "terraform" / "envs" / "local"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], env: dict[str, str], cwd: Path = ROOT, timeout: int = 900) -> str:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return out.stdout


@dataclass
class LocalStack:
    endpoint: str
    outputs: dict[str, Any]
    state_dir: Path
    #: Environment that points the project's CLIs (scripts.stack, make targets) at this stack.
    env: dict[str, str] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip

    def wait_for(self, check: Callable[[], Any], timeout: float = 90, what: str = "condition") -> Any:
        """Poll ``check``; on timeout fail with the function logs, which say why."""
        try:
            return wait_for(check, timeout, what)
        except TimeoutError as exc:
            logs = "\n".join(p.read_text()[-3000:] for p in (self.state_dir / "logs").glob("*.log"))
            raise AssertionError(f"{exc}\n--- function logs ---\n{logs}") from None


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not on PATH: the e2e tier applies the real Terraform to the local cloud")
    work = tmp_path_factory.mktemp("localcloud")
    port = _free_port()
    env = {
        **os.environ,
        "LOCAL_PORT": str(port),
        "LOCAL_STATE_DIR": str(work / "state"),
        "TF_DATA_DIR": str(work / "tfdata"),
        "TF_IN_AUTOMATION": "1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    # A private build dir: concurrent sessions never read each other's half-written zips.
    artifacts = work / "build"
    _run([sys.executable, "scripts/build_lambdas.py", "--out", str(artifacts)], env)
    _run([sys.executable, "-m", "localcloud", "up"], env)
    try:
        init = ["terraform", f"-chdir={ENV_DIR}", "init", "-input=false", "-no-color"]
        plugin_dir = os.environ.get("TF_PLUGIN_DIR")
        if plugin_dir and Path(plugin_dir).is_dir():
            init.append(f"-plugin-dir={plugin_dir}")
        _run(init, env)
        # Where scripts.stack looks for the local state (LOCAL_STATE_DIR/terraform.tfstate).
        state = ["-state", str(work / "state" / "terraform.tfstate")]
        endpoint = f"http://127.0.0.1:{port}"
        _run(["terraform", f"-chdir={ENV_DIR}", "apply", "-auto-approve", "-input=false", "-no-color", *state,
              f"-var=local_endpoint={endpoint}", f"-var=artifacts_dir={artifacts}"], env)  # fmt: skip
        raw = json.loads(_run(["terraform", f"-chdir={ENV_DIR}", "output", "-json", *state], env))
        yield LocalStack(endpoint, {k: v["value"] for k, v in raw.items()}, work / "state", env)
    finally:
        subprocess.run([sys.executable, "-m", "localcloud", "down"], cwd=ROOT, env=env, capture_output=True, timeout=60)
