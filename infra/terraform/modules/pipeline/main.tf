# The whole pipeline, composed once and called by every environment (envs/local, dev, prod):
#
#   bronze bucket --s3:ObjectCreated (bronze/)--> ingest --> events queue --ESM--> transform
#        |                                          |             |                 |--> silver/
#        |                                          |             +--> DLQ          |--> quarantine/
#        +--> (optional) EventBridge           idempotency table                   +--> partition events
#
# plus, each behind a toggle: Glue catalog + crawler, compaction job, GE validation job and gate,
# ops workflow, dashboard + alarms, Athena workgroup.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  name       = join("-", compact([var.project, var.environment, var.name_suffix]))
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  log_arn    = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group"

  # Bucket names are global: the account and region make them unique without a random suffix.
  bucket_suffix = "${local.account_id}-${local.region}"
  # Known at plan time (the functions' upload count depends on it), unlike the bucket's id.
  artifacts_bucket = "${local.name}-artifacts-${local.bucket_suffix}"
  role_prefix      = "${var.iam_name_prefix}${local.name}"

  # The repository root, seen from this module (infra/terraform/modules/pipeline).
  repo_root        = "${path.module}/../../../.."
  artifacts_dir    = coalesce(var.artifacts_dir, "${local.repo_root}/build")
  glue_scripts_dir = coalesce(var.glue_scripts_dir, "${local.repo_root}/glue/jobs")
  # The jobs' importable logic (glue/lib/silver_jobs + lambdas/shared), zipped by `make build`.
  glue_extra_py_files = length(var.glue_extra_py_files) > 0 ? var.glue_extra_py_files : ["${local.artifacts_dir}/glue_libs.zip"]
  # One runtime setting for the build and the functions.
  lambda_runtime = jsondecode(file(coalesce(var.runtime_config_path, "${local.repo_root}/lambdas/runtime.json")))

  # Key layout (contract): bronze/<dataset>/... in bronze; silver/, quarantine/ (+ ge-results/,
  # compacted/, athena-results/, glue-*) in silver. Prefixes without a trailing slash are the
  # values of the SILVER_PREFIX / QUARANTINE_PREFIX settings.
  bronze_prefix         = "bronze/"
  silver_prefix         = "silver"
  quarantine_prefix     = "quarantine"
  ge_results_prefix     = "ge-results"
  compacted_prefix      = "compacted"
  athena_results_prefix = "athena-results"

  metrics_namespace = local.name

  # "Silver partition ready" events (transform -> EventBridge -> GE gate); the values the
  # transform publishes (lambdas/shared/partition_ready.py).
  partition_event_source      = "serverless-elt.transform"
  partition_event_detail_type = "silver partition ready"

  create_queue = var.existing_queue_arn == null
  queue_url    = local.create_queue ? module.events_queue[0].queue_url : var.existing_queue_url
  queue_arn    = local.create_queue ? module.events_queue[0].queue_arn : var.existing_queue_arn
  queue_name   = element(split(":", local.queue_arn), 5)

  glue_database_name = replace("${local.name}_silver", "-", "_")
  glue_any_enabled   = var.glue_enabled || var.glue_job_enabled || var.ge_enabled
  event_bus_arn      = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${var.event_bus_name}"

  kms_statements = var.kms_key_arn == null ? [] : [{
    sid        = "UseDataKey"
    actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources  = [var.kms_key_arn]
    conditions = []
  }]

  read_bronze_statements = [
    {
      # GetObjectVersion: with versioning on, notifications carry versionId and reads pin it.
      sid        = "ReadBronzeObjects"
      actions    = ["s3:GetObject", "s3:GetObjectVersion"]
      resources  = ["${module.bronze_bucket.arn}/${local.bronze_prefix}*"]
      conditions = []
    },
    {
      sid       = "ListBronzePrefix"
      actions   = ["s3:ListBucket"]
      resources = [module.bronze_bucket.arn]
      conditions = [{
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${local.bronze_prefix}*"]
      }]
    },
  ]
}

# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------

module "bronze_bucket" {
  source = "../s3_bucket"

  bucket_name        = "${local.name}-bronze-${local.bucket_suffix}"
  force_destroy      = var.force_destroy
  versioning_enabled = var.bucket_versioning_enabled
  kms_key_arn        = var.kms_key_arn
  tags               = var.tags

