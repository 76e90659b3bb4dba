"""The Terraform's wiring and conventions, read from the HCL (python-hcl2).

These complement the offline `terraform test` run (test_terraform_cli.py), which checks the
same wiring on a planned/applied graph: here we check what a plan cannot show (where things are
defined, the envs' shape, the tfvars, the comments).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from infra_helpers import ENVS, ENVS_DIR, MODULES, MODULES_DIR, REPO_ROOT, TF_ROOT, TOGGLES, Config, load_config

pytestmark = pytest.mark.infra

ENV_OUTPUTS = {
    "bronze_bucket",
    "silver_bucket",
    "queue_url",
    "dlq_url",
    "ingest_lambda",
    "transform_lambda",
    "idempotency_table_name",
    "ops_state_machine_arn",
    "ge_state_machine_arn",
    "glue_crawler_name",
    "glue_database_name",
    "glue_job_name",
    "dashboard_name",
}

# Toggle -> the modules/pipeline module calls that exist only when it is on.
TOGGLED_MODULES = {
    "ops_enabled": "ops",
    "glue_enabled": "glue_catalog",
    "glue_job_enabled": "compaction_job",
    "ge_enabled": "ge_validation",
    "ge_workflow_enabled": "ge_gate",
    "observability_enabled": "observability",
    "athena_enabled": "athena",
    "redshift_enabled": "redshift",
}
# Toggle -> (pipeline module call, its argument, module dir, resources/modules counted by it).
FORWARDED_TOGGLES = {
    "ops_schedule_enabled": ("ops", "schedule_enabled", "workflow_ops", [("module", "schedule")]),
    "ge_eventbridge_enabled": ("ge_gate", "eventbridge_enabled", "workflow_ge_gate", [("module", "trigger")]),
}

# APIs without resource-level permissions: the only actions that may name Resource "*".
NO_RESOURCE_LEVEL_ACTIONS = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "cloudwatch:PutMetricData",
}

ALL_TF_FILES = sorted(TF_ROOT.rglob("*.tf"))


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _references(expression: Any, name: str) -> bool:
    """Whether an HCL expression (as python-hcl2 renders it) mentions `name` as a whole word."""
    return bool(re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", str(expression)))


@pytest.fixture(scope="module")
def pipeline(module_configs: dict[str, Config]) -> Config:
    return module_configs["pipeline"]


# ------------------------------------------------------------------------------------------------
# Conventions
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
def test_module_has_the_standard_files(module: str) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        assert (MODULES_DIR / module / name).is_file(), f"modules/{module}/{name} is missing"


def test_only_the_aws_provider_pinned_to_5x_everywhere(
    module_configs: dict[str, Config], env_configs: dict[str, Config]
) -> None:
    for config in [*module_configs.values(), *env_configs.values()]:
        providers = {
            name: spec
            for block in config.terraform
            for required in block.get("required_providers", [])
            for name, spec in required.items()
        }
        assert providers == {"aws": {"source": "hashicorp/aws", "version": ">= 5.100, < 6.0"}}, config.path
    for path in ALL_TF_FILES:
        assert not re.search(r'resource\s+"random_|hashicorp/random', path.read_text()), f"{path}: no random provider"


def test_every_variable_is_typed_and_described_and_every_output_described(
    module_configs: dict[str, Config], env_configs: dict[str, Config]
) -> None:
    for config in [*module_configs.values(), *env_configs.values()]:
        for name, body in config.variables.items():
            assert body.get("type"), f"{config.path}: variable {name} has no type"
            assert body.get("description"), f"{config.path}: variable {name} has no description"
        for name, body in config.outputs.items():
            assert body.get("description"), f"{config.path}: output {name} has no description"


def test_checkov_skips_carry_a_written_reason() -> None:
    skips = []
    for path in ALL_TF_FILES:
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                skips.append(line)
                assert re.fullmatch(r"\s*#checkov:skip=CKV2?_AWS_\d+:\S.{30,}", line), f"{path}: {line.strip()}"
    assert skips, "expected the documented skips (e.g. VPC for Lambda, optional CMKs)"


# ------------------------------------------------------------------------------------------------
# Environments
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["main.tf", "variables.tf", "outputs.tf", "versions.tf"])
def test_envs_share_one_interface(name: str) -> None:
    """The envs differ only in providers.tf, backend.tf and terraform.tfvars: the rest is one copy
    in infra/terraform/stack/, linked from every env."""
    shared = (ENVS_DIR.parent / "stack" / name).resolve()
    for env in ENVS:
        path = ENVS_DIR / env / name
        assert path.is_symlink() and path.resolve() == shared, f"envs/{env}/{name} must link ../../stack/{name}"


def test_envs_are_local_dev_and_prod_calling_the_pipeline_module(env_configs: dict[str, Config]) -> None:
    assert set(ENVS) == {"local", "dev", "prod"}
    for config in env_configs.values():
        assert [m["source"] for m in config.modules.values()] == ["../../modules/pipeline"]
        assert not config.resources, f"{config.path}: resources belong in modules"


def test_env_outputs_cover_the_makefile_checklist(env_configs: dict[str, Config]) -> None:
    for config in env_configs.values():
        assert set(config.outputs) >= ENV_OUTPUTS, ENV_OUTPUTS - set(config.outputs)
        for name, body in config.outputs.items():
            assert body["value"] == f"${{module.pipeline.{name}}}"


def test_toggles_are_bool_tfvars_passed_to_the_pipeline(
    env_configs: dict[str, Config], env_tfvars: dict[str, dict[str, Any]], pipeline: Config
) -> None:
    for env, config in env_configs.items():
        call = config.modules["pipeline"]
        for toggle in TOGGLES:
            assert config.variables[toggle]["type"] == "bool", f"{env}: {toggle}"
            assert isinstance(env_tfvars[env][toggle], bool), f"envs/{env}/terraform.tfvars must set {toggle}"
            assert call[toggle] == f"${{var.{toggle}}}"
            assert pipeline.variables[toggle]["type"] == "bool"
        for name in ("existing_queue_url", "existing_queue_arn", "iam_name_prefix", "transform_layers"):
            assert call[name] == f"${{var.{name}}}"


def test_local_toggles_differ_from_dev_only_with_a_reason(env_tfvars: dict[str, dict[str, Any]]) -> None:
    local_lines = (ENVS_DIR / "local" / "terraform.tfvars").read_text().splitlines()
    for toggle in TOGGLES:
        if env_tfvars["local"][toggle] == env_tfvars["dev"][toggle]:
            continue
        index = next(i for i, line in enumerate(local_lines) if re.match(rf"\s*{toggle}\s*=", line))
        commented = "#" in local_lines[index] or local_lines[index - 1].strip().startswith("#")
        assert commented, f"envs/local: {toggle} differs from dev without a comment saying why"


def test_env_sizes_and_retention(env_tfvars: dict[str, dict[str, Any]]) -> None:
    dev, prod, local = env_tfvars["dev"], env_tfvars["prod"], env_tfvars["local"]
    assert (local["log_retention_days"], dev["log_retention_days"], prod["log_retention_days"]) == (7, 14, 90)
    assert prod["transform_memory_mb"] > dev["transform_memory_mb"]
    assert prod["esm_maximum_concurrency"] > dev["esm_maximum_concurrency"]
    assert prod["force_destroy"] is False and dev["force_destroy"] is True
    for env, values in env_tfvars.items():
        assert values["environment"] == env
        assert values["queue_max_receive_count"] >= 5


def test_dev_and_prod_document_a_remote_backend() -> None:
    for env in ("dev", "prod"):
        backend = (ENVS_DIR / env / "backend.tf").read_text()
        assert re.search(r'#\s*backend "s3"', backend), "the S3 backend block is there, commented"
        example = (ENVS_DIR / env / "backend.hcl.example").read_text()
        assert "use_lockfile = true" in example and "dynamodb_table" in example
    assert not (ENVS_DIR / "local" / "backend.tf").exists()


def test_local_env_points_every_service_at_the_emulator(env_configs: dict[str, Config]) -> None:
    (name, provider), *_ = env_configs["local"].providers
    assert name == "aws"
    endpoints = provider["endpoints"][0]
    assert set(endpoints.values()) == {"${var.local_endpoint}"}
    services_used = {"s3", "sqs", "dynamodb", "lambda", "iam", "sts", "logs", "cloudwatch", "events", "glue", "sfn"}
    assert services_used <= set(endpoints)
    assert provider["s3_use_path_style"] is True
    assert env_configs["local"].variables["local_endpoint"]["default"] == "http://127.0.0.1:4599"
    for env in ("dev", "prod"):
        (_, provider), *_ = env_configs[env].providers
        assert "endpoints" not in provider and "access_key" not in provider


# ------------------------------------------------------------------------------------------------
# Wiring
# ------------------------------------------------------------------------------------------------


def test_bronze_notifications_invoke_ingest_under_bronze_prefix(pipeline: Config) -> None:
    assert pipeline.locals["bronze_prefix"] == "bronze/"
    notification = pipeline.resources_of("aws_s3_bucket_notification")["bronze"]
    assert notification["bucket"] == "${module.bronze_bucket.id}"
    (target,) = notification["lambda_function"]
    assert target["lambda_function_arn"] == "${module.ingest.arn}"
    assert target["events"] == ["s3:ObjectCreated:*"]
    assert target["filter_prefix"] == "${local.bronze_prefix}"
    permission = pipeline.resources_of("aws_lambda_permission")["bronze_invokes_ingest"]
    assert permission["principal"] == "s3.amazonaws.com"
    assert permission["source_arn"] == "${module.bronze_bucket.arn}"
    assert notification["depends_on"] == ["${aws_lambda_permission.bronze_invokes_ingest}"]


def test_transform_consumes_the_events_queue_with_partial_batch_failures(
    pipeline: Config, module_configs: dict[str, Config]
) -> None:
    mapping = pipeline.modules["transform_events"]
    assert mapping["source"] == "../event_source_mapping"
    assert mapping["function_name"] == "${module.transform.arn}"
    assert mapping["event_source_arn"] == "${local.queue_arn}"
    assert _references(pipeline.locals["queue_arn"], "module.events_queue[0].queue_arn")
    esm = module_configs["event_source_mapping"].resources_of("aws_lambda_event_source_mapping")["this"]
    assert esm["function_response_types"] == ["ReportBatchItemFailures"]
    assert esm["batch_size"] == "${var.batch_size}"
    assert esm["maximum_batching_window_in_seconds"] == "${var.maximum_batching_window_in_seconds}"
    assert esm["scaling_config"][0]["maximum_concurrency"] == "${var.maximum_concurrency}"


def test_events_queue_redrives_to_its_dlq_after_at_least_5_receives(
    pipeline: Config, module_configs: dict[str, Config]
) -> None:
    sqs = module_configs["sqs_queue"]
    queue = sqs.resources_of("aws_sqs_queue")["this"]
    assert _references(queue["redrive_policy"], "deadLetterTargetArn = aws_sqs_queue.dlq[0].arn")
    assert _references(queue["redrive_policy"], "maxReceiveCount = var.max_receive_count")
    assert sqs.variables["max_receive_count"]["default"] >= 5
    assert ">= 5" in sqs.variables["max_receive_count"]["validation"][0]["condition"]
    # Visibility timeout derived from the consumer: 6 x the transform's timeout.
    assert "6 * var.consumer_timeout_seconds" in sqs.locals["visibility_timeout_seconds"]
    call = pipeline.modules["events_queue"]
    assert call["consumer_timeout_seconds"] == "${var.transform_timeout_seconds}"
    assert call["max_receive_count"] == "${var.queue_max_receive_count}"
    assert pipeline.variables["queue_max_receive_count"]["default"] >= 5
    for queue_body in sqs.resources_of("aws_sqs_queue").values():
        assert "sqs_managed_sse_enabled" in queue_body and "kms_master_key_id" in queue_body


def test_idempotency_table_contract(pipeline: Config, module_configs: dict[str, Config]) -> None:
    table = module_configs["dynamodb_table"].resources_of("aws_dynamodb_table")["this"]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["ttl"] == [{"attribute_name": "${var.ttl_attribute}", "enabled": True}]
    assert table["point_in_time_recovery"] == [{"enabled": "${var.point_in_time_recovery_enabled}"}]
    assert table["server_side_encryption"][0]["enabled"] is True
    call = pipeline.modules["idempotency_table"]
    assert (call["hash_key"], call["ttl_attribute"]) == ("pk", "expires_at")


def test_every_bucket_gets_the_baseline(module_configs: dict[str, Config], pipeline: Config) -> None:
    for path in ALL_TF_FILES:
        if path.parent.name != "s3_bucket":
            assert not re.search(r'resource\s+"aws_s3_bucket"\s', path.read_text()), f"{path}: use modules/s3_bucket"
    s3 = module_configs["s3_bucket"]
    block = s3.resources_of("aws_s3_bucket_public_access_block")["this"]
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    sse = s3.resources_of("aws_s3_bucket_server_side_encryption_configuration")["this"]
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == '${var.kms_key_arn == null ? "AES256" : "aws:kms"}'
    assert (
        s3.resources_of("aws_s3_bucket_ownership_controls")["this"]["rule"][0]["object_ownership"]
        == "BucketOwnerEnforced"
    )
    statements = s3.data[("aws_iam_policy_document", "tls_only")]["statement"]
    tls = next(s for s in statements if s["sid"] == "DenyInsecureTransport")
    assert tls["effect"] == "Deny"
    assert tls["condition"][0] == {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    assert s3.resources_of("aws_s3_bucket_policy")["this"]["policy"] == "${data.aws_iam_policy_document.tls_only.json}"
    rule = s3.resources_of("aws_s3_bucket_lifecycle_configuration")["this"]["dynamic"][0]["rule"]
    assert "abort_incomplete_multipart_upload" in rule["content"][0]
    bucket_calls = [m for m in pipeline.modules.values() if m["source"] == "../s3_bucket"]
    assert len(bucket_calls) == 3  # bronze, silver, artifacts
    # Bronze ages into cheaper storage classes.
    bronze = pipeline.modules["bronze_bucket"]
    assert "STANDARD_IA" in str(bronze["lifecycle_rules"]) and "GLACIER_IR" in str(bronze["lifecycle_rules"])


def test_names_are_deterministic_and_unique(pipeline: Config) -> None:
    assert _references(pipeline.locals["bucket_suffix"], "local.account_id")
    assert _references(pipeline.locals["bucket_suffix"], "local.region")
    for bucket in ("bronze_bucket", "silver_bucket"):
        assert pipeline.modules[bucket]["bucket_name"].endswith("-${local.bucket_suffix}")
    assert _references(pipeline.locals["name"], "var.name_suffix")
    assert _references(pipeline.locals["role_prefix"], "var.iam_name_prefix")


def test_lambda_environment_contract(pipeline: Config) -> None:
    ingest = pipeline.modules["ingest"]["environment_variables"]
    transform = pipeline.modules["transform"]["environment_variables"]
    assert set(ingest) == {
        "QUEUE_URL",
        "IDEMPOTENCY_TABLE",
        "IDEMPOTENCY_TTL_SECONDS",
        "BRONZE_PREFIX",
        "WORK_UNIT_BYTES",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
    }
    assert set(transform) == {
        "SILVER_BUCKET",
        "IDEMPOTENCY_TABLE",
        "QUEUE_URL",
        "BATCH_LEASE_SECONDS",
        "BATCH_MAX_BYTES",
        "SILVER_PREFIX",
        "QUARANTINE_PREFIX",
        "EMIT_PARTITION_EVENTS",
        "EVENT_BUS_NAME",
        "PARTITION_EVENT_DEBOUNCE_SECONDS",
        "PARTITION_CLAIMS_TABLE",
        "CATALOG_DATABASE",
        "CATALOG_TABLE_PREFIX",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
    }
    assert ingest["QUEUE_URL"] == "${local.queue_url}"
    assert ingest["IDEMPOTENCY_TABLE"] == "${module.idempotency_table.name}"
    assert transform["SILVER_BUCKET"] == "${module.silver_bucket.id}"
    assert transform["IDEMPOTENCY_TABLE"] == "${module.idempotency_table.name}"
    assert transform["BATCH_LEASE_SECONDS"] == "${tostring(var.transform_batch_lease_seconds)}"
    assert transform["BATCH_MAX_BYTES"] == "${tostring(var.transform_batch_max_bytes)}"
    assert transform["EMIT_PARTITION_EVENTS"] == "${tostring(var.ge_emit_events_from_transform)}"
    assert (pipeline.locals["silver_prefix"], pipeline.locals["quarantine_prefix"]) == ("silver", "quarantine")
    assert pipeline.variables["idempotency_ttl_seconds"]["default"] == 2592000
    # Terraform's default is the code's default (chosen by the `make bench` sweep).
    from elt.config import IngestSettings

    code_default = IngestSettings.from_env({"QUEUE_URL": "q", "IDEMPOTENCY_TABLE": "t"}).work_unit_bytes
    assert pipeline.variables["work_unit_bytes"]["default"] == code_default
    # The transform's batch settings too (elt/config.py TransformSettings).
    from elt.config import TransformSettings

    settings = TransformSettings.from_env({"SILVER_BUCKET": "s", "IDEMPOTENCY_TABLE": "t"})
    assert pipeline.variables["transform_batch_lease_seconds"]["default"] == settings.batch_lease_seconds
    assert pipeline.variables["transform_batch_max_bytes"]["default"] == settings.batch_max_bytes


def test_functions_use_the_shared_runtime_setting_and_built_artifacts(
    pipeline: Config, module_configs: dict[str, Config]
) -> None:
    assert "lambdas/runtime.json" in pipeline.locals["lambda_runtime"]
    for name, artifact in (("ingest", "ingest.zip"), ("transform", "transform.zip")):
        call = pipeline.modules[name]
        assert call["runtime"] == "${local.lambda_runtime.runtime}"
        assert call["architecture"] == "${local.lambda_runtime.architecture}"
        assert call["filename"] == f"${{local.artifacts_dir}}/{artifact}"
    function = module_configs["lambda_function"].resources_of("aws_lambda_function")["this"]
    assert function["source_code_hash"] == "${filebase64sha256(var.filename)}"
    assert function["handler"] == "${var.handler}"
    assert module_configs["lambda_function"].variables["handler"]["default"] == "app.handler"
    for path in ALL_TF_FILES:
        assert not re.search(r'"python3\.\d+"', path.read_text()), f"{path}: read the runtime from lambdas/runtime.json"


def test_ingest_async_failures_land_in_a_dlq(pipeline: Config) -> None:
    ingest = pipeline.modules["ingest"]
    assert ingest["dead_letter_target_arn"] == "${module.ingest_dlq.queue_arn}"
    # ... which its role may send to.
    assert ingest["attach_dead_letter_policy"] is True
    assert ingest["async_invoke_config"]["maximum_retry_attempts"] <= 2


# ------------------------------------------------------------------------------------------------
# Toggles
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("toggle", sorted(TOGGLED_MODULES))
def test_toggle_counts_its_module(toggle: str, pipeline: Config) -> None:
    call = pipeline.modules[TOGGLED_MODULES[toggle]]
    assert call["count"] == f"${{var.{toggle} ? 1 : 0}}"


@pytest.mark.parametrize("toggle", sorted(FORWARDED_TOGGLES))
def test_forwarded_toggle_counts_its_resources(
    toggle: str, pipeline: Config, module_configs: dict[str, Config]
) -> None:
    call_name, argument, module, counted = FORWARDED_TOGGLES[toggle]
    assert pipeline.modules[call_name][argument] == f"${{var.{toggle}}}"
    config = module_configs[module]
    for kind, address in counted:
        if kind == "resource":
            rtype, name = address.split(".")
            body = config.resources[(rtype, name)]
        else:
            body = config.modules[address]
        assert body["count"] == f"${{var.{argument} ? 1 : 0}}", f"{module}: {address}"


def test_quarantine_and_emit_toggles_gate_their_permissions(
    pipeline: Config, module_configs: dict[str, Config]
) -> None:
    assert pipeline.modules["ge_gate"]["quarantine_enabled"] == "${var.ge_quarantine_enabled}"
    gate_role = module_configs["workflow_ge_gate"].modules["state_machine"]["task_statements"]
    assert re.search(r"var\.quarantine_enabled \? \[\{sid = \"WriteQuarantineMarkers\"", gate_role)
    transform_role = pipeline.modules["transform"]["policy_statements"]
    assert re.search(r"var\.ge_emit_events_from_transform \? \[\{sid = \"EmitPartitionEvents\"", transform_role)


def test_glue_security_configuration_exists_only_with_a_glue_feature(pipeline: Config) -> None:
    config = pipeline.resources_of("aws_glue_security_configuration")["this"]
    assert config["count"] == "${local.glue_any_enabled ? 1 : 0}"
    for toggle in ("glue_enabled", "glue_job_enabled", "ge_enabled"):
        assert _references(pipeline.locals["glue_any_enabled"], f"var.{toggle}")


def test_glue_jobs_run_repository_scripts_on_glue_5(pipeline: Config, module_configs: dict[str, Config]) -> None:
    job = module_configs["glue_job"]
    assert job.variables["glue_version"]["default"] == "5.0"
    assert job.variables["worker_type"]["default"] == "G.1X"
    script = job.resources_of("aws_s3_object")["script"]
    assert script["source"] == "${var.script_path}"
    assert pipeline.modules["compaction_job"]["script_path"] == "${local.glue_scripts_dir}/compact_silver.py"
    assert pipeline.modules["ge_validation"]["script_path"] == "${local.glue_scripts_dir}/ge_validate_silver.py"
    crawler = module_configs["glue_catalog"].resources_of("aws_glue_crawler")["this"]
    assert crawler["recrawl_policy"][0]["recrawl_behavior"] == "${var.recrawl_behavior}"
    assert crawler["table_prefix"] == "${var.table_prefix}"
    assert crawler["s3_target"][0]["path"] == "s3://${var.silver_bucket_name}/${var.silver_prefix}/"


# ------------------------------------------------------------------------------------------------
# IAM
# ------------------------------------------------------------------------------------------------


def test_roles_and_policies_are_created_only_by_the_iam_module() -> None:
    for path in ALL_TF_FILES:
        if path.parent.name == "iam":
            continue
        found = re.findall(
            r'resource\s+"(aws_iam_(?:role|role_policy|policy|role_policy_attachment))"', path.read_text()
        )
        assert not found, f"{path}: create roles through modules/iam"


def test_standard_statements_are_written_once(module_configs: dict[str, Config]) -> None:
    """A function's role, its log and dead-letter statements come from modules/lambda_function and
    the data-key statement from modules/iam (kms_key_arn): callers pass only their own statements."""
    owners = {"WriteOwnLogs": "lambda_function", "DeadLetterFailedEvents": "lambda_function", "UseDataKey": "iam"}
    for path in ALL_TF_FILES:
        text = path.read_text()
        for sid, owner in owners.items():
            if f'"{sid}"' in text:
                assert path.parent.name == owner, f"{path}: {sid} is added by modules/{owner}"
    for name, config in module_configs.items():
        for label, call in config.modules.items():
            if call["source"] == "../iam" and "lambda.amazonaws.com" in str(call["trusted_services"]):
                assert name == "lambda_function", (
                    f"modules/{name}: {label} is a Lambda role outside modules/lambda_function"
                )
    function = module_configs["lambda_function"]
    role = function.modules["role"]
    assert role["kms_key_arn"] == "${var.kms_key_arn}"
    assert "local.standard_statements" in role["policy_statements"]
    assert "${aws_cloudwatch_log_group.this.arn}:*" in str(function.locals["standard_statements"])


def test_iam_module_rejects_wildcard_actions(module_configs: dict[str, Config]) -> None:
    validations = module_configs["iam"].variables["policy_statements"]["validation"]
    assert any('!strcontains(a, "*")' in v["condition"] for v in validations)


def _statement_lists(config: Config) -> Iterator[tuple[list[str], list[str]]]:
    """(actions, resources) of every statement object written as HCL data, plus those inside
    expressions (concat(...), conditionals), found textually."""
    roots = [config.locals, config.modules]
    for value in (v for root in roots for v in _walk(root)):
        if isinstance(value, dict) and "actions" in value and isinstance(value["actions"], list):
            resources = value.get("resources", [])
            # An expression (e.g. flatten([...])) is one computed resource list.
            yield value["actions"], [resources] if isinstance(resources, str) else resources
        elif isinstance(value, str) and "actions" in value:
            for match in re.finditer(r"actions = \[([^\]]*)\], resources = \[([^\]]*)\]", value):
                actions = re.findall(r'"([^"]+)"', match.group(1))
                resources = [r.strip() for r in match.group(2).split(",") if r.strip()]
                yield actions, resources


@pytest.mark.parametrize("module", MODULES)
def test_granted_statements_name_explicit_actions_and_scoped_resources(
    module: str, module_configs: dict[str, Config]
) -> None:
    config = module_configs[module]
    for actions, resources in _statement_lists(config):
        assert all("*" not in action for action in actions), f"{module}: wildcard action in {actions}"
        for resource in resources:
            literal = resource.strip('"')
            if literal == "*":
                assert set(actions) <= NO_RESOURCE_LEVEL_ACTIONS, f"{module}: Resource * for {actions}"
            else:
                # Every other resource is built from this stack's values, never a literal ARN.
                assert "${" in literal or re.match(r"[a-z_]+\.", literal), f"{module}: literal resource {resource}"
    for (dtype, name), body in config.data.items():
        if dtype != "aws_iam_policy_document":
            continue
        for statement in body.get("statement", []):
            if any("*" in action for action in statement["actions"]):
                assert statement["effect"] == "Deny", f"{module}: {name} allows a wildcard action"


def test_function_roles_grant_the_documented_permissions(pipeline: Config) -> None:
    ingest = str(pipeline.modules["ingest"]["policy_statements"]) + str(pipeline.locals["read_bronze_statements"])
    for action in (
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "sqs:SendMessage",
    ):
        assert action in ingest
    transform = str(pipeline.modules["transform"]["policy_statements"])
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"):
        assert action in transform
    assert "${module.silver_bucket.arn}/${local.silver_prefix}/*" in transform
    assert "${module.silver_bucket.arn}/${local.quarantine_prefix}/*" in transform
    listing = next(s for s in pipeline.locals["read_bronze_statements"] if s["sid"] == "ListBronzePrefix")
    assert listing["conditions"][0]["variable"] == "s3:prefix"
    assert listing["conditions"][0]["values"] == ["${local.bronze_prefix}*"]
    # IfExists: S3's ListBucket check that turns a GET of a vanished key into 404 NoSuchKey (not
    # 403 AccessDenied) carries no s3:prefix; a plain StringLike would deny it (issue 15, finding 5).
    assert listing["conditions"][0]["test"] == "StringLikeIfExists"


def test_no_arn_hard_codes_the_aws_partition() -> None:
    """ARNs take the partition from data.aws_partition (aws-cn, aws-us-gov): the Terraform and the
    ASL templates, whose service-integration ARNs (arn:<partition>:states:::...) are rendered too."""
    sources = [*TF_ROOT.glob("modules/*/*.tf"), *TF_ROOT.glob("modules/*/*.tftpl"), *TF_ROOT.glob("stack/*.tf")]
    assert any(p.suffix == ".tftpl" for p in sources)
    offenders = [str(p.relative_to(TF_ROOT)) for p in sources if re.search(r"arn:aws:", p.read_text())]
    assert not offenders, offenders


def test_glue_scripts_are_uploaded_with_a_source_hash_not_an_etag(module_configs: dict[str, Config]) -> None:
    """With SSE-KMS an S3 ETag is not the content's MD5, so an etag argument never matches."""
    for name, config in module_configs.items():
        for label, obj in config.resources_of("aws_s3_object").items():
            assert "etag" not in obj, f"{name}.aws_s3_object.{label}: use source_hash"
            assert "source_hash" in obj, f"{name}.aws_s3_object.{label}"


