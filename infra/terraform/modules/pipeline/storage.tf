# Storage: the bronze, silver and artifacts buckets and the idempotency table.

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
