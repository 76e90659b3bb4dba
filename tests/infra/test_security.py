"""Security guarantees of the Terraform, read from the HCL and checked against the Lambda code.

test_structure.py pins the baseline resources (public access block, SSE, the TLS statement,
explicit IAM actions). This file checks what those do not: that no policy anywhere opens a
resource to everyone, that TLS-only and encryption hold for every bucket *and* queue with no
switch to turn them off, that each Lambda role grants exactly the AWS actions its code calls
(derived from the code, not from a list kept by hand) on this stack's resources, that every log
group expires, and that no output or variable file carries a credential.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from infra_helpers import ENVS_DIR, MODULES_DIR, REPO_ROOT, TF_ROOT, Config, parse_hcl

pytestmark = pytest.mark.infra

LAMBDAS = REPO_ROOT / "lambdas"
ALL_TF_FILES = sorted(TF_ROOT.rglob("*.tf"))

# ------------------------------------------------------------------------------------------------
# What the code calls, as IAM actions
# ------------------------------------------------------------------------------------------------

#: Services the Lambda code talks to: boto3 method name -> IAM action comes from their models.
CODE_SERVICES = ("s3", "sqs", "dynamodb", "events", "glue")
#: A receiver named like this is that service's client (`self.glue.create_table` is Glue's, not
#: DynamoDB's); a receiver named otherwise may be any service that has the method.
SERVICE_HINTS = {
    "s3": "s3",
    "sqs": "sqs",
    "dynamodb": "dynamodb",
    "ddb": "dynamodb",
    "events": "events",
    "glue": "glue",
}
#: Where the IAM action differs from "<prefix>:<OperationName>".
ACTION_OF_OPERATION = {
    "s3:HeadObject": "s3:GetObject",
    "s3:DeleteObjects": "s3:DeleteObject",  # authorized per key
    "s3:ListObjectsV2": "s3:ListBucket",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
#: The S3 transfer manager's methods (not API operations): what they call.
TRANSFER_METHODS = {
    "upload_file": {"s3:PutObject", "s3:AbortMultipartUpload"},  # multipart above 8 MB, aborted on failure
    "upload_fileobj": {"s3:PutObject", "s3:AbortMultipartUpload"},
    "download_file": {"s3:GetObject"},
    "download_fileobj": {"s3:GetObject"},
}
#: Granted for the Lambda service or the event source mapping, not called by the code; each
#: with the reason it is needed.
RUNTIME_ACTIONS = {
    "ingest": {
        "logs:CreateLogStream": "the Lambda service writes the function's log streams",
        "logs:PutLogEvents": "the Lambda service writes the function's log events",
        "sqs:SendMessage": "failed asynchronous invocations go to the ingest DLQ with the function's role",
        "s3:ListBucket": "without it a GET of a missing key answers 403 instead of 404 (NoSuchKey is handled)",
        "kms:Decrypt": "only with a customer managed key: reading encrypted objects and messages",
        "kms:GenerateDataKey": "only with a customer managed key: sending encrypted messages",
    },
    "transform": {
        "logs:CreateLogStream": "the Lambda service writes the function's log streams",
        "logs:PutLogEvents": "the Lambda service writes the function's log events",
        "sqs:ReceiveMessage": "the event source mapping polls the queue with the function's role",
        "sqs:DeleteMessage": "the event source mapping deletes processed messages",
        "sqs:GetQueueAttributes": "the event source mapping reads the queue's attributes",
        "sqs:ChangeMessageVisibility": "the event source mapping returns failed items to the queue",
        "s3:ListBucket": "without it a GET of a missing key answers 403 instead of 404 (NoSuchKey is handled)",
        "kms:Decrypt": "only with a customer managed key: reading encrypted objects and messages",
        "kms:GenerateDataKey": "only with a customer managed key: writing encrypted objects",
    },
}
#: modules/pipeline's function calls (modules/lambda_function, which owns each function's role).
FUNCTIONS = ("ingest", "transform")


@cache
def _operation_actions() -> dict[str, dict[str, set[str]]]:
    """boto3 method name -> service -> the IAM actions it needs, for CODE_SERVICES."""
    session = botocore.session.get_session()
    actions: dict[str, dict[str, set[str]]] = {name: {"s3": set(needs)} for name, needs in TRANSFER_METHODS.items()}
    for service in CODE_SERVICES:
        for operation in session.get_service_model(service).operation_names:
            action = f"{service}:{operation}"
            by_service = actions.setdefault(xform_name(operation), {})
            by_service.setdefault(service, set()).add(ACTION_OF_OPERATION.get(action, action))
    return actions


def _receiver_service(call: ast.Call) -> str | None:
    assert isinstance(call.func, ast.Attribute)
    words = re.findall(r"[a-z0-9]+", ast.unparse(call.func.value).lower())
    return next((SERVICE_HINTS[w] for w in reversed(words) if w in SERVICE_HINTS), None)


def _shared_imports(tree: ast.AST) -> Iterator[Path]:
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name == "elt" or name.startswith("elt."):
                path = REPO_ROOT / Path(*name.split("."))
                yield path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _code_of(function: str) -> list[Path]:
    """The handler and every module of `elt` it imports, transitively."""
    seen: list[Path] = []
    pending = [LAMBDAS / function / "app.py"]
    while pending:
        path = pending.pop()
        if path in seen or not path.is_file():
            continue
        seen.append(path)
        pending += list(_shared_imports(ast.parse(path.read_text(encoding="utf-8"))))
    return seen


def _method_called(call: ast.Call) -> str:
    """The client method a call runs: its attribute, or the operation a paginator is made for
    (``s3.get_paginator("list_objects_v2")``)."""
    assert isinstance(call.func, ast.Attribute)
    if call.func.attr == "get_paginator" and call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value)
    return call.func.attr


def actions_called_by(function: str) -> dict[str, set[str]]:
    """IAM action -> the modules whose method calls need it."""
    operations = _operation_actions()
    needed: dict[str, set[str]] = {}
    for path in _code_of(function):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                by_service = operations.get(_method_called(node), {})
                service = _receiver_service(node)
                for svc, actions in by_service.items():
                    if service is None or svc == service:
                        for action in actions:
                            needed.setdefault(action, set()).add(path.name)
                if node.func.attr in {"get_object", "head_object"} and "VersionId" in source:
                    # Reading a given version of an object is its own permission.
                    needed.setdefault("s3:GetObjectVersion", set()).add(path.name)
    return needed


# ------------------------------------------------------------------------------------------------
# What the roles grant
# ------------------------------------------------------------------------------------------------


def _expression_text(pipeline: Config, value: Any) -> str:
    """An HCL expression as text, with the `local.X` values it names spliced in (one level deep
    is what the pipeline module uses)."""
    text = str(value)
    for name in sorted(set(re.findall(r"local\.(\w+)", text))):
        if name in pipeline.locals:
            text += "\n" + str(pipeline.locals[name])
    return text


#: Statement objects print as {...'sid': ..., 'actions': [...], 'resources': [...]} (python dicts)
#: or as `sid = ..., actions = [...], resources = [...]` inside expressions; both forms match.
STATEMENT = re.compile(
    r"""(?:['"]?sid['"]?\s*[:=]\s*['"](\w+)['"],?\s*)?"""
    r"""['"]?actions['"]?\s*[:=]\s*\[([^\]]*)\],?\s*['"]?resources['"]?\s*[:=]\s*\[([^\]]*)\]"""
)


def _parse_statements(text: str) -> list[tuple[str | None, list[str], list[str]]]:
    """(sid, actions, resources) of each statement found in an HCL expression's text."""
    statements = []
    for match in STATEMENT.finditer(text):
        actions = re.findall(r"""['"]([a-z0-9-]+:[A-Za-z0-9*]+)['"]""", match.group(2))
        resources = [r.strip().strip("'\"") for r in match.group(3).split(",") if r.strip()]
        statements.append((match.group(1), actions, resources))
    return statements


def _in_caller_scope(expression: str, function: str, call: dict[str, Any]) -> str:
    """A modules/lambda_function expression as seen from modules/pipeline: `var.X` becomes the
    call's argument, a resource of the module its address under module.<function>."""

    def argument(match: re.Match[str]) -> str:
        value = str(call.get(match.group(1)))
        whole = re.fullmatch(r"\$\{(.*)\}", value)
        return whole.group(1) if whole else value

    expression = re.sub(r"(?<![\w.])var\.(\w+)", argument, expression)
    return re.sub(r"(?<![\w.])(aws_\w+\.\w+)", rf"module.{function}.\1", expression)


def own_statements(pipeline: Config, function: str) -> list[tuple[str | None, list[str], list[str]]]:
    """The statements the pipeline passes to a function (policy_statements)."""
    return _parse_statements(_expression_text(pipeline, pipeline.modules[function]["policy_statements"]))


def standard_statements(module_configs: dict[str, Config], function: str) -> list[tuple[list[str], list[str]]]:
    """What modules/lambda_function adds to the function's role for the call's inputs: writing its
    logs, sending to its DLQ (attach_dead_letter_policy), and the data key (kms_key_arn, added by
    modules/iam)."""
    call = module_configs["pipeline"].modules[function]
    module = module_configs["lambda_function"]
    found = {
        sid: (actions, resources)
        for sid, actions, resources in _parse_statements(str(module.locals["standard_statements"]))
    }
    assert set(found) == {"WriteOwnLogs", "DeadLetterFailedEvents"}, found
    wanted = ["WriteOwnLogs"] + (["DeadLetterFailedEvents"] if call.get("attach_dead_letter_policy") is True else [])
    statements = [(found[sid][0], [_in_caller_scope(r, function, call) for r in found[sid][1]]) for sid in wanted]
    if call.get("kms_key_arn") is not None:
        iam = module_configs["iam"]
        assert '"UseDataKey"' in str(iam.locals["kms_statements"])
        role = module.modules["role"]
        actions = role.get("kms_actions", iam.variables["kms_actions"]["default"])
        statements.append((actions, [_in_caller_scope(str(role["kms_key_arn"]).strip("${}"), function, call)]))
    return statements


def granted_statements(module_configs: dict[str, Config], function: str) -> list[tuple[list[str], list[str]]]:
    """(actions, resources) of each statement of a function role's policy, found in the HCL text."""
    own = [(actions, resources) for _, actions, resources in own_statements(module_configs["pipeline"], function)]
    return own + standard_statements(module_configs, function)


def granted_actions(module_configs: dict[str, Config], function: str) -> set[str]:
    return {action for actions, _ in granted_statements(module_configs, function) for action in actions}


@pytest.fixture(scope="module")
def pipeline(module_configs: dict[str, Config]) -> Config:
    return module_configs["pipeline"]


def test_the_code_scan_finds_the_calls_we_know_of() -> None:
    """Guards the scanner itself: a scan that found nothing would make the tests below vacuous."""
    ingest, transform = actions_called_by("ingest"), actions_called_by("transform")
    assert {"s3:GetObject", "sqs:SendMessage", "dynamodb:PutItem", "dynamodb:DeleteItem"} <= set(ingest)
    assert {"s3:GetObject", "s3:PutObject", "events:PutEvents"} <= set(transform)
    assert "silver.py" in transform["s3:PutObject"]
    # The ledger and retraction: DeleteObjects is s3:DeleteObject, a paginator's listing counts.
    assert {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "s3:DeleteObject"} <= set(transform)
    assert "retract.py" in transform["s3:ListBucket"]


def test_the_policy_parser_finds_every_statement(module_configs: dict[str, Config], pipeline: Config) -> None:
    own = own_statements(pipeline, "ingest")
    sids = re.findall(r"sid\W+(\w+)", _expression_text(pipeline, pipeline.modules["ingest"]["policy_statements"]))
    # One (actions, resources) per statement with a sid, each with its actions.
    assert [sid for sid, _, _ in own] == sids and all(actions for _, actions, _ in own)
    # Its own four, plus its logs, its DLQ and the data key from modules/lambda_function.
    assert len(granted_statements(module_configs, "ingest")) == len(sids) + 3 >= 7


@pytest.mark.parametrize("function", FUNCTIONS)
def test_role_grants_every_action_its_code_calls(function: str, module_configs: dict[str, Config]) -> None:
    granted = granted_actions(module_configs, function)
    needed = {a: where for a, where in actions_called_by(function).items() if a != "s3:GetObjectVersion"}
    missing = {action: sorted(where) for action, where in needed.items() if action not in granted}
    assert not missing, f"{function}: the code calls actions its role does not grant: {missing}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_role_grants_nothing_its_function_does_not_use(function: str, module_configs: dict[str, Config]) -> None:
    granted = granted_actions(module_configs, function)
    used = set(actions_called_by(function)) | set(RUNTIME_ACTIONS[function])
    unused = sorted(granted - used)
    assert not unused, f"{function}: granted but never called by the code or the Lambda service: {unused}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_versioned_bronze_reads_are_granted(
    function: str, module_configs: dict[str, Config], env_tfvars: dict[str, Any]
) -> None:
    assert any(values["bucket_versioning_enabled"] for values in env_tfvars.values())
    assert "s3:GetObjectVersion" in actions_called_by(function)
    assert "s3:GetObjectVersion" in granted_actions(module_configs, function)


