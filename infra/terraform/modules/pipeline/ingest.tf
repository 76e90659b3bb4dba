# Ingest: bronze object -> idempotency record -> work-unit messages.

# The role moved into the function module, which adds its logs, DLQ and KMS statements.
moved {
  from = module.ingest_role
  to   = module.ingest.module.role
}

module "ingest" {
  source     = "../lambda_function"
  depends_on = [module.artifacts_bucket]

  function_name                  = "${local.name}-ingest"
  description                    = "Plans work units for new bronze objects and enqueues them (idempotent per object version)"
  role_name                      = "${local.role_prefix}-ingest"
  role_permissions_boundary_arn  = var.iam_permissions_boundary_arn
  kms_key_arn                    = var.kms_key_arn
  filename                       = "${local.artifacts_dir}/ingest.zip"
  artifact_bucket                = local.artifacts_bucket
  runtime                        = local.lambda_runtime.runtime
  architecture                   = local.lambda_runtime.architecture
  memory_size                    = var.ingest_memory_mb
  timeout                        = var.ingest_timeout_seconds
  reserved_concurrent_executions = var.ingest_reserved_concurrency
  log_retention_days             = var.log_retention_days
  log_kms_key_arn                = var.kms_key_arn
  dead_letter_target_arn         = module.ingest_dlq.queue_arn
  attach_dead_letter_policy      = true
  tags                           = var.tags

  async_invoke_config = {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 21600
  }

  policy_statements = concat(
    local.read_bronze_statements,
    [
      {
        sid       = "Idempotency"
        actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        resources = [module.idempotency_table.arn]
      },
      {
        sid       = "EnqueueWorkUnits"
        actions   = ["sqs:SendMessage"]
        resources = [local.queue_arn]
      },
    ],
  )

  environment_variables = {
    QUEUE_URL                    = local.queue_url
    IDEMPOTENCY_TABLE            = module.idempotency_table.name
    IDEMPOTENCY_TTL_SECONDS      = tostring(var.idempotency_ttl_seconds)
    BRONZE_PREFIX                = local.bronze_prefix
    WORK_UNIT_BYTES              = tostring(var.work_unit_bytes)
    POWERTOOLS_SERVICE_NAME      = "ingest"
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
    LOG_LEVEL                    = var.log_level
  }
}

resource "aws_lambda_permission" "bronze_invokes_ingest" {
  statement_id   = "AllowBronzeBucketNotifications"
  action         = "lambda:InvokeFunction"
  function_name  = module.ingest.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = module.bronze_bucket.arn
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "bronze" {
  bucket      = module.bronze_bucket.id
  eventbridge = var.bronze_eventbridge_enabled

  lambda_function {
    id                  = "bronze-to-ingest"
    lambda_function_arn = module.ingest.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.bronze_prefix
  }

  # S3 checks that it may invoke the function when the notification is saved.
  depends_on = [aws_lambda_permission.bronze_invokes_ingest]
}
