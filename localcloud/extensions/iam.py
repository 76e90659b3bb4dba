"""IAM: requests signed with role credentials are authorized against the role's identity policies.

Gap: moto authorizes nothing unless told to (``INITIAL_NO_AUTH_ACTION_COUNT``), and when told to
it checks every caller, Terraform included, against a resource of ``*`` for most services, with an
evaluator that gets conditions wrong (see ``iam_policies``). The local cloud instead:

* lets the local admin through: a request signed with the access key ``test`` (settings.py:
  Terraform, the tests, the CLIs, and the emulator's own Glue and Athena workers) is allowed
  everything, by access key, without an IAM user behind it. So is an unsigned request (moto's
  anonymous and presigned-URL handling is left as it is);
* authenticates any other key with moto (an IAM user's key, or STS credentials with their session
  token; expired STS credentials are ``ExpiredToken``). The SigV4 signature itself is not verified:
  the emulator's credentials are not secrets, and moto's re-signing of the raw request is brittle
  for S3's chunked uploads;
* turns each request into the checks AWS makes (``iam_requests``: the IAM action, the resource's
  ARN, condition keys such as ``s3:prefix`` and ``dynamodb:LeadingKeys``) and evaluates the
  caller's identity policies (its role's inline and attached policies, or its user's) on each;
* denies as AWS does: ``AccessDenied`` (S3: its XML error, 403; query protocols and SQS) or
  ``AccessDeniedException`` (JSON protocols), "User: <caller> is not authorized to perform:
  <action> on resource: <arn> because no identity-based policy allows the <action> action".

Resource-based policies other than bucket policies (s3.py), service control policies, permission
boundaries and session policies are not evaluated.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from moto.core.exceptions import JsonRESTError, _RESTError
from moto.s3.exceptions import BucketAccessDeniedError, S3ClientError

from localcloud.extensions import iam_requests
from localcloud.extensions.iam_policies import Check, Decision, denial_message, evaluate, statements, trust_allows
from localcloud.settings import ACCESS_KEY_ID as ADMIN_ACCESS_KEY_ID

log = logging.getLogger("localcloud.extensions")
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/")


class S3AccessDenied(BucketAccessDeniedError):
    """S3's AccessDenied (403, XML) with AWS's message; a BucketAccessDeniedError so that moto's
    DeleteObjects answers AccessDenied for its keys instead of failing the request (for every key,
    where AWS deletes those the caller may delete)."""

    def __init__(self, bucket: str, message: str) -> None:
        S3ClientError.__init__(self, "AccessDenied", message)
        self.bucket_name = bucket


def _error(response: Any, service: str, code: str, message: str) -> Exception:
    """A 403 in the service's protocol: S3's XML, the query protocol's XML, or JSON."""
    if service == "s3" and code == "AccessDenied":
        return S3AccessDenied(response.data.get("BucketName", ""), message)
    if service == "s3":
        return S3ClientError(code, message)
    if "x-www-form-urlencoded" in (response.headers.get("Content-Type") or ""):  # STS, CloudWatch's older protocol
        error: _RESTError = _RESTError(code, message)
    else:  # JSON protocols name it AccessDeniedException, but SQS (query-compatible) AccessDenied
        error = JsonRESTError(f"{code}Exception" if code == "AccessDenied" and service != "sqs" else code, message)
    error.code = 403
    return error


def _check_not_expired(response: Any, service: str, access_key_id: str) -> None:
    from moto.sts.models import sts_backends

    for backend in sts_backends[response.current_account].values():
        role = backend.get_assumed_role_from_access_key(access_key_id)
        if role is not None and role.expiration.replace(tzinfo=UTC) < datetime.now(UTC):
            raise _error(response, service, "ExpiredToken", "The security token included in the request is expired")


def _caller(response: Any, iam_request_cls: type) -> Any:
    """moto's principal of the request (raises its InvalidClientTokenId / InvalidToken)."""
    iam_request = iam_request_cls(
        account_id=response.current_account,
        method=response.method,
        path=response.raw_path,
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=response._get_action(),
    )
    return iam_request._access_key