#: A resource of this stack: built from its modules' or locals' values (names, ARNs, this account
#: and region), or the stack's KMS key; never a literal ARN or another account's.
STACK_RESOURCE = re.compile(r"\$\{(module|local)\.\w+|^(module|local)\.\w+|^var\.kms_key_arn$")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_role_resources_are_this_stacks(function: str, module_configs: dict[str, Config]) -> None:
    for actions, resources in granted_statements(module_configs, function):
        assert resources, f"{function}: {actions} without resources"
        for resource in resources:
            assert resource != "*", f"{function}: {actions} on every resource"
            assert STACK_RESOURCE.search(resource), f"{function}: {actions} on {resource}, not one of this stack's"


GLUE_MODULES = ("glue_catalog", "glue_job")


def test_no_lambda_or_state_machine_role_may_create_log_groups(module_configs: dict[str, Config]) -> None:
    """Terraform creates every Lambda and state machine log group with its retention; a role that
    may create log groups lets a deleted group come back without retention."""
    for name, config in module_configs.items():
        if name in GLUE_MODULES:
            continue  # Glue creates its own groups: test_glue_log_groups_have_a_retention
        for path in sorted(config.path.glob("*.tf")):
            assert "logs:CreateLogGroup" not in path.read_text(), f"{path}: grants logs:CreateLogGroup"


