# The streaming producer into bronze (off by default): producers that cannot write S3 objects put
# records to a Kinesis stream; Firehose writes them as gzip JSON Lines under
# bronze/<record_type>/stream/, where the bronze notification starts ingest as for any upload.
# Failed records go to bronze-errors/, outside the prefix ingest watches. docs/producers.md says why
# one stream with dynamic partitioning on record_type.

module "stream_ingest" {
  source = "../stream_ingest"
  count  = var.stream_ingest_enabled ? 1 : 0

  name                       = "${local.name}-stream"
  bronze_bucket_arn          = module.bronze_bucket.arn
  bronze_prefix              = local.bronze_prefix
  error_prefix               = local.stream_error_prefix
  buffering_size_mb          = var.stream_buffering_size_mb
  buffering_interval_seconds = var.stream_buffering_interval_seconds
  log_retention_days         = var.log_retention_days
  kms_key_arn                = var.kms_key_arn
  role_name                  = "${local.role_prefix}-firehose"
  permissions_boundary_arn   = var.iam_permissions_boundary_arn
  tags                       = var.tags
}
