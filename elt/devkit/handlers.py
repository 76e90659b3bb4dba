"""The real handlers in this process: the Lambda context object and loading ``app.py`` fresh."""

from __future__ import annotations

import importlib.util
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

#: The repository's Lambda functions: ``lambdas/<name>/app.py``.
LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


@dataclass
class LambdaContext:
    """The context fields the handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 1024
    remaining_millis: int = 60_000
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:devkit"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


def load_handler(name: str) -> ModuleType:
    """Import ``lambdas/<name>/app.py`` as a new module, as a cold start would: its module-level
    settings and clients bind to the environment and the AWS mock active now."""
    path = LAMBDAS / name / "app.py"
    if not path.exists():
        raise FileNotFoundError(f"no Lambda handler at {path}")
    spec = importlib.util.spec_from_file_location(f"handler_{name.replace('/', '_')}_{uuid.uuid4().hex}", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