@pytest.mark.xfail(
    strict=True,
    reason="Glue creates its crawler and job log groups itself (logs:CreateLogGroup on /aws-glue/*), which "
    "never expire. Fix in modules/glue_catalog and modules/glue_job: create the groups Glue writes to under "
    "the stack's security configuration (or pass --continuous-log-logGroup to the jobs) as "
    "aws_cloudwatch_log_group with retention_in_days = var.log_retention_days, then drop logs:CreateLogGroup",
)
def test_glue_log_groups_have_a_retention(module_configs: dict[str, Config]) -> None:
    for name in GLUE_MODULES:
        config = module_configs[name]
        groups = config.resources_of("aws_cloudwatch_log_group")
        assert groups, f"modules/{name}: Glue's log groups are not created by Terraform"
        assert all(g.get("retention_in_days") == "${var.log_retention_days}" for g in groups.values())
        assert "logs:CreateLogGroup" not in "".join(p.read_text() for p in config.path.glob("*.tf"))


# ------------------------------------------------------------------------------------------------
# Policies: no wildcard principal outside a Deny
# ------------------------------------------------------------------------------------------------


def _policy_documents() -> Iterator[tuple[Path, str, dict[str, Any]]]:
    for path in ALL_TF_FILES:
        for block in parse_hcl(path).get("data", []):
            for dtype, named in block.items():
                if dtype == "aws_iam_policy_document":
                    for name, body in named.items():
                        yield path, name, body


