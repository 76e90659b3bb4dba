"""The local cloud, deployed by the real Terraform, for end-to-end tests.

One session: start the emulator on a free port with a throwaway state dir, build the Lambda
zips, `terraform apply` infra/terraform/envs/local against it, hand the outputs to the tests,
and always stop the emulator (and its workers) at the end, even on failure.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from localcloud.settings import local_client
from localcloud.throwaway import throwaway_stack
from scripts.stack import wait_for

ROOT = Path(__file__).resolve().parents[2]
#: Glue job runs (and Step Functions tasks that start them) execute on local Spark.
needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="java is not on PATH: Glue runs execute on local Spark, which needs Java 17"
)


@dataclass
class LocalStack:
    endpoint: str
    outputs: dict[str, Any]
    state_dir: Path
    #: Environment that points the project's CLIs (scripts.stack, make targets) at this stack.
    env: dict[str, str] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint)

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
    with throwaway_stack(tmp_path_factory.mktemp("localcloud")) as stack:
        yield LocalStack(stack.endpoint, stack.outputs, stack.state_dir, stack.env)
