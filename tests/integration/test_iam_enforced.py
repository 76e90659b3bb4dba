"""IAM is enforced in the local cloud: a function calls AWS with its execution role's credentials and
the emulator authorizes each call against the role's policies, as AWS does; the local admin
credentials (Terraform's, the tests') stay allowed everything.

One real emulator (``localcloud.throwaway.running_emulator``: a free port, a private state dir) for the module;
the probe function is a small handler zipped with boto3 (from the Lambda dependency cache), which
performs the call its event names and reports the outcome.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.extensions.iam_policies import Check, Decision, evaluate
from localcloud.lambda_runtime import CREDENTIAL_SECONDS, FunctionConfig, LambdaService, RoleCredentials
from localcloud.settings import ACCOUNT_ID, LocalCloudSettings, local_client
from localcloud.throwaway import running_emulator
from scripts.build_lambdas import LAMBDAS, install_deps, runtime

ALLOWED, OTHER, TABLE, QUEUE, ROLE = "iam-allowed", "iam-other", "iam-ledger", "iam-queue", "iam-probe-role"
WORK_QUEUE = "iam-work"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/{TABLE}"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{QUEUE}"
#: The packages boto3 needs, taken from the workflow functions' dependency cache.
SDK_PACKAGES = ["boto3", "botocore", "jmespath", "dateutil", "s3transfer", "urllib3", "six.py"]

PROBE = """
import json, os
import boto3
from botocore.exceptions import ClientError

CALLS = {
    "get": lambda e: boto3.client("s3").get_object(Bucket=e["bucket"], Key=e["key"])["Body"].read().decode(),
    "list": lambda e: [
        o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=e["bucket"], Prefix=e["prefix"]).get("Contents", [])
    ],
    "put_item": lambda e: boto3.client("dynamodb").put_item(TableName=e["table"], Item={"pk": {"S": e["pk"]}}) and "ok",
    "send": lambda e: boto3.client("sqs").send_message(QueueUrl=e["queue"], MessageBody="probe")["MessageId"],
    "whoami": lambda e: boto3.client("sts").get_caller_identity()["Arn"],
}

def handler(event, context):
    if "Records" in event:  # a batch from an SQS mapping: consumed
        return {}
    try:
        return {"ok": CALLS[event["call"]](event), "session": bool(os.environ.get("AWS_SESSION_TOKEN"))}
    except ClientError as exc:
        return {"error": exc.response["Error"]["Code"], "message": exc.response["Error"]["Message"]}
"""

STATEMENTS: dict[str, dict[str, Any]] = {
    "ReadAllowedBucket": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{ALLOWED}/*"},
    "ListInsidePrefix": {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": f"arn:aws:s3:::{ALLOWED}",
        "Condition": {"StringLike": {"s3:prefix": ["inside/*"]}},
    },
    "OwnLedgerKeys": {
        "Effect": "Allow",
        "Action": "dynamodb:PutItem",
        "Resource": TABLE_ARN,
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["mine#*"]}},
    },
    "SendToQueue": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE_ARN},
}


def policy(*without: str, extra: dict[str, dict[str, Any]] | None = None) -> str:
    kept = [{"Sid": sid, **s} for sid, s in {**STATEMENTS, **(extra or {})}.items() if sid not in without]
    return json.dumps({"Version": "2012-10-17", "Statement": kept})


def trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def probe_zip() -> bytes:
    deps = install_deps("workflows_replay", LAMBDAS / "workflows" / "replay" / "requirements.txt", runtime())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for package in SDK_PACKAGES:
            root = deps / package
            for path in [root] if root.is_file() else sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, path.relative_to(deps).as_posix())
        zf.writestr("app.py", PROBE)
    return buffer.getvalue()


class Cloud:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str) -> Any:
        """A client with the local admin's credentials."""
        return local_client(service, self.endpoint)

    def invoke(self, function: str, **event: Any) -> dict[str, Any]:
        response = self.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
        result: dict[str, Any] = json.loads(response["Payload"].read())
        return result


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    with running_emulator(tmp_path_factory.mktemp("iam-cloud") / "state") as emulator:
        cloud = Cloud(emulator.endpoint)
        deploy(cloud)
        yield cloud