def test_wildcard_principals_appear_only_in_deny_statements() -> None:
    checked = 0
    for path, name, body in _policy_documents():
        for statement in body.get("statement", []):
            for principals in statement.get("principals", []):
                checked += 1
                if principals["type"] == "*" or "*" in principals["identifiers"]:
                    assert statement.get("effect") == "Deny", f"{path}: {name} allows everyone"
    assert checked >= 3
    for path in ALL_TF_FILES:
        text = path.read_text()
        # jsonencode()d policies: Principal = "*" or { AWS = "*" }.
        assert not re.search(r'Principal\s*=\s*"\*"|AWS\s*=\s*"\*"', text), f"{path}: wildcard principal"


def test_cross_service_invocations_name_their_source(module_configs: dict[str, Config]) -> None:
    """A service principal without a source ARN/account lets any account's resource invoke."""
    found = 0
    for name, config in module_configs.items():
        for label, permission in config.resources_of("aws_lambda_permission").items():
            found += 1
            assert permission["principal"].endswith(".amazonaws.com"), f"{name}.{label}"
            assert permission.get("source_arn") and permission.get("source_account"), f"{name}.{label}"
    assert found >= 1


#: Services whose role trust carries no aws:SourceAccount condition, each with the reason. AWS
#: documents the Glue service role's trust as the plain principal and Glue does not send
#: aws:SourceAccount when it assumes a crawler's or job's role, so the condition would make
#: CreateCrawler fail ("Service is unable to assume role") and job runs fail to start; only a
#: principal allowed iam:PassRole can hand Glue the role. Lambda's execution roles are assumed
#: by the function itself (no confused deputy: the function and role are in one account).
#: Redshift documents the Spectrum/COPY role's trust as the plain principal too; the role is only
#: used by a namespace it was attached to, which takes iam:PassRole in this account.
#: Firehose's documented trust conditions on sts:ExternalId (the account), not aws:SourceAccount;
#: its role is only used by a delivery stream it was passed to (iam:PassRole in this account).
TRUST_WITHOUT_SOURCE_ACCOUNT = {
    "firehose.amazonaws.com",
    "glue.amazonaws.com",
    "lambda.amazonaws.com",
    "redshift.amazonaws.com",
    "redshift-serverless.amazonaws.com",
}


