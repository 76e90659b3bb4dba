# Transform: work units -> silver Parquet / quarantine (+ partition events).

# The role moved into the function module, which adds its logs and KMS statements.
moved {
  from = module.transform_role
  to   = module.transform.module.role
}

locals {
  # /tmp of the transform: a batch's silver Parquet is staged there (elt/silver.py, one file per
  # partition for all the invocation's units, removed after the upload), so /tmp must hold the
  # output of the largest input the function can get through before its timeout (a batch takes
  # at most transform_batch_max_bytes, which its validation keeps within the timeout):
  #   input  <= timeout_s x 30 MB/s of JSON per vCPU x (memory_mb / 1769 MB per vCPU)
  #             (bench W1: 165.6 MB of JSON Lines in 5.6 CPU-s, about 29.4 MB/s on one vCPU)
  #   output <= input x 0.5 (bench W1 wrote 31.8 MB of Parquet for 165.6 MB: 0.19; 0.5 leaves
  #             room for less compressible data)
  # dev (1769 MB, 90 s): 90 x 30 x 1 x 0.5 = 1350 MB; prod (2048 MB, 120 s): 2084 MB;
  # the defaults (1024 MB, 120 s): 1042 MB. Lambda allows 512 to 10240 MB.
  transform_ephemeral_storage_mb = min(10240, max(512, ceil(
    var.transform_timeout_seconds * 30 * (var.transform_memory_mb / 1769) * 0.5
  )))
}

module "transform" {
  source     = "../lambda_function"
  depends_on = [module.artifacts_bucket]

  function_name                  = "${local.name}-transform"
  description                    = "Turns work units into silver Parquet and quarantine records"
  role_name                      = "${local.role_prefix}-transform"
  role_permissions_boundary_arn  = var.iam_permissions_boundary_arn
  kms_key_arn                    = var.kms_key_arn
  filename                       = "${local.artifacts_dir}/transform.zip"
  artifact_bucket                = local.artifacts_bucket
  runtime                        = local.lambda_runtime.runtime
  architecture                   = local.lambda_runtime.architecture
  memory_size                    = var.transform_memory_mb
  timeout                        = var.transform_timeout_seconds
  ephemeral_storage_mb           = local.transform_ephemeral_storage_mb
  layers                         = var.transform_layers
  reserved_concurrent_executions = var.transform_reserved_concurrency
  log_retention_days             = var.log_retention_days
  log_kms_key_arn                = var.kms_key_arn
  tags                           = var.tags

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
        # A replay or an overwrite retracts rows from older batches' files: read, rewrite (the
        # PutObject above) or delete each file (elt/retract.py); a takeover deletes a dead
        # batch's files (DeleteObjects is authorized as s3:DeleteObject per key).
        sid     = "RetractFromBatchFiles"
        actions = ["s3:GetObject", "s3:DeleteObject"]
        resources = [
          "${module.silver_bucket.arn}/${local.silver_prefix}/*",
          "${module.silver_bucket.arn}/${local.quarantine_prefix}/*",
        ]
      },
      {
        # Retraction lists a partition's compacted-* files (ListObjectsV2 with a Prefix inside
        # silver/ or quarantine/). IfExists as for bronze (read_bronze_statements): S3's 404
        # check of a GET of a file already deleted carries no s3:prefix.
        sid       = "ListSilverPartitions"
        actions   = ["s3:ListBucket"]
        resources = [module.silver_bucket.arn]
        conditions = [{
          test     = "StringLikeIfExists"
          variable = "s3:prefix"
          values   = ["${local.silver_prefix}/*", "${local.quarantine_prefix}/*"]
        }]
      },
      {
        # Silver's ledger (elt/ledger.py) in the idempotency table, under its key prefixes only:
        # batch records, source records (which batch holds each unit), directory leases.
        sid       = "SilverLedger"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        resources = [module.idempotency_table.arn]
        conditions = [{
          test     = "ForAllValues:StringLike"
          variable = "dynamodb:LeadingKeys"
          values   = ["batch#*", "source#*", "lease#*"]
        }]
      },
      {
        # SendMessage: units over an invocation's byte budget go back as new messages.
        sid       = "ConsumeWorkUnits"
        actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility", "sqs:SendMessage"]
        resources = [local.queue_arn]
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
  )

  environment_variables = {
    SILVER_BUCKET                    = module.silver_bucket.id
    IDEMPOTENCY_TABLE                = module.idempotency_table.name
    QUEUE_URL                        = local.queue_url
    BATCH_LEASE_SECONDS              = tostring(var.transform_batch_lease_seconds)
    BATCH_MAX_BYTES                  = tostring(var.transform_batch_max_bytes)
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
