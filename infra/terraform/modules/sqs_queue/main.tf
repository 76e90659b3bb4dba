# An encrypted SQS queue with its dead-letter queue and TLS-only policies.

locals {
  visibility_timeout_seconds = coalesce(
    var.visibility_timeout_seconds,
    var.consumer_timeout_seconds == null ? 30 : 6 * var.consumer_timeout_seconds + var.consumer_batching_window_seconds,
  )
}

resource "aws_sqs_queue" "dlq" {
  count = var.create_dlq ? 1 : 0

  name                              = "${var.name}-dlq"
  message_retention_seconds         = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = var.tags
}

resource "aws_sqs_queue" "this" {
  name                              = var.name
  visibility_timeout_seconds        = local.visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  receive_wait_time_seconds         = var.receive_wait_time_seconds
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = var.tags

  redrive_policy = var.create_dlq ? jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.max_receive_count
  }) : null

  lifecycle {
    precondition {
      condition     = var.consumer_timeout_seconds == null || local.visibility_timeout_seconds >= 6 * coalesce(var.consumer_timeout_seconds, 0)
      error_message = "The visibility timeout must be at least 6 x the consumer's timeout, or in-flight messages are redelivered while still being processed."
    }
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = merge(
    { main = aws_sqs_queue.this.arn },
    var.create_dlq ? { dlq = aws_sqs_queue.dlq[0].arn } : {},
  )

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]

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
}

resource "aws_sqs_queue_policy" "tls_only" {
  for_each = data.aws_iam_policy_document.tls_only

  queue_url = each.key == "main" ? aws_sqs_queue.this.id : aws_sqs_queue.dlq[0].id
  policy    = each.value.json
}