def test_service_roles_trust_as_each_service_documents(module_configs: dict[str, Config]) -> None:
    """Step Functions and EventBridge send aws:SourceAccount: their roles require it (confused
    deputy protection). Glue does not: its roles must not require it (TRUST_WITHOUT_SOURCE_ACCOUNT)."""
    seen: dict[str, bool] = {}
    for name, config in module_configs.items():
        for label, call in config.modules.items():
            if call.get("source") != "../iam" or "trusted_services" not in call:
                continue
            conditioned = "source_account_id" in call
            for service in call["trusted_services"]:
                seen[service] = conditioned
                expected = service not in TRUST_WITHOUT_SOURCE_ACCOUNT
                assert conditioned == expected, f"{name}.{label}: {service} with aws:SourceAccount={conditioned}"
    assert set(seen) == {"states.amazonaws.com", "events.amazonaws.com"} | TRUST_WITHOUT_SOURCE_ACCOUNT


# ------------------------------------------------------------------------------------------------
# TLS-only and encryption: for every bucket and queue, with no switch to turn them off
# ------------------------------------------------------------------------------------------------


def test_bucket_policy_denies_plain_http_and_old_tls_on_bucket_and_objects(module_configs: dict[str, Config]) -> None:
    s3 = module_configs["s3_bucket"]
    statements = {s["sid"]: s for s in s3.data[("aws_iam_policy_document", "tls_only")]["statement"]}
    for sid in ("DenyInsecureTransport", "DenyOutdatedTls"):
        statement = statements[sid]
        assert statement["effect"] == "Deny" and statement["actions"] == ["s3:*"]
        assert statement["resources"] == ["${aws_s3_bucket.this.arn}", "${aws_s3_bucket.this.arn}/*"]
    assert statements["DenyOutdatedTls"]["condition"][0]["variable"] == "s3:TlsVersion"
    assert statements["DenyOutdatedTls"]["condition"][0]["values"] == ["1.2"]
    # The baseline resources exist for every bucket: nothing counts them away.
    for rtype in (
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_ownership_controls",
    ):
        body = s3.resources_of(rtype)["this"]
        assert "count" not in body and "for_each" not in body, rtype
        assert body["bucket"] == "${aws_s3_bucket.this.id}", rtype
    assert not any(re.search(r"public|encrypt|sse", v) for v in s3.variables), "a switch for the baseline"