  lifecycle_rules = [{
    id     = "bronze-tiering"
    prefix = local.bronze_prefix
    # GLACIER_IR rather than GLACIER: archived raw data stays replayable without a restore.
    transitions = concat(
      var.bronze_transition_ia_days == 0 ? [] : [{ days = var.bronze_transition_ia_days, storage_class = "STANDARD_IA" }],
      var.bronze_transition_archive_days == 0 ? [] : [{ days = var.bronze_transition_archive_days, storage_class = "GLACIER_IR" }],
    )
    expiration_days = var.bronze_expiration_days
  }]
}

# Deployment artifacts (Lambda zips, Glue scripts): versioned code, kept apart from data.
module "artifacts_bucket" {
  source = "../s3_bucket"

  bucket_name        = local.artifacts_bucket
  force_destroy      = true # only rebuildable build output lives here
  versioning_enabled = var.bucket_versioning_enabled
  kms_key_arn        = var.kms_key_arn
  tags               = var.tags
}

module "silver_bucket" {
  source = "../s3_bucket"

  bucket_name        = "${local.name}-silver-${local.bucket_suffix}"
  force_destroy      = var.force_destroy
  versioning_enabled = var.bucket_versioning_enabled
  kms_key_arn        = var.kms_key_arn
  tags               = var.tags

  lifecycle_rules = concat(
    [
      {
        id                                 = "athena-results-expiry"
        prefix                             = "${local.athena_results_prefix}/"
        expiration_days                    = var.athena_results_expiration_days
        noncurrent_version_expiration_days = 1
      },
      {
        id                                 = "glue-temp-expiry"
        prefix                             = "glue-temp/"
        expiration_days                    = 7
        noncurrent_version_expiration_days = 1
      },
    ],
    var.quarantine_expiration_days == null ? [] : [{
      id              = "quarantine-expiry"
      prefix          = "${local.quarantine_prefix}/"
      expiration_days = var.quarantine_expiration_days
    }],
  )
}

module "idempotency_table" {
  source = "../dynamodb_table"

  name                           = "${local.name}-idempotency"
  hash_key                       = "pk"
  ttl_attribute                  = "expires_at"
  point_in_time_recovery_enabled = var.idempotency_pitr_enabled
  deletion_protection_enabled    = var.idempotency_deletion_protection
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags
}

# ---------------------------------------------------------------------------------------------
# Queues
# ---------------------------------------------------------------------------------------------

module "events_queue" {
  source = "../sqs_queue"
  count  = local.create_queue ? 1 : 0

  name                             = "${local.name}-events"
  consumer_timeout_seconds         = var.transform_timeout_seconds
  consumer_batching_window_seconds = var.esm_batching_window_seconds
  max_receive_count                = var.queue_max_receive_count
  dlq_message_retention_seconds    = var.dlq_retention_days * 86400
  kms_key_arn                      = var.kms_key_arn
  tags                             = var.tags
}

# S3 invokes ingest asynchronously: events that still fail after Lambda's retries land here.
module "ingest_dlq" {
  source = "../sqs_queue"

  name                      = "${local.name}-ingest-dlq"
  create_dlq                = false
  message_retention_seconds = var.dlq_retention_days * 86400
  kms_key_arn               = var.kms_key_arn
  tags                      = var.tags
}

# ---------------------------------------------------------------------------------------------
# Ingest: bronze object -> idempotency record -> work-unit messages
# ---------------------------------------------------------------------------------------------

module "ingest_role" {
  source = "../iam"

  role_name                = "${local.role_prefix}-ingest"
  description              = "Lambda ${local.name}-ingest"
  trusted_services         = ["lambda.amazonaws.com"]
  permissions_boundary_arn = var.iam_permissions_boundary_arn
  tags                     = var.tags

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
      {
        sid       = "DeadLetterFailedEvents"
        actions   = ["sqs:SendMessage"]
        resources = [module.ingest_dlq.queue_arn]
      },
      {
        sid       = "WriteOwnLogs"
        actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources = ["${local.log_arn}:/aws/lambda/${local.name}-ingest:*"]
      },
    ],
    local.kms_statements,
  )
}

module "ingest" {
  source     = "../lambda_function"
  depends_on = [module.artifacts_bucket]

  function_name                  = "${local.name}-ingest"
  description                    = "Plans work units for new bronze objects and enqueues them (idempotent per object version)"
  role_arn                       = module.ingest_role.arn
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
  tags                           = var.tags

