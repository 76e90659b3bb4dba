# Great Expectations gate (Step Functions): run the validation job for a silver partition
# (glue:startJobRun.sync); on failure optionally write a quarantine marker, notify, fail.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  arn_suffix = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  ge_job_arn = "arn:${local.partition}:glue:${local.arn_suffix}:job/${var.ge_job_name}"

  bus_arn = "arn:${local.partition}:events:${local.arn_suffix}:event-bus/${var.event_bus_name}"

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

module "state_machine" {
  source = "../state_machine"

  name                     = var.name
  role_name                = "${var.role_name_prefix}-sfn"
  permissions_boundary_arn = var.permissions_boundary_arn
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  tags                     = var.tags

  definition = templatefile(local.definition_template_path, merge(var.definition_vars, {
    partition                = local.partition
    ge_job_name              = var.ge_job_name
    retry_interval_seconds   = var.retry_interval_seconds
    silver_bucket            = var.silver_bucket_name
    results_prefix           = var.results_prefix
    quarantine_enabled       = var.quarantine_enabled
    quarantine_marker_prefix = var.quarantine_marker_prefix
    notification_topic_arn   = aws_sns_topic.notifications.arn
  }))

  task_statements = concat(
    [
      {
        # What Step Functions documents for glue:startJobRun.sync: it polls the run
        # (GetJobRun), so unlike some .sync integrations it needs no EventBridge rule permissions.
        sid        = "RunValidationJob"
        actions    = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
        resources  = [local.ge_job_arn]
        conditions = []
      },
      {
        sid        = "ReadValidationResults"
        actions    = ["s3:GetObject"]
        resources  = ["${var.silver_bucket_arn}/${var.results_prefix}/*"]
        conditions = []
      },
      {
        sid        = "Notify"
        actions    = ["sns:Publish"]
        resources  = [aws_sns_topic.notifications.arn]
        conditions = []
      },
    ],
    var.quarantine_enabled ? [{
      sid        = "WriteQuarantineMarkers"
      actions    = ["s3:PutObject"]
      resources  = ["${var.silver_bucket_arn}/${var.quarantine_marker_prefix}/*"]
      conditions = []
    }] : [],
  )
}

# The transform debounces its events per partition (one per PARTITION_EVENT_DEBOUNCE_SECONDS) and
# each event carries quiet_seconds, which the gate waits before it validates.
module "trigger" {
  source = "../workflow_trigger"
  count  = var.eventbridge_enabled ? 1 : 0

  name                     = "${var.name}-partition-ready"
  description              = "Validate each silver partition the transform reports as written"
  state_machine_arn        = module.state_machine.arn
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
