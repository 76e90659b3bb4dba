# Great Expectations gate (Step Functions): run the validation job for a silver partition
# (glue:startJobRun.sync); on failure optionally write a quarantine marker, notify, fail.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  arn_suffix = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  ge_job_arn = "arn:${local.partition}:glue:${local.arn_suffix}:job/${var.ge_job_name}"

  # The managed rule Step Functions creates to observe Glue runs for .sync integrations.
  sync_rule_arn = "arn:${local.partition}:events:${local.arn_suffix}:rule/StepFunctionsGetEventsForGlueJobRunsRule"
  bus_arn       = "arn:${local.partition}:events:${local.arn_suffix}:event-bus/${var.event_bus_name}"

  definition_template_path = coalesce(var.definition_template_path, "${path.module}/definition.asl.json.tftpl")
}

resource "aws_sns_topic" "notifications" {
  #checkov:skip=CKV_AWS_26:Notifications carry only a partition id and a result location, no pipeline data; pass kms_key_arn to encrypt with a customer managed key.
  name              = "${var.name}-notifications"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notification_email_addresses)

  topic_arn = aws_sns_topic.notifications.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_log_group" "state_machine" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted by CloudWatch Logs by default; a customer managed key is optional (kms_key_arn) to keep cost down.
  #checkov:skip=CKV_AWS_338:Retention is set per environment (days to months) to control cost; a year is not required for workflow execution logs.
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

module "state_machine_role" {
  source = "../iam"

  role_name                = "${var.role_name_prefix}-sfn"
  description              = "Step Functions ${var.name}"
  trusted_services         = ["states.amazonaws.com"]
  source_account_id        = data.aws_caller_identity.current.account_id
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags

  policy_statements = concat(
    [
      {
        sid       = "RunValidationJob"
        actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
        resources = [local.ge_job_arn]
      },
      {
        sid       = "ObserveGlueRuns"
        actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
        resources = [local.sync_rule_arn]
      },
      {
        sid       = "ReadValidationResults"
        actions   = ["s3:GetObject"]
        resources = ["${var.silver_bucket_arn}/${var.results_prefix}/*"]
      },
      {
        sid       = "Notify"
        actions   = ["sns:Publish"]
        resources = [aws_sns_topic.notifications.arn]
      },
      {
        # Log delivery APIs support no resource-level permissions (AWS requirement for SFN logging).
        sid = "DeliverExecutionLogs"
        actions = [
          "logs:CreateLogDelivery",
          "logs:GetLogDelivery",
          "logs:UpdateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups",
        ]
        resources = ["*"]
      },
    ],
    var.quarantine_enabled ? [{
      sid       = "WriteQuarantineMarkers"
      actions   = ["s3:PutObject"]
      resources = ["${var.silver_bucket_arn}/${var.quarantine_marker_prefix}/*"]
    }] : [],
    var.kms_key_arn == null ? [] : [{
      sid       = "UseDataKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
    }],
  )
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_284:X-Ray tracing is optional; execution history and ALL-level execution logs cover troubleshooting.
  name     = var.name
  role_arn = module.state_machine_role.arn
  type     = "STANDARD"
  tags     = var.tags

  definition = templatefile(local.definition_template_path, merge(var.definition_vars, {
    ge_job_name              = var.ge_job_name
    retry_interval_seconds   = var.retry_interval_seconds
    silver_bucket            = var.silver_bucket_name
    results_prefix           = var.results_prefix
    quarantine_enabled       = var.quarantine_enabled
    quarantine_marker_prefix = var.quarantine_marker_prefix
    notification_topic_arn   = aws_sns_topic.notifications.arn
  }))

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }
}

# The transform debounces its events per partition (one per PARTITION_EVENT_DEBOUNCE_SECONDS) and
# each event carries quiet_seconds, which the gate waits before it validates.
module "trigger" {
  source = "../workflow_trigger"
  count  = var.eventbridge_enabled ? 1 : 0

  name                     = "${var.name}-partition-ready"
  description              = "Validate each silver partition the transform reports as written"
  state_machine_arn        = aws_sfn_state_machine.this.arn
  role_name                = "${var.role_name_prefix}-trigger"
  permissions_boundary_arn = var.permissions_boundary_arn
  event_bus_name           = var.event_bus_name
  tags                     = var.tags

  event_pattern = jsonencode({
    source        = [var.partition_event_source]
    "detail-type" = [var.partition_event_detail_type]
  })
  input_transformer = {
    input_paths = {
      record_type   = "$.detail.record_type"
      dt            = "$.detail.dt"
      quiet_seconds = "$.detail.quiet_seconds"
    }
    # Strings quoted in the template: the portable form (placeholders inside quotes take the raw string).
    input_template = "{\"record_type\": \"<record_type>\", \"dt\": \"<dt>\", \"quiet_seconds\": <quiet_seconds>}"
  }
}
