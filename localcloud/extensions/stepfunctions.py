"""Step Functions: execute the deployed ASL, and the API calls the provider needs."""

from __future__ import annotations

import importlib
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger("localcloud.extensions")
#: moto's interpreter modules that create the clients of task, Map reader and writer calls.
CLIENT_MODULES = [
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    *(
        f"moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_{service}"
        for service in ("unsupported", "glue", "events", "ecs", "sqs", "sfn", "dynamodb", "batch", "sns", "aws_sdk")
    ),
]
#: How long the state machine role's credentials last; they are renewed 5 minutes before.
ROLE_SESSION_SECONDS = 3600


class RoleSessions:
    """Credentials of ``sts:AssumeRole`` by ``states.amazonaws.com``, one session per role, renewed
    before it expires."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, Any] = {}

    def credentials(self, role_arn: str) -> Any:
        from localcloud.extensions.iam import assume_service_role

        with self.lock:
            session = self.sessions.get(role_arn)
            renew_at = datetime.now(UTC) + timedelta(minutes=5)
            if session is None or session.expiration.replace(tzinfo=UTC) < renew_at:
                session = assume_service_role(role_arn, "states.amazonaws.com", "StepFunctions", ROLE_SESSION_SECONDS)
                self.sessions[role_arn] = session
            return session


def tasks_run_as_the_state_machine_role() -> None:
    """Gap: moto's interpreter calls the services of its tasks (Lambda, Glue, SNS, aws-sdk
    integrations) with the fixed keys ``ak``/``sk``. On AWS they run as the state machine's role (or
    the task's Credentials.RoleArn): create those clients with that role's credentials, assumed by
    ``states.amazonaws.com``, so the IAM extension authorizes each task call against its policies.
    A role that does not exist or does not trust Step Functions fails the task."""
    import boto3
    from botocore.config import Config
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    from moto.stepfunctions.parser.asl.utils import boto_client

    sessions = RoleSessions()
    original = boto_client.boto_client_for
    # moto's own client settings: no retries, its timeouts, no client-side validation.
    config = Config(
        parameter_validation=False,
        retries={"max_attempts": 0, "total_max_attempts": 1},
        connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
    )

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if state_credentials is None or not state_credentials.role_arn:
            return original(region, service, state_credentials)
        role = sessions.credentials(state_credentials.role_arn)
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=f"http://localhost:{moto_server_port()}",
            config=config,
            aws_access_key_id=role.access_key_id,
            aws_secret_access_key=role.secret_access_key,
            aws_session_token=role.session_token,
        )

    for name in CLIENT_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]


def enable_execution() -> None:
    """Run the deployed ASL with moto's interpreter instead of returning canned executions."""
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"] = {"execute_state_machine": True}


def list_state_machine_versions() -> None:
    """Gap: ListStateMachineVersions is not implemented, and the Terraform provider calls it after
    creating a state machine (it waits until the call succeeds). The stack publishes no versions:
    answer with an empty list."""
    from moto.stepfunctions.responses import StepFunctionResponse

    def list_state_machine_versions(self: StepFunctionResponse) -> str:
        return json.dumps({"stateMachineVersions": []})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]


def validate_state_machine_definition() -> None:
    """Gap: ValidateStateMachineDefinition is not implemented; the AWS provider calls it on every
    create/update and retries for minutes. Answer it by parsing the ASL with moto's own parser."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self: StepFunctionResponse) -> str:
        definition = self._get_param("definition")
        try:
            AmazonStateLanguageParser.parse(definition)
        except Exception as exc:
            diagnostic = {
                "severity": "ERROR",
                "code": "SCHEMA_VALIDATION_FAILED",
                "message": str(exc)[:1000],
                "location": "/",
            }
            return json.dumps({"result": "FAIL", "diagnostics": [diagnostic], "truncated": False})
        return json.dumps({"result": "OK", "diagnostics": [], "truncated": False})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]


def glue_sync_tasks() -> None:
    """Gap: moto's interpreter crashes on `glue:startJobRun.sync` ("'NoneType' object has no
    attribute 'interrupt_all'"): its sync path assumes a task-token endpoint, which it only creates
    for services that accept .waitForTaskToken. Declare the pattern for Glue so the endpoint exists;
    a .waitForTaskToken Glue task still fails with the interpreter's own "unsupported" error."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_glue
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition

    state_task_service_glue._SUPPORTED_INTEGRATION_PATTERNS.add(ResourceCondition.WaitForTaskToken)  # type: ignore[arg-type]