def deploy(cloud: Cloud) -> None:
    s3, iam = cloud.client("s3"), cloud.client("iam")
    for bucket in (ALLOWED, OTHER):
        s3.create_bucket(Bucket=bucket)
        for key in ("inside/a.json", "outside/b.json"):
            s3.put_object(Bucket=bucket, Key=key, Body=f"{bucket}/{key}".encode())
    cloud.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    cloud.client("sqs").create_queue(QueueName=QUEUE)
    code = probe_zip()
    for name, service in (("probe", "lambda.amazonaws.com"), ("untrusted", "states.amazonaws.com")):
        role = iam.create_role(RoleName=f"{ROLE}-{name}", AssumeRolePolicyDocument=trust(service))["Role"]
        iam.put_role_policy(RoleName=role["RoleName"], PolicyName="least-privilege", PolicyDocument=policy())
        cloud.client("lambda").create_function(
            FunctionName=name,
            Runtime=runtime()["runtime"],
            Role=role["Arn"],
            Handler="app.handler",
            Code={"ZipFile": code},
            Timeout=60,
            MemorySize=256,
        )


@pytest.fixture
def queue_url(cloud: Cloud) -> str:
    url: str = cloud.client("sqs").get_queue_url(QueueName=QUEUE)["QueueUrl"]
    return url


def denial(function: str, action: str, resource: str) -> str:
    return (
        f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/{ROLE}-probe/{function} is not authorized to perform: "
        f"{action} on resource: {resource} because no identity-based policy allows the {action} action"
    )


