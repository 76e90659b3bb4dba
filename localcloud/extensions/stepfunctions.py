"""Step Functions: execute the deployed ASL, and the API calls the provider needs."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

log = logging.getLogger("localcloud.extensions")


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
