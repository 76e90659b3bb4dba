"""Server-side extensions of the emulator (moto 5.2.x): close the API gaps our Terraform hits and
route execution to the local runtime. Every gap is listed in README ("Local cloud gaps").

Installed once, in the emulator process, before it serves requests.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.runtime import Runtime

log = logging.getLogger("localcloud.extensions")
#: Request context of every S3 request to the emulator (see _s3_loopback_counts_as_secure_transport).
SECURE_REQUEST = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}


def install(runtime: Runtime) -> None:
    _enable_step_functions_execution()
    _validate_state_machine_definition()
    _list_state_machine_versions()
    _glue_update_job()
    _step_functions_glue_sync_tasks()
    _athena_tags_for_untagged_resources()
    _sqs_redrive_allow_policy()
    _sqs_message_move_tasks()
    _lambda_dead_letter_config()
    _lambda_mappings_listed_by_name_or_arn()
    _athena_delete_named_query()
    _s3_loopback_counts_as_secure_transport()
    _lambda_invoke_runs_locally(runtime)
    _s3_notifications_are_asynchronous(runtime)
    _sqs_lambda_triggers_are_polled(runtime)
    _eventbridge_lambda_and_sfn_targets(runtime)
    _glue_runs_execute_locally(runtime)


def _enable_step_functions_execution() -> None:
    """Run the deployed ASL with moto's interpreter instead of returning canned executions."""
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"] = {"execute_state_machine": True}


def _list_state_machine_versions() -> None:
    """Gap: ListStateMachineVersions is not implemented, and the Terraform provider calls it after
    creating a state machine (it waits until the call succeeds). The stack publishes no versions:
    answer with an empty list."""
    from moto.stepfunctions.responses import StepFunctionResponse

    def list_state_machine_versions(self: StepFunctionResponse) -> str:
        return json.dumps({"stateMachineVersions": []})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]