def authorize(response: Any, iam_request_cls: type, resource: str = "*") -> None:
    """Replaces moto's ActionAuthenticatorMixin._authenticate_and_authorize_action."""
    match = CREDENTIAL.search(response.headers.get("Authorization") or "")
    if match is None or match.group(1) == ADMIN_ACCESS_KEY_ID:
        return
    access_key_id, region, signing_name = match.groups()
    caller = _caller(response, iam_request_cls)
    _check_not_expired(response, signing_name, access_key_id)
    if signing_name == "sts" and response._get_action() == "GetCallerIdentity":
        return  # allowed to anyone, as on AWS
    policy_statements = statements(_documents(caller.collect_policies()))
    for check in iam_requests.checks(response, signing_name, region, resource):
        decision = evaluate(policy_statements, _with_globals(check, caller.arn, region))
        if decision is not Decision.ALLOW:
            message = denial_message(caller.arn, check, decision)
            log.info("denied: %s", message)
            raise _error(response, signing_name, "AccessDenied", message)


def _with_globals(check: Check, principal_arn: str, region: str) -> Check:
    context = {
        "aws:principalarn": [principal_arn],
        "aws:requestedregion": [region],
        "aws:securetransport": ["true"],  # as the S3 extension: loopback HTTP counts as TLS
        **check.context,
    }
    return Check(check.action, check.resource, context)


def _documents(policies: list[Any]) -> list[str]:
    """Policy documents of moto's inline policies (text) and managed policies (default version)."""
    from moto.iam.access_control import IAMPolicy

    return [IAMPolicy(policy)._policy_json for policy in policies]


def enforce_identity_policies() -> None:
    """Route moto's authorization hook (called by every service's request handling, S3's
    included) to ``authorize``."""
    from moto.core.authorization import ActionAuthenticatorMixin

    def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        authorize(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action  # type: ignore[method-assign]


def missing_permissions(role_arn: str, actions: list[str], resource: str) -> list[str]:
    """The actions among ``actions`` that the role's identity policies do not allow on ``resource``
    (for what Lambda does with a function's role in-process: polling its SQS mapping)."""
    from moto.iam.models import iam_backends
    from moto.utilities.arns import parse_arn

    role = iam_backends[parse_arn(role_arn).account]["aws"].get_role_by_arn(role_arn)
    documents = _documents([*role.policies.values(), *role.managed_policies.values()])
    policy_statements = statements(documents)
    principal = f"{role_arn.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/')}/AWSLambda"
    region = resource.split(":")[3] if resource.count(":") >= 3 else ""
    return [
        action
        for action in actions
        if evaluate(policy_statements, _with_globals(Check(action, resource), principal, region)) is not Decision.ALLOW
    ]


def assume_service_role(role_arn: str, service: str, session_name: str, duration_seconds: int) -> Any:
    """sts:AssumeRole of ``role_arn`` by an AWS service (``lambda.amazonaws.com`` for a function's
    execution role, ``states.amazonaws.com`` for a state machine's), in-process, after checking that
    the role exists and that its trust policy lets the service assume it (else AWS refuses it, e.g.
    "The role defined for the function cannot be assumed by Lambda"). Returns moto's AssumedRole
    (access_key_id, secret_access_key, session_token, expiration)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends
    from moto.utilities.arns import parse_arn

    arn = parse_arn(role_arn)
    role = iam_backends[arn.account]["aws"].get_role_by_arn(role_arn)
    context = {"aws:sourceaccount": [arn.account]}
    if not trust_allows(role.assume_role_policy_document, service, context):
        raise PermissionError(f"The role {role_arn} cannot be assumed by {service}: its trust policy does not allow it")
    backend = sts_backends[arn.account]["aws"]
    return backend.assume_role(arn.region or "us-east-1", session_name, role_arn, "", duration_seconds, "")