  async_invoke_config = {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 21600
  }

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

# ---------------------------------------------------------------------------------------------
# Transform: work units -> silver Parquet / quarantine (+ partition events)
# ---------------------------------------------------------------------------------------------

module "transform_role" {
  source = "../iam"

  role_name                = "${local.role_prefix}-transform"
  description              = "Lambda ${local.name}-transform"
  trusted_services         = ["lambda.amazonaws.com"]
  permissions_boundary_arn = var.iam_permissions_boundary_arn
  tags                     = var.tags

  policy_statements = concat(
    local.read_bronze_statements,
    [
      {
        sid     = "WriteSilverAndQuarantine"
        actions = ["s3:PutObject", "s3:AbortMultipartUpload"]
        resources = [
          "${module.silver_bucket.arn}/${local.silver_prefix}/*",
          "${module.silver_bucket.arn}/${local.quarantine_prefix}/*",
        ]
      },
      {
        sid       = "ConsumeWorkUnits"
        actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
        resources = [local.queue_arn]
      },
      {
        sid       = "WriteOwnLogs"
        actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources = ["${local.log_arn}:/aws/lambda/${local.name}-transform:*"]
      },
    ],
    var.ge_emit_events_from_transform ? [
      {
        sid        = "EmitPartitionEvents"
        actions    = ["events:PutEvents"]
        resources  = [local.event_bus_arn]
        conditions = []
      },
      {
        # Debounce claims live in the idempotency table under their own key prefix, and only there.
        sid       = "ClaimPartitionAnnouncements"
        actions   = ["dynamodb:PutItem"]
        resources = [module.idempotency_table.arn]
        conditions = [{
          test     = "ForAllValues:StringLike"
          variable = "dynamodb:LeadingKeys"
          values   = ["partition-ready#*"]
        }]
      },
    ] : [],
    var.catalog_registration_enabled ? [{
      sid     = "RegisterSilverPartitions"
      actions = ["glue:CreateTable", "glue:BatchCreatePartition"]
      resources = [
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.glue_database_name}",
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.glue_database_name}/${var.glue_table_prefix}*",
      ]
    }] : [],
    local.kms_statements,
  )
}

module "transform" {
  source     = "../lambda_function"
  depends_on = [module.artifacts_bucket]

  function_name                  = "${local.name}-transform"
  description                    = "Turns work units into silver Parquet and quarantine records"
  role_arn                       = module.transform_role.arn
  filename                       = "${local.artifacts_dir}/transform.zip"
  artifact_bucket                = local.artifacts_bucket
  runtime                        = local.lambda_runtime.runtime
  architecture                   = local.lambda_runtime.architecture
  memory_size                    = var.transform_memory_mb
  timeout                        = var.transform_timeout_seconds
  layers                         = var.transform_layers
  reserved_concurrent_executions = var.transform_reserved_concurrency
  log_retention_days             = var.log_retention_days
  log_kms_key_arn                = var.kms_key_arn
  tags                           = var.tags

  environment_variables = {
    SILVER_BUCKET                    = module.silver_bucket.id
    SILVER_PREFIX                    = local.silver_prefix
    QUARANTINE_PREFIX                = local.quarantine_prefix
    EMIT_PARTITION_EVENTS            = tostring(var.ge_emit_events_from_transform)
    EVENT_BUS_NAME                   = var.event_bus_name
    PARTITION_EVENT_DEBOUNCE_SECONDS = tostring(var.partition_event_debounce_seconds)
    PARTITION_CLAIMS_TABLE           = var.ge_emit_events_from_transform ? module.idempotency_table.name : ""
    CATALOG_DATABASE                 = var.catalog_registration_enabled ? local.glue_database_name : ""
    CATALOG_TABLE_PREFIX             = var.glue_table_prefix
    POWERTOOLS_SERVICE_NAME          = "transform"
    POWERTOOLS_METRICS_NAMESPACE     = local.metrics_namespace
    LOG_LEVEL                        = var.log_level
  }
}

module "transform_events" {
  source = "../event_source_mapping"

  function_name                      = module.transform.arn
  event_source_arn                   = local.queue_arn
  batch_size                         = var.esm_batch_size
  maximum_batching_window_in_seconds = var.esm_batching_window_seconds
  maximum_concurrency                = var.esm_maximum_concurrency
}

