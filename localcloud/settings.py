"""Settings of the local cloud (environment variables, with defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
#: The local cloud's fixed credentials: it accepts any, and these are not secrets.
ACCESS_KEY_ID = SECRET_ACCESS_KEY = "test"


def local_client(service: str, endpoint: str, region: str = REGION) -> Any:
    """The one factory of boto3 clients for a local cloud listening at ``endpoint``."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


@dataclass(frozen=True)
class LocalCloudSettings:
    #: Port of the emulator on 127.0.0.1; 4599 avoids the usual dev ports (4566, 5000, 8000, 8080).
    port: int = int(os.environ.get("LOCAL_PORT", "4599"))
    #: Where the emulator keeps its pid, log, function code and run logs.
    state_dir: Path = Path(os.environ.get("LOCAL_STATE_DIR", str(ROOT / ".local-cloud")))
    region: str = os.environ.get("AWS_DEFAULT_REGION", REGION)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "emulator.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "emulator.log"

    @property
    def tfstate(self) -> Path:
        """Terraform state of envs/local: it lives and dies with the emulator's resources."""
        return self.state_dir / "terraform.tfstate"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def code_dir(self) -> Path:
        return self.state_dir / "code"

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint, self.region)

    def client_env(self) -> dict[str, str]:
        """Environment for any AWS SDK or CLI talking to the local cloud."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }
