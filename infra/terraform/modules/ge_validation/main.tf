# Great Expectations (GX Core 1.x) validation of silver partitions, as a Glue job. The GE gate
# workflow starts it per partition (--RECORD_TYPE, --DT) and reads the verdict from the run state.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  glue_arn_prefix = "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
}

module "job" {
  source = "../glue_job"

  job_name                    = var.job_name
  description                 = "Great Expectations validation of silver partitions"
  script_path                 = var.script_path
  extra_py_files              = var.extra_py_files
  assets_bucket_name          = var.silver_bucket_name
  assets_bucket_arn           = var.silver_bucket_arn
  number_of_workers           = var.number_of_workers
  timeout_minutes             = var.timeout_minutes
  max_concurrent_runs         = var.max_concurrent_runs
  security_configuration_name = var.security_configuration_name
  role_name                   = var.role_name
  permissions_boundary_arn    = var.permissions_boundary_arn
  kms_key_arn                 = var.kms_key_arn
  tags                        = var.tags

  job_arguments = {
    "--additional-python-modules" = var.great_expectations_requirement
    "--SILVER_BUCKET"             = var.silver_bucket_name
    "--SILVER_PREFIX"             = var.silver_prefix
    "--RESULT_PREFIX"             = var.results_prefix
  }

  policy_statements = [
    {
      sid       = "ReadSilver"
      actions   = ["s3:GetObject"]
      resources = ["${var.silver_bucket_arn}/${var.silver_prefix}/*"]
    },
    {
      sid       = "ListSilver"
      actions   = ["s3:ListBucket"]
      resources = [var.silver_bucket_arn]
      conditions = [{
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${var.silver_prefix}/*", "${var.results_prefix}/*"]
      }]
    },
    {
      sid       = "WriteResults"
      actions   = ["s3:GetObject", "s3:PutObject"]
      resources = ["${var.silver_bucket_arn}/${var.results_prefix}/*"]
    },
    {
      sid     = "ReadCatalog"
      actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"]
      resources = [
        "${local.glue_arn_prefix}:catalog",
        "${local.glue_arn_prefix}:database/${var.glue_database_name}",
        "${local.glue_arn_prefix}:table/${var.glue_database_name}/*",
      ]
    },
  ]
}