def _glue_update_job() -> None:
    """Gap: UpdateJob is not implemented, so a second `terraform apply` that changes a Glue job
    (new script or library zip, new arguments) waits forever. Every field of JobUpdate overwrites
    the job's (Terraform sends the whole definition)."""
    import re

    from moto.glue.models import FakeJob
    from moto.glue.responses import GlueResponse

    def snake(name: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

    def update_job(self: GlueResponse) -> str:
        name = self._get_param("JobName")
        job: FakeJob = self.glue_backend.get_job(name)
        for key, value in (self._get_param("JobUpdate") or {}).items():
            attribute = snake(key)
            if hasattr(job, attribute):
                setattr(job, attribute, value)
        return json.dumps({"JobName": name})

    GlueResponse.update_job = update_job  # type: ignore[attr-defined]


def _validate_state_machine_definition() -> None:
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


def _step_functions_glue_sync_tasks() -> None:
    """Gap: moto's interpreter crashes on `glue:startJobRun.sync` ("'NoneType' object has no
    attribute 'interrupt_all'"): its sync path assumes a task-token endpoint, which it only creates
    for services that accept .waitForTaskToken. Declare the pattern for Glue so the endpoint exists;
    a .waitForTaskToken Glue task still fails with the interpreter's own "unsupported" error."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_glue
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition

    state_task_service_glue._SUPPORTED_INTEGRATION_PATTERNS.add(ResourceCondition.WaitForTaskToken)  # type: ignore[arg-type]


def _athena_tags_for_untagged_resources() -> None:
    """Gap: ListTagsForResource on an existing but untagged workgroup answers "does not exist",
    which makes the provider fail reading back a workgroup it just created."""
    from moto.athena.responses import AthenaResponse

    original = AthenaResponse.list_tags_for_resource

    def list_tags_for_resource(self: AthenaResponse) -> Any:
        arn = self._get_param("ResourceARN")
        backend = self.athena_backend
        name = arn.rsplit("/", 1)[-1]
        exists = name in backend.work_groups or name in getattr(backend, "data_catalogs", {})
        if exists and not backend.tagger.has_tags(arn):
            return json.dumps({"Tags": []})
        return original(self)

    AthenaResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]


def _sqs_redrive_allow_policy() -> None:
    """Gaps: SQS RedriveAllowPolicy is not stored (the provider then waits forever for it to read
    back), SetQueueAttributes without a Policy erases the queue's policy, and RedrivePolicy reads
    back with whitespace that AWS does not add."""
    from moto.sqs.models import Queue

    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES.append("RedriveAllowPolicy")
    Queue.redrive_allow_policy = None  # type: ignore[attr-defined]
    original_attributes = Queue.attributes.fget  # type: ignore[attr-defined]
    original_set = Queue._set_attributes

    def attributes(self: Queue) -> dict[str, Any]:
        result = original_attributes(self)
        if result.get("RedriveAllowPolicy") is None:
            result.pop("RedriveAllowPolicy", None)
        if self.redrive_policy:  # compact, as SQS returns it (else a whitespace diff on every plan)
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        policy = getattr(self, "policy", None)
        original_set(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = policy

    Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]
    Queue._set_attributes = _set_attributes  # type: ignore[method-assign]


def _sqs_message_move_tasks() -> None:
    """Gap: the DLQ redrive API (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask)
    is not implemented. A task moves the messages visible in the DLQ when it starts to DestinationArn
    or, without one, to the DLQ's source queue, at MaxNumberOfMessagesPerSecond, in a background
    thread; each moved message starts over with a receive count of 0, as on AWS. AWS remembers each
    message's source queue; moto does not, so a DLQ that several queues share needs DestinationArn."""
    import base64 as b64
    import threading
    import time
    import uuid

    from moto.core.responses import ActionResult
    from moto.sqs.exceptions import SQSException
    from moto.sqs.models import Queue, SQSBackend
    from moto.sqs.responses import SQSResponse

    class MoveTaskError(SQSException):
        code = "InvalidParameterValue"

        def __init__(self, message: str, code: str = "InvalidParameterValue") -> None:
            super().__init__(code, message)

    class MoveTask:
        def __init__(self, source: Queue, destination: Queue, rate: int | None) -> None:
            self.handle = b64.b64encode(
                json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source.queue_arn}).encode()
            ).decode()
            self.source, self.destination, self.rate = source, destination, rate
            self.status = "RUNNING"
            self.moved = 0
            self.to_move = len(source.messages)
            self.failure_reason: str | None = None
            self.started_ms = int(time.time() * 1000)
            self.cancelled = threading.Event()

        def run(self, backend: SQSBackend) -> None:
            try:
                while self.moved < self.to_move and not self.cancelled.is_set():
                    with self.source._messages_lock:
                        visible = self.source.messages
                        if not visible:
                            break
                        message = visible[0]
                        self.source._messages.remove(message)
                    backend.send_message(
                        self.destination.name,
                        message.body,
                        message_attributes=message.message_attributes or None,
                        deduplication_id=message.deduplication_id,
                        group_id=message.group_id,
                    )
                    self.moved += 1
                    if self.rate:
                        time.sleep(1 / self.rate)
                self.status = "CANCELLED" if self.cancelled.is_set() else "COMPLETED"
            except Exception as exc:  # the task fails with a reason, as on AWS; the thread ends
                self.status, self.failure_reason = "FAILED", f"{type(exc).__name__}: {exc}"[:500]

        def as_dict(self) -> dict[str, Any]:
            result: dict[str, Any] = {
                "Status": self.status,
                "SourceArn": self.source.queue_arn,
                "DestinationArn": self.destination.queue_arn,
                "ApproximateNumberOfMessagesMoved": self.moved,
                "ApproximateNumberOfMessagesToMove": self.to_move,
                "StartedTimestamp": self.started_ms,
            }
            if self.status == "RUNNING":
                result["TaskHandle"] = self.handle
            if self.rate:
                result["MaxNumberOfMessagesPerSecond"] = self.rate
            if self.failure_reason:
                result["FailureReason"] = self.failure_reason
            return result

    def tasks_of(backend: SQSBackend) -> list[MoveTask]:
        if not hasattr(backend, "message_move_tasks"):
            backend.message_move_tasks = []  # type: ignore[attr-defined]
        return backend.message_move_tasks  # type: ignore[attr-defined,no-any-return]

    def queue_by_arn(backend: SQSBackend, arn: str, role: str) -> Queue:
        queue = backend.queues.get(arn.rsplit(":", 1)[-1])
        if queue is None or queue.queue_arn != arn:
            raise MoveTaskError(f"{role} queue {arn} does not exist", "ResourceNotFoundException")
        return queue

    def start_message_move_task(self: SQSResponse) -> ActionResult:
        backend = self.sqs_backend
        source = queue_by_arn(backend, self._get_param("SourceArn"), "source")
        sources = backend.list_dead_letter_source_queues(source.name)
        if not sources:
            raise MoveTaskError("Source queue must be configured as a Dead Letter Queue.")
        destination_arn = self._get_param("DestinationArn")
        if destination_arn:
            destination = queue_by_arn(backend, destination_arn, "destination")
        elif len(sources) == 1:
            destination = sources[0]
        else:
            raise MoveTaskError(
                f"{source.name} is the dead-letter queue of {len(sources)} queues: the local cloud does not "
                "remember each message's source queue, so pass DestinationArn"
            )
        tasks = tasks_of(backend)
        if any(t.source is source and t.status == "RUNNING" for t in tasks):
            raise MoveTaskError(f"a message move task is already running for {source.queue_arn}")
        rate = self._get_param("MaxNumberOfMessagesPerSecond")
        task = MoveTask(source, destination, int(rate) if rate else None)
        tasks.append(task)
        threading.Thread(target=task.run, args=(backend,), name=f"sqs-move-{source.name}", daemon=True).start()
        return ActionResult({"TaskHandle": task.handle})

    def list_message_move_tasks(self: SQSResponse) -> ActionResult:
        backend = self.sqs_backend
        source = queue_by_arn(backend, self._get_param("SourceArn"), "source")
        limit = int(self._get_param("MaxResults") or 1)
        if not 1 <= limit <= 10:
            raise MoveTaskError("MaxResults must be between 1 and 10")
        newest_first = [t for t in reversed(tasks_of(backend)) if t.source is source][:limit]
        return ActionResult({"Results": [t.as_dict() for t in newest_first]})

    def cancel_message_move_task(self: SQSResponse) -> ActionResult:
        handle = self._get_param("TaskHandle")
        task = next((t for t in tasks_of(self.sqs_backend) if t.handle == handle), None)
        if task is None:
            raise MoveTaskError(f"no message move task with handle {handle}", "ResourceNotFoundException")
        if task.status != "RUNNING":
            raise MoveTaskError(f"the task is {task.status}, only a RUNNING task can be cancelled")
        task.status = "CANCELLING"
        task.cancelled.set()
        return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})

    SQSResponse.start_message_move_task = start_message_move_task  # type: ignore[attr-defined]
    SQSResponse.list_message_move_tasks = list_message_move_tasks  # type: ignore[attr-defined]
    SQSResponse.cancel_message_move_task = cancel_message_move_task  # type: ignore[attr-defined]


