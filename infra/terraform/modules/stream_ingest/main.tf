# The streaming producer into bronze: a Kinesis Data Stream (on-demand) for producers that cannot
# write S3 objects, read by a Firehose delivery stream that writes gzip JSON Lines under
# <bronze_prefix><record_type>/stream/YYYY/MM/DD/HH/. The objects it writes are uploads like any
# other: the bronze notification starts ingest, and everything after bronze stays one path.
#
# Routing: dynamic partitioning on the record's own record_type (a JQ metadata extraction), one
# stream for every dataset. Records whose extraction fails (invalid JSON, no record_type) go to
# <error_prefix>, outside the prefix ingest watches; a record_type no contract knows lands under
# its own value and the transform quarantines it with a reason.

locals {
  partition_key = "!{partitionKeyFromQuery:${var.partition_key_field}}"
  prefix        = "${var.bronze_prefix}${local.partition_key}/stream/!{timestamp:yyyy/MM/dd/HH}/"
  error_prefix  = "${var.error_prefix}stream/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
  log_stream    = "DestinationDelivery"
}

resource "aws_kinesis_stream" "this" {
  name             = var.name
  retention_period = var.stream_retention_hours
  # Encrypted at rest with the given key, or the AWS managed key of Kinesis.
  encryption_type = "KMS"
  kms_key_id      = coalesce(var.kms_key_arn, "alias/aws/kinesis")

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted by CloudWatch Logs by default; a customer managed key is optional (kms_key_arn) to keep cost down.
  #checkov:skip=CKV_AWS_338:Retention is set per environment (days to months) to control cost; a year is not required for delivery error logs.
  name              = "/aws/kinesisfirehose/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_stream" "delivery" {
  name           = local.log_stream
  log_group_name = aws_cloudwatch_log_group.this.name
}

module "firehose_role" {
  source = "../iam"

  role_name                = var.role_name
  description              = "Firehose: read the ingest stream, write gzip JSON Lines to bronze, log delivery errors"
  trusted_services         = ["firehose.amazonaws.com"]
  permissions_boundary_arn = var.permissions_boundary_arn
  kms_key_arn              = var.kms_key_arn
  kms_actions              = ["kms:Decrypt", "kms:GenerateDataKey"]
  tags                     = var.tags

  policy_statements = [
    {
      sid       = "ReadIngestStream"
      actions   = ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"]
      resources = [aws_kinesis_stream.this.arn]
    },
    {
      sid       = "WriteBronzeAndErrors"
      actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
      resources = ["${var.bronze_bucket_arn}/${var.bronze_prefix}*", "${var.bronze_bucket_arn}/${var.error_prefix}*"]
    },
    {
      # Firehose checks the bucket and lists its own multipart uploads; listings stay inside the
      # two prefixes.
      sid       = "LocateBronzeBucket"
      actions   = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
      resources = [var.bronze_bucket_arn]
      conditions = [{
        test     = "StringLikeIfExists"
        variable = "s3:prefix"
        values   = ["${var.bronze_prefix}*", "${var.error_prefix}*"]
      }]
    },
    {
      sid       = "LogDeliveryErrors"
      actions   = ["logs:PutLogEvents"]
      resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:${local.log_stream}"]
    },
  ]
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  #checkov:skip=CKV_AWS_240:Server-side encryption of the delivery stream applies to DirectPut only; with a Kinesis source the data is encrypted in the stream (KMS) and in S3 (kms_key_arn or the bucket's default).
  #checkov:skip=CKV_AWS_241:As above: a delivery stream with a Kinesis source takes no SSE key of its own.
  name        = var.name
  destination = "extended_s3"

  kinesis_source_configuration {
    kinesis_stream_arn = aws_kinesis_stream.this.arn
    role_arn           = module.firehose_role.arn
  }

  extended_s3_configuration {
    role_arn            = module.firehose_role.arn
    bucket_arn          = var.bronze_bucket_arn
    prefix              = local.prefix
    error_output_prefix = local.error_prefix
    buffering_size      = var.buffering_size_mb
    buffering_interval  = var.buffering_interval_seconds
    compression_format  = "GZIP"
    file_extension      = var.file_extension
    kms_key_arn         = var.kms_key_arn

    dynamic_partitioning_configuration {
      enabled = true
    }

    processing_configuration {
      enabled = true

      processors {
        type = "MetadataExtraction"
        parameters {
          parameter_name  = "MetadataExtractionQuery"
          parameter_value = "{${var.partition_key_field}: .${var.partition_key_field}}"
        }
        parameters {
          parameter_name  = "JsonParsingEngine"
          parameter_value = "JQ-1.6"
        }
      }

      # Firehose joins records without a separator; each record becomes one JSON Lines line.
      processors {
        type = "AppendDelimiterToRecord"
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.this.name
      log_stream_name = aws_cloudwatch_log_stream.delivery.name
    }
  }

  tags = var.tags
}