def test_every_queue_is_encrypted_and_tls_only(module_configs: dict[str, Config], pipeline: Config) -> None:
    for path in ALL_TF_FILES:
        if path.parent.name not in {"sqs_queue"}:
            assert not re.search(r'resource\s+"aws_sqs_queue"\s', path.read_text()), f"{path}: use modules/sqs_queue"
    sqs = module_configs["sqs_queue"]
    for label, queue in sqs.resources_of("aws_sqs_queue").items():
        # Exactly one of the two encryptions is always on: SQS-managed SSE, or the CMK when given.
        assert queue["sqs_managed_sse_enabled"] == "${var.kms_key_arn == null ? true : null}", label
        assert queue["kms_master_key_id"] == "${var.kms_key_arn}", label
    policy = sqs.resources_of("aws_sqs_queue_policy")["tls_only"]
    assert policy["for_each"] == "${data.aws_iam_policy_document.tls_only}"
    document = sqs.data[("aws_iam_policy_document", "tls_only")]
    assert "main" in document["for_each"] and "dlq" in document["for_each"], "the DLQ gets the policy too"
    (statement,) = document["statement"]
    assert statement["effect"] == "Deny" and statement["condition"][0]["variable"] == "aws:SecureTransport"
    # Every queue of the pipeline comes from that module and receives the stack's key setting.
    queue_calls = {n: m for n, m in pipeline.modules.items() if m["source"] == "../sqs_queue"}
    assert set(queue_calls) >= {"events_queue", "ingest_dlq"}
    for name, call in queue_calls.items():
        assert call.get("kms_key_arn") == "${var.kms_key_arn}", name


def test_every_bucket_and_table_receives_the_stacks_key_setting(pipeline: Config) -> None:
    calls = {n: m for n, m in pipeline.modules.items() if m["source"] in {"../s3_bucket", "../dynamodb_table"}}
    assert len(calls) >= 4
    for name, call in calls.items():
        assert call.get("kms_key_arn") == "${var.kms_key_arn}", f"{name} ignores kms_key_arn"


# ------------------------------------------------------------------------------------------------
# Logs expire; nothing secret leaves the stack
# ------------------------------------------------------------------------------------------------

CLOUDWATCH_RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557}


def test_every_log_group_has_a_retention(module_configs: dict[str, Config], env_tfvars: dict[str, Any]) -> None:
    groups = 0
    for name, config in module_configs.items():
        for label, group in config.resources_of("aws_cloudwatch_log_group").items():
            groups += 1
            assert group.get("retention_in_days") == "${var.log_retention_days}", f"{name}.{label}"
            assert config.variables["log_retention_days"].get("default") in (None, *CLOUDWATCH_RETENTION_DAYS)
    assert groups >= 2  # lambda_function and state_machine (both workflows use it)
    for env, values in env_tfvars.items():
        assert values["log_retention_days"] in CLOUDWATCH_RETENTION_DAYS, env
    function = module_configs["lambda_function"]
    group = function.resources_of("aws_cloudwatch_log_group")["this"]
    assert group["name"] == "/aws/lambda/${var.function_name}", "the group Lambda would otherwise create itself"


SECRET_NAME = re.compile(r"secret|password|passwd|token|private|credential|access_key", re.IGNORECASE)
SECRET_SOURCE = re.compile(
    r"aws_iam_access_key|aws_secretsmanager_secret_version|random_password|tls_private_key|aws_ssm_parameter|"
    r"\.(secret|password|private_key|secret_string|ses_smtp_password)\b"
)
CREDENTIAL_LITERAL = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b|-----BEGIN [A-Z ]*PRIVATE KEY-----|aws_secret_access_key")


def test_no_output_exposes_a_secret(module_configs: dict[str, Config], env_configs: dict[str, Config]) -> None:
    outputs = 0
    for config in [*module_configs.values(), *env_configs.values()]:
        for name, body in config.outputs.items():
            outputs += 1
            assert not SECRET_NAME.search(name), f"{config.path}: output {name}"
            assert not SECRET_SOURCE.search(str(body["value"])), f"{config.path}: output {name} = {body['value']}"
            assert not body.get("sensitive"), f"{config.path}: output {name} is sensitive: should it be an output?"
    assert outputs > 20


def test_no_credentials_in_terraform_files() -> None:
    files = [*ALL_TF_FILES, *sorted(ENVS_DIR.glob("*/*.tfvars")), *sorted(ENVS_DIR.glob("*/*.example"))]
    assert len(files) > len(list(MODULES_DIR.iterdir()))
    for path in files:
        assert not CREDENTIAL_LITERAL.search(path.read_text()), f"{path}: a credential in the code"
