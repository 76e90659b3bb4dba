"""Server-side extensions of the emulator (moto 5.2.x), one module per service: close the API gaps
our Terraform hits and route execution to the local runtime. Every gap is listed in the README's
local cloud gap table.

Installed once, in the emulator process, before it serves requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from localcloud.extensions import athena, awslambda, events, firehose, glue, iam, redshift, s3, sqs, stepfunctions

if TYPE_CHECKING:
    from localcloud.runtime import Runtime


def install(runtime: Runtime) -> None:
    iam.enforce_identity_policies()
    stepfunctions.enable_execution()
    stepfunctions.tasks_run_as_the_state_machine_role()
    stepfunctions.validate_state_machine_definition()
    stepfunctions.list_state_machine_versions()
    glue.update_job()
    stepfunctions.glue_sync_tasks()
    athena.tags_for_untagged_resources()
    sqs.redrive_allow_policy()
    sqs.receive_in_linear_time()
    sqs.message_move_tasks()
    sqs.message_size_limits()
    s3.keys_at_most_1024_bytes()
    awslambda.dead_letter_config()
    awslambda.mappings_listed_by_name_or_arn()
    athena.delete_named_query()
    athena.work_group_updates()
    athena.named_queries()
    s3.loopback_counts_as_secure_transport()
    awslambda.invoke_runs_locally(runtime)
    s3.notifications_are_asynchronous(runtime)
    sqs.lambda_triggers_are_polled(runtime)
    events.lambda_and_sfn_targets(runtime)
    glue.runs_execute_locally(runtime)
    athena.queries_execute_locally(runtime)
    redshift.serverless_control_plane(runtime)
    redshift.data_api_executes_locally(runtime)
    firehose.records_are_buffered(runtime)