def _lambda_dead_letter_config() -> None:
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


def _lambda_mappings_listed_by_name_or_arn() -> None:
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


def _athena_delete_named_query() -> None:
    """Gap: DeleteNamedQuery is not implemented, so destroying the saved queries hangs."""
    from moto.athena.responses import AthenaResponse

    def delete_named_query(self: AthenaResponse) -> str:
        self.athena_backend.named_queries.pop(self._get_param("NamedQueryId"), None)
        return json.dumps({})

    AthenaResponse.delete_named_query = delete_named_query  # type: ignore[attr-defined]


def _s3_loopback_counts_as_secure_transport() -> None:
    """moto evaluates bucket policies without request context, so our TLS-only policy
    (Deny when aws:SecureTransport is false) denies every request. The emulator is plain HTTP on
    the loopback interface; requests are evaluated as if they arrived over TLS. moto also ignores
    (treats as matching) every condition operator but StringEquals: add Bool and the Numeric
    operators, which the TLS-only statements use."""
    from moto.iam import policy_conditions
    from moto.s3.models import FakeBucket

    def bool_operation(expected: list[str] | str, actual: str) -> bool:
        values = expected if isinstance(expected, list) else [expected]
        return str(actual).lower() in {str(v).lower() for v in values}

    def numeric(compare: Callable[[float, float], bool]) -> Callable[[list[str] | str, str], bool]:
        def operation(expected: list[str] | str, actual: str) -> bool:
            values = expected if isinstance(expected, list) else [expected]
            return any(compare(float(actual), float(v)) for v in values)

        return operation

    operations = {
        "Bool": bool_operation,
        "NumericEquals": numeric(operator.eq),
        "NumericLessThan": numeric(operator.lt),
        "NumericLessThanEquals": numeric(operator.le),
        "NumericGreaterThan": numeric(operator.gt),
        "NumericGreaterThanEquals": numeric(operator.ge),
    }
    for name, operation in operations.items():
        policy_conditions.CONDITION_OPERATIONS.setdefault(name, operation)  # type: ignore[arg-type]

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        # moto answers DENIED for any statement whose condition does not match, even a Deny;
        # a statement whose condition does not match simply does not apply.
        from moto.iam.access_control import IAMPolicyStatement, PermissionResult

        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy.decode()).get("Statement", [])
        permitted = False
        for raw in statements if isinstance(statements, list) else [statements]:
            statement = IAMPolicyStatement(raw)
            if not statement._check_conditions(SECURE_REQUEST):
                continue
            result = statement.is_action_permitted(action, resource, None, SECURE_REQUEST)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def _lambda_invoke_runs_locally(runtime: Runtime) -> None:
    """Gap: without Docker moto cannot run function code. Invoke runs the deployed zip in the
    local Lambda service (sync for RequestResponse, queued with retries for Event)."""
    from moto.awslambda.models import LambdaFunction

    def invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> bytes | str:
        payload = body if isinstance(body, bytes) else (body or "{}").encode()
        invocation_type = (request_headers or {}).get("x-amz-invocation-type", "RequestResponse")
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            runtime.invoke_async(self, payload)
            return b""
        result = runtime.invoke(self, payload)
        if result.failed:
            response_headers["x-amz-function-error"] = "Unhandled"
        tail = runtime.log_tail(self.function_name)
        response_headers["x-amz-log-result"] = base64.b64encode(tail.encode()).decode()
        return result.payload

    LambdaFunction.invoke = invoke  # type: ignore[method-assign]


