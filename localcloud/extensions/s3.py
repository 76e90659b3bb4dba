"""S3: TLS-only bucket policies evaluated as on AWS, notifications delivered asynchronously, and
object keys limited to 1,024 bytes."""

from __future__ import annotations

import json
import logging
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moto.s3.exceptions import S3ClientError

if TYPE_CHECKING:
    from localcloud.runtime import Runtime

log = logging.getLogger("localcloud.extensions")
#: S3's limit on an object key: 1,024 bytes of its UTF-8 encoding.
MAX_KEY_BYTES = 1024
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


class KeyTooLongError(S3ClientError):
    code = "KeyTooLongError"

    def __init__(self, size: int) -> None:
        super().__init__("Your key is too long")
        self.size = size  # bytes of the rejected key's UTF-8 encoding


def _check_key(key: str) -> None:
    size = len(key.encode("utf-8", errors="surrogatepass"))
    if size > MAX_KEY_BYTES:
        raise KeyTooLongError(size)


def keys_at_most_1024_bytes() -> None:
    """Gap: moto stores object keys of any length; S3 answers KeyTooLongError (400) when a key's
    UTF-8 encoding is over 1,024 bytes: PutObject, CopyObject (the destination key) and
    CreateMultipartUpload."""
    from moto.s3.models import S3Backend

    original_put = S3Backend.put_object
    original_copy = S3Backend.copy_object
    original_create = S3Backend.create_multipart_upload

    def put_object(self: S3Backend, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        _check_key(key_name)
        return original_put(self, bucket_name, key_name, *args, **kwargs)

    def copy_object(self: S3Backend, src_key: Any, dest_bucket: str, dest_key: str, *args: Any, **kwargs: Any) -> Any:
        _check_key(dest_key)
        return original_copy(self, src_key, dest_bucket, dest_key, *args, **kwargs)

    def create_multipart_upload(self: S3Backend, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        _check_key(key_name)
        return original_create(self, bucket_name, key_name, *args, **kwargs)

    S3Backend.put_object = put_object  # type: ignore[method-assign]
    S3Backend.copy_object = copy_object  # type: ignore[method-assign,assignment]
    S3Backend.create_multipart_upload = create_multipart_upload  # type: ignore[method-assign]
