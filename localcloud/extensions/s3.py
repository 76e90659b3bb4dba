"""S3: TLS-only bucket policies evaluated as on AWS, and notifications delivered asynchronously."""

from __future__ import annotations

import json
import logging
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.runtime import Runtime

log = logging.getLogger("localcloud.extensions")
#: Request context of every S3 request to the emulator (see loopback_counts_as_secure_transport).
SECURE_REQUEST = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}


def loopback_counts_as_secure_transport() -> None:
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


def notifications_are_asynchronous(runtime: Runtime) -> None:
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