def test_the_ge_gate_role_has_what_glue_sync_needs_and_no_eventbridge(module_configs: dict[str, Config]) -> None:
    """Step Functions documents glue:StartJobRun, GetJobRun, GetJobRuns and BatchStopJobRun for
    startJobRun.sync; it polls the run, so the role needs no events:PutRule/PutTargets."""
    gate = str(module_configs["workflow_ge_gate"].modules["state_machine"]["task_statements"])
    for action in ("glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"):
        assert action in gate
    assert "events:PutRule" not in gate and "events:PutTargets" not in gate and "events:DescribeRule" not in gate


def test_terraform_version_supports_the_s3_lock_file() -> None:
    """backend.hcl.example locks with use_lockfile, which Terraform accepts from 1.10."""
    versions = (TF_ROOT / "stack" / "versions.tf").read_text()
    match = re.search(r'required_version\s*=\s*">=\s*1\.(\d+)', versions)
    assert match and int(match.group(1)) >= 10, versions
    for env in ("dev", "prod"):
        assert "use_lockfile" in (ENVS_DIR / env / "backend.hcl.example").read_text()


def test_the_lambda_runtime_is_one_setting() -> None:
    """lambdas/runtime.json names the runtime; the build (scripts/build_lambdas.py), the Terraform
    (modules/pipeline reads it) and the tests follow it, and the local cloud runs what Terraform
    deployed. Moving to a newer runtime is a change of that one line."""
    allowed = {
        REPO_ROOT / "lambdas" / "runtime.json",
        # Only when runtime.json is missing: a stand-in so that the mocked plan still runs.
        REPO_ROOT / "tests" / "infra" / "test_terraform_cli.py",
    }
    roots = ["elt", "lambdas", "localcloud", "scripts", "demo", "bench", "chaos", "tests", "infra", "mk"]
    files = [p for root in roots for p in (REPO_ROOT / root).rglob("*") if p.suffix in {".py", ".tf", ".json", ".mk"}]
    files.append(REPO_ROOT / "Makefile")
    offenders = [
        str(p.relative_to(REPO_ROOT))
        for p in files
        if p not in allowed and ".terraform" not in p.parts and re.search(r"[\"']python3\.\d+[\"']", p.read_text())
    ]
    assert not offenders, offenders
    assert "runtime_config_path" in str(load_config(MODULES_DIR / "pipeline").locals)