def test_a_function_runs_as_its_execution_role(cloud: Cloud) -> None:
    result = cloud.invoke("probe", call="whoami")
    assert result == {"ok": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{ROLE}-probe/probe", "session": True}


def test_a_role_reads_the_bucket_it_is_allowed_and_no_other(cloud: Cloud) -> None:
    assert cloud.invoke("probe", call="get", bucket=ALLOWED, key="inside/a.json")["ok"] == f"{ALLOWED}/inside/a.json"
    denied = cloud.invoke("probe", call="get", bucket=OTHER, key="inside/a.json")
    assert denied == {
        "error": "AccessDenied",
        "message": denial("probe", "s3:GetObject", f"arn:aws:s3:::{OTHER}/inside/a.json"),
    }


def test_s3_prefix_condition_allows_inside_and_denies_outside(cloud: Cloud) -> None:
    assert cloud.invoke("probe", call="list", bucket=ALLOWED, prefix="inside/")["ok"] == ["inside/a.json"]
    denied = cloud.invoke("probe", call="list", bucket=ALLOWED, prefix="outside/")
    assert denied == {"error": "AccessDenied", "message": denial("probe", "s3:ListBucket", f"arn:aws:s3:::{ALLOWED}")}


def test_leading_keys_condition_allows_own_keys_and_denies_others(cloud: Cloud) -> None:
    assert cloud.invoke("probe", call="put_item", table=TABLE, pk="mine#1")["ok"] == "ok"
    denied = cloud.invoke("probe", call="put_item", table=TABLE, pk="theirs#1")
    assert denied == {"error": "AccessDeniedException", "message": denial("probe", "dynamodb:PutItem", TABLE_ARN)}
    assert "Item" not in cloud.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": "theirs#1"}})


def test_removing_a_statement_denies_its_action(cloud: Cloud, queue_url: str) -> None:
    iam = cloud.client("iam")
    assert "ok" in cloud.invoke("probe", call="send", queue=queue_url)
    iam.put_role_policy(RoleName=f"{ROLE}-probe", PolicyName="least-privilege", PolicyDocument=policy("SendToQueue"))
    try:
        denied = cloud.invoke("probe", call="send", queue=queue_url)  # the same warm worker
        assert denied == {"error": "AccessDenied", "message": denial("probe", "sqs:SendMessage", QUEUE_ARN)}
    finally:
        iam.put_role_policy(RoleName=f"{ROLE}-probe", PolicyName="least-privilege", PolicyDocument=policy())


def queue_depth(cloud: Cloud, url: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_an_sqs_mapping_polls_only_with_its_roles_permissions(cloud: Cloud) -> None:
    sqs, iam = cloud.client("sqs"), cloud.client("iam")
    url = sqs.create_queue(QueueName=WORK_QUEUE)["QueueUrl"]
    work_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{WORK_QUEUE}"
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=work_arn, FunctionName="probe", BatchSize=1)
    sqs.send_message(QueueUrl=url, MessageBody="unit")
    time.sleep(3)  # the runtime's pollers start within a second and poll every 0.2 s
    assert queue_depth(cloud, url) == 1  # the role may not sqs:ReceiveMessage: never polled
    actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    poll = {"PollWork": {"Effect": "Allow", "Action": actions, "Resource": work_arn}}
    iam.put_role_policy(RoleName=f"{ROLE}-probe", PolicyName="least-privilege", PolicyDocument=policy(extra=poll))
    try:
        deadline = time.monotonic() + 30
        while queue_depth(cloud, url) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert queue_depth(cloud, url) == 0
    finally:
        iam.put_role_policy(RoleName=f"{ROLE}-probe", PolicyName="least-privilege", PolicyDocument=policy())


def run_state_machine(cloud: Cloud, name: str, statement: dict[str, Any]) -> dict[str, Any]:
    """Run a one-task state machine (invoke the probe) whose role holds one statement."""
    iam, sfn = cloud.client("iam"), cloud.client("stepfunctions")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust("states.amazonaws.com"))["Role"]["Arn"]
    document = {"Version": "2012-10-17", "Statement": [statement]}
    iam.put_role_policy(RoleName=name, PolicyName="tasks", PolicyDocument=json.dumps(document))
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
    task["Parameters"] = {"FunctionName": "probe", "Payload": {"call": "whoami"}}
    definition = {"StartAt": "Probe", "States": {"Probe": task}}
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.5)
    return dict(described)


def test_step_functions_tasks_run_as_the_state_machine_role(cloud: Cloud) -> None:
    probe_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:probe"
    allowed = run_state_machine(
        cloud, "iam-sfn-allowed", {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": probe_arn}
    )
    assert allowed["status"] == "SUCCEEDED", allowed
    denied = run_state_machine(
        cloud, "iam-sfn-denied", {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": f"{probe_arn}-x"}
    )
    assert denied["status"] == "FAILED", denied
    assert "AccessDenied" in denied.get("error", "")
    assert (
        f"assumed-role/iam-sfn-denied/StepFunctions is not authorized to perform: lambda:InvokeFunction "
        f"on resource: {probe_arn}" in denied.get("cause", "")
    )


def test_a_role_lambda_may_not_assume_fails_the_invocation(cloud: Cloud) -> None:
    response = cloud.client("lambda").invoke(FunctionName="untrusted", Payload=b'{"call": "whoami"}')
    assert response.get("FunctionError") == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "Lambda.AccessDeniedException"
    assert "cannot be assumed by lambda.amazonaws.com" in error["errorMessage"]


def test_the_admin_credentials_are_allowed_everything(cloud: Cloud, queue_url: str) -> None:
    s3, dynamodb = cloud.client("s3"), cloud.client("dynamodb")
    assert s3.get_object(Bucket=OTHER, Key="outside/b.json")["Body"].read() == f"{OTHER}/outside/b.json".encode()
    assert len(s3.list_objects_v2(Bucket=ALLOWED, Prefix="outside/")["Contents"]) == 1
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "admin#1"}})
    cloud.client("sqs").send_message(QueueUrl=queue_url, MessageBody="admin")
    assert cloud.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID


def test_unknown_credentials_are_refused(cloud: Cloud) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=cloud.endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="not-the-admin",
    )
    with pytest.raises(ClientError) as refused:
        s3.get_object(Bucket=ALLOWED, Key="inside/a.json")
    assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"


TOKEN_HANDLER = "import os\n\ndef handler(event, context):\n    return os.environ['AWS_SESSION_TOKEN']\n"


def test_a_worker_gets_fresh_credentials_before_its_own_expire(tmp_path: Path) -> None:
    issued: list[str] = []

    def credentials(config: FunctionConfig) -> RoleCredentials:
        issued.append(f"token-{len(issued)}")
        # The first expire within the invocation timeout plus the margin: that worker is replaced.
        lifetime = config.timeout if len(issued) == 1 else CREDENTIAL_SECONDS
        return RoleCredentials("ASIAEXAMPLEEXAMPLE01", "secret", issued[-1], time.time() + lifetime)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("app.py", TOKEN_HANDLER)
    config = FunctionConfig(
        name="tokens",
        arn=f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:tokens",
        handler="app.handler",
        runtime=runtime()["runtime"],
        timeout=30,
        memory_mb=256,
        environment={},
        code_sha="tokens-v1",
        role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/tokens",
    )
    service = LambdaService(LocalCloudSettings(state_dir=tmp_path / "state"))
    service.credentials = credentials
    try:
        seen = [json.loads(service.invoke(config, buffer.getvalue, b"{}").payload) for _ in range(3)]
    finally:
        service.close()
    assert seen == ["token-0", "token-1", "token-1"]


# --- the evaluator's rules, where moto's differ ---------------------------------------------------


def test_an_allow_whose_condition_does_not_hold_does_not_deny() -> None:
    statements = [
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "*",
            "Condition": {"StringLike": {"s3:prefix": "a/*"}},
        },
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "*",
            "Condition": {"StringLike": {"s3:prefix": "b/*"}},
        },
    ]
    assert evaluate(statements, Check("s3:ListBucket", "arn:aws:s3:::x", {"s3:prefix": ["b/1"]})) is Decision.ALLOW
    assert evaluate(statements, Check("s3:ListBucket", "arn:aws:s3:::x", {})) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("operator", "context", "expected"),
    [
        ("StringLikeIfExists", {}, Decision.ALLOW),
        ("StringLike", {}, Decision.IMPLICIT_DENY),
        ("ForAllValues:StringLike", {}, Decision.ALLOW),  # vacuously true, as on AWS
        ("ForAllValues:StringLike", {"k:v": ["a1", "a2"]}, Decision.ALLOW),
        ("ForAllValues:StringLike", {"k:v": ["a1", "b2"]}, Decision.IMPLICIT_DENY),
        ("ForAnyValue:StringLike", {"k:v": ["a1", "b2"]}, Decision.ALLOW),
        ("StringNotLike", {"k:v": ["b1"]}, Decision.ALLOW),
        ("StringNotLike", {"k:v": ["a1"]}, Decision.IMPLICIT_DENY),
    ],
)
def test_condition_operators(operator: str, context: dict[str, list[str]], expected: Decision) -> None:
    statement = {"Effect": "Allow", "Action": "x:Do", "Resource": "*", "Condition": {operator: {"k:V": "a*"}}}
    assert evaluate([statement], Check("x:do", "arn:x", context)) is expected


def test_an_explicit_deny_wins_and_not_resource_excludes() -> None:
    statements = [
        {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::data/keep/*"},
    ]
    assert evaluate(statements, Check("s3:GetObject", "arn:aws:s3:::data/a")) is Decision.ALLOW
    assert evaluate(statements, Check("s3:GetObject", "arn:aws:s3:::secret/a")) is Decision.IMPLICIT_DENY
    assert evaluate(statements, Check("s3:DeleteObject", "arn:aws:s3:::data/keep/a")) is Decision.EXPLICIT_DENY
