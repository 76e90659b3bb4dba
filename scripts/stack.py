"""Find the deployed stack of an environment: its Terraform outputs and AWS clients.

``ENV=local`` (default) talks to the local cloud; ``dev``/``prod`` use the standard AWS
credential chain. Used by the demo, the verify checklist and the operator scripts.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    """The environment's stack cannot be found (not applied, emulator down)."""


def state_file(name: str) -> Path:
    """Where the CLIs remember what they started: the repo root, or WORKFLOW_STATE_DIR (tests)."""
    return Path(os.environ.get("WORKFLOW_STATE_DIR") or ROOT) / name


def env_name() -> str:
    return os.environ.get("ENV", "local")


@cache
def outputs(env: str | None = None) -> dict[str, Any]:
    """Terraform outputs of ``infra/terraform/envs/<env>`` as plain values."""
    env = env or env_name()
    cmd = ["terraform", f"-chdir={ROOT / 'infra' / 'terraform' / 'envs' / env}", "output", "-json"]
    if env == "local":
        from localcloud.settings import LocalCloudSettings

        cmd += ["-state", str(LocalCloudSettings().tfstate)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    except FileNotFoundError as exc:
        raise StackError("terraform is not on PATH") from exc
    except subprocess.CalledProcessError as exc:
        raise StackError(f"terraform output failed for ENV={env}: {exc.stderr.strip()[-500:]}") from exc
    values = {k: v["value"] for k, v in json.loads(out.stdout or "{}").items()}
    if not values:
        raise StackError(f"ENV={env} has no Terraform outputs: run `make build tf-apply ENV={env}` first")
    return values


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 1.0) -> Any:
    """Call ``check`` until it returns something truthy (returned); TimeoutError after ``timeout`` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def client(service: str, env: str | None = None) -> Any:
    """A boto3 client for the environment (the local cloud's endpoint for ENV=local)."""
    env = env or env_name()
    if env == "local":
        from localcloud.settings import LocalCloudSettings

        return LocalCloudSettings().client(service)
    return boto3.client(service)


def wrangler_session(env: str | None = None) -> boto3.Session:
    """A boto3 session for awswrangler on the environment. For ENV=local, awswrangler's own
    endpoint settings are pointed at the local cloud (its clients are built from wr.config)."""
    env = env or env_name()
    if env != "local":
        return boto3.Session()
    import awswrangler as wr

    from localcloud.settings import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LocalCloudSettings

    settings = LocalCloudSettings()
    for service in ("s3", "athena", "glue", "sts"):
        setattr(wr.config, f"{service}_endpoint_url", settings.endpoint)
    return boto3.Session(
        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY, region_name=settings.region
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m scripts.stack output NAME``: print one output of ENV ('' when null or absent)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("output", help="print one Terraform output of ENV").add_argument("name")
    args = parser.parse_args(argv)
    try:
        values = outputs()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # Terraform leaves null outputs (a feature toggled off) out of `output -json`: print "".
    value = values.get(args.name)
    print("" if value is None else value if isinstance(value, str) else json.dumps(value))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