def _s3_notifications_are_asynchronous(runtime: Runtime) -> None:
    """moto invokes the notified function synchronously inside PutObject and swallows errors;
    S3 invokes asynchronously, with Lambda's async retries. Do the latter."""
    from moto.awslambda.utils import get_backend
    from moto.s3 import notifications

    def _invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        try:
            fn = get_backend(account_id, region_name).get_function(fn_arn)
        except Exception:
            log.warning("S3 notification for missing function %s dropped", fn_arn)
            return
        runtime.invoke_async(fn, json.dumps(event_body).encode())

    notifications._invoke_awslambda = _invoke_awslambda


def _sqs_lambda_triggers_are_polled(runtime: Runtime) -> None:
    """moto delivers each SendMessage to mapped functions inline (no batching window, visibility
    or partial failures). Disable that; the runtime's pollers implement the event source mapping."""
    from moto.sqs.models import Queue

    def _get(self: Queue) -> dict[str, Any]:
        return {}

    def _set(self: Queue, value: dict[str, Any]) -> None:
        pass

    Queue.lambda_event_source_mappings = property(_get, _set)  # type: ignore[assignment,method-assign]


def _eventbridge_lambda_and_sfn_targets(runtime: Runtime) -> None:
    """Gap: moto's rules deliver only to logs, SQS and event buses. Add Lambda and Step Functions
    targets (with Input / InputPath / InputTransformer as moto applies them)."""
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        ours = [t for t in self.targets if parse_arn(t["Arn"]).service in {"lambda", "states"}]
        if len(ours) < len(self.targets):
            # moto raises on target kinds it does not know: hand it a view with its own kinds only.
            theirs = copy.copy(self)
            theirs.targets = [t for t in self.targets if t not in ours]
            original(theirs, original_event, transform_input)
        if ours and self.event_pattern.matches_event(original_event):
            for target in ours:
                runtime.deliver_event(target, original_event)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def _glue_runs_execute_locally(runtime: Runtime) -> None:
    """Gap: job runs and crawls only advance canned states. Runs execute the deployed script on
    local Spark and crawls catalog silver (localcloud/glue_runner.py); their state is the real one."""
    from moto.glue.models import FakeCrawl, FakeCrawler, FakeJob, FakeJobRun
    from moto.moto_api._internal.managed_state_model import ManagedState

    def status(self: Any) -> str | None:
        pinned = self.__dict__.get("local_status")
        return pinned if pinned is not None else ManagedState.status.fget(self)  # type: ignore[attr-defined]

    def set_status(self: Any, value: str) -> None:
        self.local_status = value

    for model in (FakeJobRun, FakeCrawl):
        model.status = property(status, set_status)  # type: ignore[assignment,method-assign]

    original_as_dict = FakeJobRun.as_dict

    def as_dict(self: FakeJobRun) -> dict[str, Any]:
        result = original_as_dict(self)
        message = getattr(self, "error_message", None)
        if message:
            result["ErrorMessage"] = message
        return result

    FakeJobRun.as_dict = as_dict  # type: ignore[method-assign]
    original_start = FakeJob.start_job_run

    def start_job_run(self: FakeJob, *args: Any, **kwargs: Any) -> str:
        run_id = original_start(self, *args, **kwargs)
        run = next(r for r in self.job_runs if r.job_run_id == run_id)
        runtime.glue.start_job_run(self, run)
        return run_id

    FakeJob.start_job_run = start_job_run  # type: ignore[method-assign]
    original_crawl = FakeCrawler.start_crawler

    def start_crawler(self: FakeCrawler) -> None:
        original_crawl(self)
        runtime.glue.start_crawl(self, self.crawls[-1])

    FakeCrawler.start_crawler = start_crawler  # type: ignore[method-assign]
