# Queues: the events (work unit) queue between ingest and transform, and ingest's DLQ.

module "events_queue" {
  source = "../sqs_queue"
  count  = local.create_queue ? 1 : 0

  name                             = "${local.name}-events"
  consumer_timeout_seconds         = var.transform_timeout_seconds
  consumer_batching_window_seconds = var.esm_batching_window_seconds
  max_receive_count                = var.queue_max_receive_count
  dlq_message_retention_seconds    = var.dlq_retention_days * 86400
  kms_key_arn                      = var.kms_key_arn
  tags                             = var.tags
}

# S3 invokes ingest asynchronously: events that still fail after Lambda's retries land here.
module "ingest_dlq" {
  source = "../sqs_queue"

  name                      = "${local.name}-ingest-dlq"
  create_dlq                = false
  message_retention_seconds = var.dlq_retention_days * 86400
  kms_key_arn               = var.kms_key_arn
  tags                      = var.tags
}
