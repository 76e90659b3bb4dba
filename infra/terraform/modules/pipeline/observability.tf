# Observability and query: dashboard, alarms and alarm topic; the Athena workgroup.

module "observability" {
  source = "../observability"
  count  = var.observability_enabled ? 1 : 0

  name = local.name
  function_names = merge(
    {
      ingest    = module.ingest.function_name
      transform = module.transform.function_name
    },
    var.ops_enabled ? { for k, fn in module.ops[0].function_names : "ops-${k}" => fn } : {},
  )
  queue_name = local.queue_name
  dead_letter_queue_names = merge(
    { ingest = module.ingest_dlq.queue_name },
    local.create_queue ? { events = module.events_queue[0].dlq_name } : {},
  )
  oldest_message_age_threshold_seconds = var.alarm_oldest_message_age_seconds
  no_silver_writes_hours               = var.alarm_no_silver_writes_hours
  metrics_namespace                    = local.metrics_namespace
  alarm_email_addresses                = var.alarm_email_addresses
  kms_key_arn                          = var.kms_key_arn
  tags                                 = var.tags
}

module "athena" {
  source = "../athena"
  count  = var.athena_enabled ? 1 : 0

  workgroup_name  = local.name
  output_location = "s3://${module.silver_bucket.id}/${local.athena_results_prefix}/"
  kms_key_arn     = var.kms_key_arn
  force_destroy   = var.force_destroy
  database_name   = local.glue_database_name
  named_queries   = local.named_queries
  tags            = var.tags
}
