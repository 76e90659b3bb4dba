# Glue: catalog + crawler, compaction, GE validation.

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
