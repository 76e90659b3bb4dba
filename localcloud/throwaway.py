"""Throwaway local clouds for tests and the benchmark, always stopped at the end.

``running_emulator``: the emulator alone on a free port with a private state dir (the integration
tests of the local cloud's own services). ``throwaway_stack``: that, plus the Lambda zips built
into a private dir and `terraform apply` of infra/terraform/envs/local (the e2e tests and the
benchmark's local-cloud mode).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.settings import ACCESS_KEY_ID, SECRET_ACCESS_KEY, local_client

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DeployedStack:
    endpoint: str
    outputs: dict[str, Any]
    state_dir: Path
    #: Environment that points the project's CLIs (scripts.stack, make targets) at this stack.
    env: dict[str, str]

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cmd: list[str], env: dict[str, str], timeout: int = 900) -> str:
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return out.stdout


@dataclass(frozen=True)
class RunningEmulator:
    endpoint: str
    #: Environment that points the project's CLIs (scripts.stack, make targets) at this emulator.
    env: dict[str, str]

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint)


@contextmanager
def running_emulator(state_dir: Path, **settings: str) -> Iterator[RunningEmulator]:
    """The emulator alone (nothing applied) on a free port with ``state_dir`` as its state, with
    extra environment ``settings`` (e.g. ``LOCAL_ATHENA_TIMEOUT_SECONDS``); always stopped."""
    port = free_port()
    env = {
        **os.environ,
        "LOCAL_PORT": str(port),
        "LOCAL_STATE_DIR": str(state_dir),
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        **settings,
    }
    env.pop("AWS_ENDPOINT_URL", None)
    run([sys.executable, "-m", "localcloud", "up"], env, timeout=120)
    try:
        yield RunningEmulator(f"http://127.0.0.1:{port}", env)
    finally:
        subprocess.run([sys.executable, "-m", "localcloud", "down"], cwd=ROOT, env=env, capture_output=True, timeout=60)


@contextmanager
def throwaway_stack(work: Path) -> Iterator[DeployedStack]:
    """Build, start and apply under ``work``; stop the emulator (and its workers) on exit."""
    with running_emulator(
        work / "state", TF_DATA_DIR=str(work / "tfdata"), TF_IN_AUTOMATION="1", TF_CLI_ARGS="-no-color"
    ) as emulator:
        env = emulator.env
        # A private build dir: concurrent sessions never read each other's half-written zips.
        artifacts = work / "build"
        run([sys.executable, "scripts/build_lambdas.py", "--out", str(artifacts)], env)
        # The same recipe as `make tf-apply ENV=local` (provider mirror, plugin cache, state file).
        make = ["make", "--no-print-directory", "ENV=local", f"TF_ARTIFACTS_DIR={artifacts}"]
        run([*make, "tf-apply", "TF_AUTO_APPROVE=1"], env)
        raw = json.loads(run([*make, "tf-output"], env))
        yield DeployedStack(emulator.endpoint, {k: v["value"] for k, v in raw.items()}, work / "state", env)