# ---------------------------------------------------------------------------------------------
# Glue: catalog + crawler, compaction, GE validation
# ---------------------------------------------------------------------------------------------

resource "aws_glue_security_configuration" "this" {
  #checkov:skip=CKV_AWS_99:S3 output is always encrypted (SSE-S3, or SSE-KMS with kms_key_arn); CloudWatch and bookmark encryption need a customer managed key, which is optional to keep cost down.
  count = local.glue_any_enabled ? 1 : 0

  name = "${local.name}-glue"

  encryption_configuration {
    s3_encryption {
      s3_encryption_mode = var.kms_key_arn == null ? "SSE-S3" : "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }

    cloudwatch_encryption {
      cloudwatch_encryption_mode = var.kms_key_arn == null ? "DISABLED" : "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = var.kms_key_arn == null ? "DISABLED" : "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }
  }
}

module "glue_catalog" {
  source = "../glue_catalog"
  count  = var.glue_enabled ? 1 : 0

  database_name               = local.glue_database_name
  crawler_name                = "${local.name}-silver"
  silver_bucket_name          = module.silver_bucket.id
  silver_bucket_arn           = module.silver_bucket.arn
  silver_prefix               = local.silver_prefix
  table_prefix                = var.glue_table_prefix
  schedule                    = var.glue_crawler_schedule
  security_configuration_name = aws_glue_security_configuration.this[0].name
  role_name                   = "${local.role_prefix}-crawler"
  permissions_boundary_arn    = var.iam_permissions_boundary_arn
  kms_key_arn                 = var.kms_key_arn
  tags                        = var.tags
}

module "compaction_job" {
  source = "../glue_job"
  count  = var.glue_job_enabled ? 1 : 0

  job_name                    = "${local.name}-compaction"
  description                 = "Compacts small silver Parquet files per partition into ${local.compacted_prefix}/"
  script_path                 = "${local.glue_scripts_dir}/compact_silver.py"
  extra_py_files              = local.glue_extra_py_files
  assets_bucket_name          = module.silver_bucket.id
  assets_bucket_arn           = module.silver_bucket.arn
  number_of_workers           = var.glue_job_workers
  security_configuration_name = aws_glue_security_configuration.this[0].name
  role_name                   = "${local.role_prefix}-compaction"
  permissions_boundary_arn    = var.iam_permissions_boundary_arn
  kms_key_arn                 = var.kms_key_arn
  tags                        = var.tags

  # Per run: --RECORD_TYPE, --DT and optionally --REPLACE true, --TARGET_FILE_MB.
  job_arguments = {
    "--SILVER_BUCKET" = module.silver_bucket.id
    "--SILVER_PREFIX" = local.silver_prefix
    "--OUTPUT_PREFIX" = local.compacted_prefix
  }

  policy_statements = [
    {
      sid       = "ReadSilver"
      actions   = ["s3:GetObject"]
      resources = ["${module.silver_bucket.arn}/${local.silver_prefix}/*"]
    },
    {
      sid       = "ListSilver"
      actions   = ["s3:ListBucket"]
      resources = [module.silver_bucket.arn]
      conditions = [{
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${local.silver_prefix}/*", "${local.compacted_prefix}/*"]
      }]
    },
    {
      # Replace mode (--REPLACE true) stages under the output prefix, then swaps the new files
      # into the partition and deletes the originals.
      sid       = "WriteCompacted"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
      resources = ["${module.silver_bucket.arn}/${local.compacted_prefix}/*", "${module.silver_bucket.arn}/${local.silver_prefix}/*"]
    },
  ]
}

module "ge_validation" {
  source = "../ge_validation"
  count  = var.ge_enabled ? 1 : 0

  job_name                    = "${local.name}-ge-validation"
  script_path                 = "${local.glue_scripts_dir}/ge_validate_silver.py"
  extra_py_files              = local.glue_extra_py_files
  silver_bucket_name          = module.silver_bucket.id
  silver_bucket_arn           = module.silver_bucket.arn
  silver_prefix               = local.silver_prefix
  results_prefix              = local.ge_results_prefix
  glue_database_name          = local.glue_database_name
  security_configuration_name = aws_glue_security_configuration.this[0].name
  role_name                   = "${local.role_prefix}-ge-validation"
  permissions_boundary_arn    = var.iam_permissions_boundary_arn
  kms_key_arn                 = var.kms_key_arn
  tags                        = var.tags
}

# ---------------------------------------------------------------------------------------------
# Workflows
# ---------------------------------------------------------------------------------------------

module "ge_gate" {
  source = "../workflow_ge_gate"
  count  = var.ge_workflow_enabled ? 1 : 0

  name                         = "${local.name}-ge-gate"
  role_name_prefix             = "${local.role_prefix}-ge-gate"
  permissions_boundary_arn     = var.iam_permissions_boundary_arn
  definition_template_path     = var.ge_definition_template_path
  ge_job_name                  = module.ge_validation[0].job_name
  silver_bucket_name           = module.silver_bucket.id
  silver_bucket_arn            = module.silver_bucket.arn
  results_prefix               = local.ge_results_prefix
  quarantine_enabled           = var.ge_quarantine_enabled
  quarantine_marker_prefix     = "${local.quarantine_prefix}/_ge_gate"
  eventbridge_enabled          = var.ge_eventbridge_enabled
  event_bus_name               = var.event_bus_name
  partition_event_source       = local.partition_event_source
  partition_event_detail_type  = local.partition_event_detail_type
  notification_email_addresses = var.ge_notification_email_addresses
  log_retention_days           = var.log_retention_days
  kms_key_arn                  = var.kms_key_arn
  tags                         = var.tags
}

module "ops" {
  source = "../workflow_ops"
  count  = var.ops_enabled ? 1 : 0

  name                     = "${local.name}-ops"
  role_name_prefix         = "${local.role_prefix}-ops"
  permissions_boundary_arn = var.iam_permissions_boundary_arn
  definition_template_path = var.ops_definition_template_path
  runtime                  = local.lambda_runtime.runtime
  architecture             = local.lambda_runtime.architecture
  replay_zip_path          = "${local.artifacts_dir}/workflows_replay.zip"
  quality_zip_path         = "${local.artifacts_dir}/workflows_quality.zip"
  log_level                = var.log_level
  metrics_namespace        = local.metrics_namespace
  log_retention_days       = var.log_retention_days
  bronze_bucket_name       = module.bronze_bucket.id
  bronze_bucket_arn        = module.bronze_bucket.arn
  bronze_prefix            = local.bronze_prefix
  replay_prefix            = "${local.bronze_prefix}replay/"
  silver_bucket_name       = module.silver_bucket.id
  silver_bucket_arn        = module.silver_bucket.arn
  silver_prefix            = local.silver_prefix
  quarantine_prefix        = local.quarantine_prefix
  queue_url                = local.queue_url
  queue_arn                = local.queue_arn
  dlq_url                  = one(module.events_queue[*].dlq_url)
  dlq_arn                  = one(module.events_queue[*].dlq_arn)
  schedule_enabled         = var.ops_schedule_enabled
  schedule_expression      = var.ops_schedule_expression
  kms_key_arn              = var.kms_key_arn
  tags                     = var.tags
}

# ---------------------------------------------------------------------------------------------
# Observability and query
# ---------------------------------------------------------------------------------------------

module "observability" {
  source = "../observability"
  count  = var.observability_enabled ? 1 : 0

  name = local.name
  function_names = merge(
    {
      ingest    = module.ingest.function_name
      transform = module.transform.function_name
    },
    var.ops_enabled ? { for k, fn in module.ops[0].function_names : "ops-${k}" => fn } : {},
  )
  queue_name = local.queue_name
  dead_letter_queue_names = merge(
    { ingest = module.ingest_dlq.queue_name },
    local.create_queue ? { events = module.events_queue[0].dlq_name } : {},
  )
  oldest_message_age_threshold_seconds = var.alarm_oldest_message_age_seconds
  no_silver_writes_hours               = var.alarm_no_silver_writes_hours
  metrics_namespace                    = local.metrics_namespace
  alarm_email_addresses                = var.alarm_email_addresses
  kms_key_arn                          = var.kms_key_arn
  tags                                 = var.tags
}

module "athena" {
  source = "../athena"
  count  = var.athena_enabled ? 1 : 0

  workgroup_name  = local.name
  output_location = "s3://${module.silver_bucket.id}/${local.athena_results_prefix}/"
  kms_key_arn     = var.kms_key_arn
  force_destroy   = var.force_destroy
  database_name   = local.glue_database_name
  named_queries   = local.named_queries
  tags            = var.tags
}
