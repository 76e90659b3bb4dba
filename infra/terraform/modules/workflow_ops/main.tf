# Ops workflow (Step Functions): replay a window of bronze objects, poll silver until the replayed
# data has landed, report. The replay task recomputes silver in place by default: it plans each
# object's work units with ingest's code and sends them to the work queue (elt/ops/replay.py);
# copying objects under bronze/replay/ stays behind the request's reingest_as_new_copies flag.
# Task code: lambdas/workflows/{replay,progress}.

data "aws_partition" "current" {}

locals {
  functions = {
    replay = {
      zip         = var.replay_zip_path
      description = "Ops workflow: recompute bronze objects (work units to the queue), or copy them under ${var.replay_prefix}"
      environment = {
        BRONZE_BUCKET = var.bronze_bucket_name
        BRONZE_PREFIX = var.bronze_prefix
        REPLAY_PREFIX = var.replay_prefix
        # Defaults of the request's silver fields, carried to the polling step.
        SILVER_BUCKET = var.silver_bucket_name
        SILVER_PREFIX = var.silver_prefix
        # Recompute sends work units where ingest sends them, planned with ingest's unit size
        # (a unit replaces the rows silver holds for the same byte range).
        QUEUE_URL       = var.queue_url
        WORK_UNIT_BYTES = tostring(var.work_unit_bytes)
      }
      statements = [
        {
          # IfExists: HEAD of an object deleted since the listing must answer 404 (passed over),
          # and S3's 404 check carries no s3:prefix (as the pipeline's ListBronzePrefix).
          sid       = "ListBronze"
          actions   = ["s3:ListBucket"]
          resources = [var.bronze_bucket_arn]
          conditions = [{
            test     = "StringLikeIfExists"
            variable = "s3:prefix"
            values   = ["${var.bronze_prefix}*"]
          }]
        },
        {
          # HEAD for the current version, GET to cut a large JSON Lines object into units,
          # pinned to its VersionId on a versioned bucket; the source of a copy.
          sid       = "ReadBronze"
          actions   = ["s3:GetObject", "s3:GetObjectVersion"]
          resources = ["${var.bronze_bucket_arn}/${var.bronze_prefix}*"]
        },
        {
          # Asked once per invocation: whether objects need a HEAD for their VersionId.
          sid       = "ReadBronzeVersioning"
          actions   = ["s3:GetBucketVersioning"]
          resources = [var.bronze_bucket_arn]
        },
        {
          # SendMessageBatch of the recomputing work units (the key, if any, comes from kms_key_arn).
          sid       = "SendWorkUnits"
          actions   = ["sqs:SendMessage"]
          resources = [var.queue_arn]
        },
        {
          # CopyObject (and the multipart copy of objects over 5 GB) writes only under the replay prefix.
          sid       = "WriteReplayCopies"
          actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
          resources = ["${var.bronze_bucket_arn}/${var.replay_prefix}*"]
        },
      ]
    }
    progress = {
      zip         = var.progress_zip_path
      description = "Ops workflow: count new silver and quarantine objects, report queue depths"
      environment = {
        SILVER_BUCKET     = var.silver_bucket_name
        SILVER_PREFIX     = var.silver_prefix
        QUARANTINE_PREFIX = var.quarantine_prefix
        QUEUE_URL         = var.queue_url
        # null with an external queue (existing_queue_url): coalesce() errors when every
        # argument is null or empty, so the empty default is spelled out.
        DLQ_URL = var.dlq_url == null ? "" : var.dlq_url
      }
      statements = [
        {
          sid       = "ListSilver"
          actions   = ["s3:ListBucket"]
          resources = [var.silver_bucket_arn]
          conditions = [{
            test     = "StringLike"
            variable = "s3:prefix"
            values   = ["${var.silver_prefix}/*", "${var.quarantine_prefix}/*"]
          }]
        },
        {
          sid       = "ReadQueueDepth"
          actions   = ["sqs:GetQueueAttributes"]
          resources = compact([var.queue_arn, var.dlq_arn])
        },
      ]
    }
  }

  definition_template_path = coalesce(var.definition_template_path, "${path.module}/definition.asl.json.tftpl")
}

# The roles moved into the function module (which derives their logs and KMS statements).
moved {
  from = module.function_role["replay"]
  to   = module.function["replay"].module.role
}

module "function" {
  source   = "../lambda_function"
  for_each = local.functions

  function_name                 = "${var.name}-${each.key}"
  description                   = each.value.description
  role_name                     = "${var.role_name_prefix}-${each.key}"
  role_description              = "Ops workflow task ${var.name}-${each.key}"
  role_permissions_boundary_arn = var.permissions_boundary_arn
  policy_statements             = each.value.statements
  kms_key_arn                   = var.kms_key_arn
  filename                      = each.value.zip
  artifact_bucket               = var.artifact_bucket
  runtime                       = var.runtime
  architecture                  = var.architecture
  memory_size                   = var.function_memory_mb
  timeout                       = var.function_timeout_seconds
  log_retention_days            = var.log_retention_days
  log_kms_key_arn               = var.kms_key_arn
  tags                          = var.tags

  environment_variables = merge(each.value.environment, {
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_SERVICE_NAME      = "ops-${each.key}"
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
  })
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
    partition             = data.aws_partition.current.partition
    replay_function_arn   = module.function["replay"].arn
    progress_function_arn = module.function["progress"].arn
    bronze_bucket         = var.bronze_bucket_name
    bronze_prefix         = var.bronze_prefix
    replay_prefix         = var.replay_prefix
    silver_bucket         = var.silver_bucket_name
    silver_prefix         = var.silver_prefix
    quarantine_prefix     = var.quarantine_prefix
  }))

  task_statements = [{
    sid        = "InvokeTasks"
    actions    = ["lambda:InvokeFunction"]
    resources  = flatten([for f in module.function : [f.arn, "${f.arn}:*"]])
    conditions = []
  }]
}

module "schedule" {
  source = "../workflow_trigger"
  count  = var.schedule_enabled ? 1 : 0

  name                     = "${var.name}-schedule"
  description              = "Scheduled start of ${var.name}"
  state_machine_arn        = module.state_machine.arn
  role_name                = "${var.role_name_prefix}-schedule"
  permissions_boundary_arn = var.permissions_boundary_arn
  schedule_expression      = var.schedule_expression
  input                    = var.schedule_input
  tags                     = var.tags
}
