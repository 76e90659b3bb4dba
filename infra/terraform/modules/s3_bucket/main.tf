# A private, encrypted, TLS-only bucket. Every bucket in the stack is created through this module
# so the baseline (public access block, encryption, TLS policy, lifecycle) cannot be forgotten.

locals {
  lifecycle_rules = concat(
    [{
      id                                 = "bucket-hygiene"
      prefix                             = ""
      transitions                        = []
      expiration_days                    = null
      noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
    }],
    var.lifecycle_rules,
  )
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logging is optional; account-level CloudTrail data events are the recommended audit trail and a log bucket per data bucket doubles the bucket count.
  #checkov:skip=CKV_AWS_144:Cross-region replication is not wanted for a rebuildable data lake (bronze can be replayed, silver rebuilt); enable it per account if required.
  #checkov:skip=CKV_AWS_145:SSE-S3 is the default to avoid KMS request costs; pass kms_key_arn to use a customer managed key.
  #checkov:skip=CKV_AWS_21:Versioning is a per-environment setting (versioning_enabled): on in prod, off in disposable dev/local stacks where bronze can be re-uploaded.
  #checkov:skip=CKV2_AWS_62:Event notifications are configured by the caller where needed (bronze -> ingest); other buckets have no consumers.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # S3 Bucket Keys cut KMS request costs; meaningless for SSE-S3.
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = var.versioning_enabled ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # One list of rules: a bucket-wide hygiene rule (abort stale multipart uploads, expire old
  # versions) followed by the caller's per-prefix rules.
  dynamic "rule" {
    for_each = local.lifecycle_rules
    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = var.abort_incomplete_multipart_upload_days
      }

      dynamic "transition" {
        for_each = rule.value.transitions
        content {
          days          = transition.value.days
          storage_class = transition.value.storage_class
        }
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days == null ? [] : [rule.value.expiration_days]
        content {
          days = expiration.value
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = rule.value.noncurrent_version_expiration_days == null ? [] : [rule.value.noncurrent_version_expiration_days]
        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }
    }
  }

  # Lifecycle rules that touch noncurrent versions need versioning configured first.
  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  source_policy_documents = var.policy_documents

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyOutdatedTls"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.tls_only.json

  # S3 rejects concurrent configuration changes on one bucket; the public access block goes first.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
