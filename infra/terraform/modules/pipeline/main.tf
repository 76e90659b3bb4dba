# The whole pipeline, composed once and called by every environment (envs/local, dev, prod):
#
#   bronze bucket --s3:ObjectCreated (bronze/)--> ingest --> events queue --ESM--> transform
#        |                                          |             |                 |--> silver/
#        |                                          |             +--> DLQ          |--> quarantine/
#        +--> (optional) EventBridge           idempotency table                   +--> partition events
#
# plus, each behind a toggle: Glue catalog + crawler, compaction job, GE validation job and gate,
# ops workflow, dashboard + alarms, Athena workgroup.
#
# One file per concern (storage, queues, ingest, transform, glue, workflows, observability,
# queries); this one holds the names, prefixes and ARNs they share.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  name       = join("-", compact([var.project, var.environment, var.name_suffix]))
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Bucket names are global: the account and region make them unique without a random suffix.
  bucket_suffix = "${local.account_id}-${local.region}"
  # Known at plan time (the functions' upload count depends on it), unlike the bucket's id.
  artifacts_bucket = "${local.name}-artifacts-${local.bucket_suffix}"
  role_prefix      = "${var.iam_name_prefix}${local.name}"

  # The longest name of each kind AWS limits is <prefix><local.name><suffix>: the validation of
  # var.name_suffix (variables.tf) checks them all at plan time, in one place, before any module
  # receives an over-long name. (Built without local.name, which waits for that validation.)
  longest_names = {
    "S3 bucket (max 63)"        = { prefix = "", suffix = "-artifacts-${local.bucket_suffix}", max = 63 }
    "IAM role (max 64)"         = { prefix = var.iam_name_prefix, suffix = "-ge-gate-trigger", max = 64 }
    "Lambda function (max 64)"  = { prefix = "", suffix = "-ops-progress", max = 64 }
    "SQS queue (max 80)"        = { prefix = "", suffix = "-events-dlq", max = 80 }
    "state machine (max 80)"    = { prefix = "", suffix = "-ge-gate", max = 80 }
    "EventBridge rule (max 64)" = { prefix = "", suffix = "-ops-schedule", max = 64 }
  }

  # The repository root, seen from this module (infra/terraform/modules/pipeline).
  repo_root        = "${path.module}/../../../.."
  artifacts_dir    = coalesce(var.artifacts_dir, "${local.repo_root}/build")
  glue_scripts_dir = coalesce(var.glue_scripts_dir, "${local.repo_root}/glue/jobs")
  # The jobs' importable logic (the elt package: elt.jobs and the contracts they import), zipped by `make build`.
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
  # Records Firehose could not route (no record_type, invalid JSON): outside bronze/, never ingested.
  stream_error_prefix = "bronze-errors/"

  metrics_namespace = local.name

  # "Silver partition ready" events (transform -> EventBridge -> GE gate); the values the
  # transform publishes (elt/partition_ready.py).
  partition_event_source      = "serverless-elt.transform"
  partition_event_detail_type = "silver partition ready"

  create_queue = var.existing_queue_arn == null
  queue_url    = local.create_queue ? module.events_queue[0].queue_url : var.existing_queue_url
  queue_arn    = local.create_queue ? module.events_queue[0].queue_arn : var.existing_queue_arn
  queue_name   = element(split(":", local.queue_arn), 5)

  glue_database_name = replace("${local.name}_silver", "-", "_")
  glue_any_enabled   = var.glue_enabled || var.glue_job_enabled || var.ge_enabled
  event_bus_arn      = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${var.event_bus_name}"

  read_bronze_statements = [
    {
      # GetObjectVersion: with versioning on, notifications carry versionId and reads pin it.
      sid        = "ReadBronzeObjects"
      actions    = ["s3:GetObject", "s3:GetObjectVersion"]
      resources  = ["${module.bronze_bucket.arn}/${local.bronze_prefix}*"]
      conditions = []
    },
    {
      # ListBucket makes S3 answer a GET/HEAD of a missing key with 404 NoSuchKey, which the
      # functions report as a vanished object; without it S3 answers 403 AccessDenied, which hides
      # that cause. S3's check for that 404 carries no s3:prefix, so a plain StringLike on the
      # prefix would not count there: IfExists lets it, while listings that do name a prefix stay
      # inside bronze/. The stack keeps only bronze/ keys in this bucket (only those reach ingest).
      sid       = "ListBronzePrefix"
      actions   = ["s3:ListBucket"]
      resources = [module.bronze_bucket.arn]
      conditions = [{
        test     = "StringLikeIfExists"
        variable = "s3:prefix"
        values   = ["${local.bronze_prefix}*"]
      }]
    },
  ]
}
