# A Glue Spark job whose script (and optional importable logic) is uploaded from the repository.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  scripts_key_prefix = "${var.scripts_prefix}${var.job_name}/"
  temp_key_prefix    = "${var.temp_prefix}${var.job_name}/"
  script_key         = "${local.scripts_key_prefix}${basename(var.script_path)}"
  extra_py_files     = { for path in var.extra_py_files : basename(path) => path }

  log_groups_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws-glue/*"

  common_statements = [
    {
      sid        = "ReadOwnScripts"
      effect     = "Allow"
      actions    = ["s3:GetObject"]
      resources  = ["${var.assets_bucket_arn}/${local.scripts_key_prefix}*"]
      conditions = []
    },
    {
      sid        = "UseOwnTempDir"
      effect     = "Allow"
      actions    = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources  = ["${var.assets_bucket_arn}/${local.temp_key_prefix}*"]
      conditions = []
    },
    {
      # Part of what AWSGlueServiceRole grants a job (scoped down to its assets bucket): the S3
      # clients of a Glue job look up the bucket's region first.
      sid        = "LocateAssetsBucket"
      effect     = "Allow"
      actions    = ["s3:GetBucketLocation"]
      resources  = [var.assets_bucket_arn]
      conditions = []
    },
    {
      sid       = "ListOwnPrefixes"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = [var.assets_bucket_arn]
      conditions = [{
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${local.scripts_key_prefix}*", "${local.temp_key_prefix}*"]
      }]
    },
    {
      # Glue names its log groups itself (/aws-glue/jobs/..., suffixed by the security
      # configuration), so the grant covers Glue's log-group namespace only.
      sid        = "WriteGlueLogs"
      effect     = "Allow"
      actions    = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
      resources  = [local.log_groups_arn, "${local.log_groups_arn}:*"]
      conditions = []
    },
    {
      # PutMetricData supports no resource-level permissions; the namespace condition scopes it.
      sid       = "PublishGlueMetrics"
      effect    = "Allow"
      actions   = ["cloudwatch:PutMetricData"]
      resources = ["*"]
      conditions = [{
        test     = "StringEquals"
        variable = "cloudwatch:namespace"
        values   = ["Glue"]
      }]
    },
  ]
}

resource "aws_s3_object" "script" {
  bucket = var.assets_bucket_name
  key    = local.script_key
  source = var.script_path
  # source_hash, not etag: with SSE-KMS an object's ETag is not the MD5 of its content, so an
  # etag would never match and every plan would upload again.
  source_hash = fileexists(var.script_path) ? filemd5(var.script_path) : null
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = fileexists(var.script_path)
      error_message = "The Glue job script ${var.script_path} does not exist: add it or keep the job's toggle off."
    }
  }
}

resource "aws_s3_object" "extra_py_files" {
  for_each = local.extra_py_files

  bucket      = var.assets_bucket_name
  key         = "${local.scripts_key_prefix}${each.key}"
  source      = each.value
  source_hash = filemd5(each.value)
  tags        = var.tags
}

module "role" {
  source = "../iam"

  role_name   = var.role_name
  description = "Glue job ${var.job_name}"
  # AWS documents Glue's trust as the plain service principal, with no aws:SourceAccount or
  # aws:SourceArn condition: Glue does not send those keys when it assumes the role, so with the
  # condition CreateCrawler fails ("Service is unable to assume role") and job runs do not start.
  # Only iam:PassRole to Glue lets a role be used, and this stack passes it only to its own jobs.
  trusted_services         = ["glue.amazonaws.com"]
  permissions_boundary_arn = var.permissions_boundary_arn
  policy_statements        = concat(local.common_statements, var.policy_statements)
  # Encrypt as well: the security configuration encrypts job bookmarks client-side (CSE-KMS).
  kms_key_arn = var.kms_key_arn
  kms_actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
  tags        = var.tags
}

resource "aws_glue_job" "this" {
  name                   = var.job_name
  description            = var.description
  role_arn               = module.role.arn
  glue_version           = var.glue_version
  worker_type            = var.worker_type
  number_of_workers      = var.number_of_workers
  timeout                = var.timeout_minutes
  max_retries            = var.max_retries
  security_configuration = var.security_configuration_name
  tags                   = var.tags

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${var.assets_bucket_name}/${aws_s3_object.script.key}"
  }

  execution_property {
    max_concurrent_runs = var.max_concurrent_runs
  }

  default_arguments = merge(
    {
      "--job-language"                     = "python"
      "--enable-metrics"                   = "true"
      "--enable-continuous-cloudwatch-log" = "true"
      "--enable-observability-metrics"     = "true"
      "--job-bookmark-option"              = "job-bookmark-disable"
      "--TempDir"                          = "s3://${var.assets_bucket_name}/${local.temp_key_prefix}"
    },
    length(local.extra_py_files) == 0 ? {} : {
      "--extra-py-files" = join(",", [for o in aws_s3_object.extra_py_files : "s3://${o.bucket}/${o.key}"])
    },
    var.job_arguments,
  )
}
