"""Lambda: dead-letter config, mappings listed by name or ARN, and invocations run by the local
runtime, within Lambda's payload limits."""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING, Any

from moto.awslambda.exceptions import LambdaClientError

from localcloud.lambda_runtime import PayloadTooLarge

if TYPE_CHECKING:
    from localcloud.runtime import Runtime

log = logging.getLogger("localcloud.extensions")


def dead_letter_config() -> None:
    """Gap: a function's DeadLetterConfig is dropped (a diff on every plan, and failed async
    events would have nowhere to go). Store it, return it, and let the runtime deliver to it."""
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_update = LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def __init__(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.dead_letter_config = spec.get("DeadLetterConfig")  # type: ignore[attr-defined]

    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = config_updates["DeadLetterConfig"] or None  # type: ignore[attr-defined]
        return original_update(self, config_updates)

    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        target = (getattr(self, "dead_letter_config", None) or {}).get("TargetArn")
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        return config

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]


def mappings_listed_by_name_or_arn() -> None:
    """Gap: ListEventSourceMappings(FunctionName=name) misses mappings created with the
    function's ARN (as Terraform creates them); AWS accepts either form for both."""
    from moto.awslambda.models import LambdaBackend

    original = LambdaBackend.list_event_source_mappings

    def short(name: str) -> str:
        return name.split(":function:")[-1].split(":")[0]

    def list_event_source_mappings(self: LambdaBackend, event_source_arn: str, function_name: str) -> Any:
        mappings = original(self, event_source_arn, "")
        if function_name:
            mappings = [m for m in mappings if short(m.function_name) == short(function_name)]
        return mappings

    LambdaBackend.list_event_source_mappings = list_event_source_mappings  # type: ignore[method-assign]


class RequestEntityTooLarge(LambdaClientError):
    code = 413

    def __init__(self, message: str) -> None:
        super().__init__("RequestEntityTooLargeException", message)


def invoke_runs_locally(runtime: Runtime) -> None:
    """Gap: without Docker moto cannot run function code. Invoke runs the deployed zip in the
    local Lambda service (sync for RequestResponse, queued with retries for Event). A request over
    Lambda's payload limit (6 MB synchronous, 1 MB asynchronous) is RequestEntityTooLargeException
    (413), and a response over 6 MB fails the invocation (Function.ResponseSizeTooLarge)."""
    from moto.awslambda.models import LambdaFunction

    def invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> bytes | str:
        payload = body if isinstance(body, bytes) else (body or "{}").encode()
        invocation_type = (request_headers or {}).get("x-amz-invocation-type", "RequestResponse")
        if invocation_type == "DryRun":
            return b""
        try:
            if invocation_type == "Event":
                runtime.invoke_async(self, payload)
                return b""
            result = runtime.invoke(self, payload)
        except PayloadTooLarge as exc:
            raise RequestEntityTooLarge(str(exc)) from None
        if result.failed:
            response_headers["x-amz-function-error"] = "Unhandled"
        tail = runtime.log_tail(self.function_name)
        response_headers["x-amz-log-result"] = base64.b64encode(tail.encode()).decode()
        return result.payload

    LambdaFunction.invoke = invoke  # type: ignore[method-assign]
