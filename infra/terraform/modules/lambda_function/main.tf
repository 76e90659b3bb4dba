# A zip-packaged Lambda function with its own log group (created first, so retention applies from
# the first invocation and destroy removes the logs with the function) and its own execution role.
# The role's standard statements follow from the inputs (its log group, kms_key_arn, the
# dead-letter target); callers pass only what their code does (policy_statements).

locals {
  standard_statements = concat(
    var.attach_dead_letter_policy ? [{
      # Lambda sends events of failed asynchronous invocations to the queue with the function's role.
      sid        = "DeadLetterFailedEvents"
      actions    = ["sqs:SendMessage"]
      resources  = [var.dead_letter_target_arn]
      conditions = []
    }] : [],
    [{
      # The Lambda service writes the function's logs with its role; the group exists already.
      sid        = "WriteOwnLogs"
      actions    = ["logs:CreateLogStream", "logs:PutLogEvents"]
      resources  = ["${aws_cloudwatch_log_group.this.arn}:*"]
      conditions = []
    }],
  )
}

module "role" {
  source = "../iam"

  role_name                = var.role_name
  description              = coalesce(var.role_description, "Lambda ${var.function_name}")
  trusted_services         = ["lambda.amazonaws.com"]
  permissions_boundary_arn = var.role_permissions_boundary_arn
  policy_statements        = concat(var.policy_statements, local.standard_statements)
  kms_key_arn              = var.kms_key_arn
  tags                     = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted by CloudWatch Logs by default; a customer managed key is optional (log_kms_key_arn) to keep cost down.
  #checkov:skip=CKV_AWS_338:Retention is set per environment (days to months) to control cost; a year is not required for pipeline debug logs.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# Zips go through S3 when an artifact bucket is given: direct uploads are capped at 50 MB, and the
# transform's zip (pyarrow) is larger. The key carries the content hash, so a new build is a new
# object and the function updates only when the code changed.
resource "aws_s3_object" "code" {
  count = var.artifact_bucket == null ? 0 : 1

  bucket      = var.artifact_bucket
  key         = "lambda/${var.function_name}/${filemd5(var.filename)}.zip"
  source      = var.filename
  source_hash = filemd5(var.filename)
  tags        = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The functions only call regional AWS APIs (S3, SQS, DynamoDB, EventBridge); a VPC would add NAT/endpoint cost and cold-start latency without isolating anything.
  #checkov:skip=CKV_AWS_272:Code signing is optional; artifacts are built reproducibly by the repository's build and deployed by the same pipeline.
  #checkov:skip=CKV_AWS_173:Environment variables hold only resource names and settings, no secrets; they are encrypted at rest with the Lambda service key.
  #checkov:skip=CKV_AWS_115:Concurrency is bounded by the SQS event source mapping (maximum_concurrency); reserved concurrency is optional (reserved_concurrent_executions) because it consumes the account pool.
  #checkov:skip=CKV_AWS_116:A dead-letter target is set for asynchronously invoked functions (dead_letter_target_arn); SQS-triggered functions rely on the source queue's redrive to its DLQ instead.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is optional (tracing_mode); structured logs and EMF metrics are the primary telemetry.
  function_name    = var.function_name
  description      = var.description
  role             = module.role.arn
  filename         = var.artifact_bucket == null ? var.filename : null
  s3_bucket        = var.artifact_bucket
  s3_key           = var.artifact_bucket == null ? null : aws_s3_object.code[0].key
  source_code_hash = filebase64sha256(var.filename)
  handler          = var.handler
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout
  layers           = var.layers

  ephemeral_storage {
    size = var.ephemeral_storage_mb
  }

  reserved_concurrent_executions = coalesce(var.reserved_concurrent_executions, -1)
  tags                           = var.tags

  dynamic "environment" {
    for_each = length(var.environment_variables) == 0 ? [] : [var.environment_variables]
    content {
      variables = environment.value
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [var.dead_letter_target_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  dynamic "tracing_config" {
    for_each = var.tracing_mode == null ? [] : [var.tracing_mode]
    content {
      mode = tracing_config.value
    }
  }

  # The log group must exist before the first invocation creates it without retention.
  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  count = var.async_invoke_config == null ? 0 : 1

  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_invoke_config.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_invoke_config.maximum_event_age_in_seconds
}
