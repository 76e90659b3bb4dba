# Workflows: the GE gate and the ops (replay/backfill) state machines.

module "ge_gate" {
  source = "../workflow_ge_gate"
  count  = var.ge_workflow_enabled ? 1 : 0

  name                         = "${local.name}-ge-gate"
  role_name_prefix             = "${local.role_prefix}-ge-gate"
  permissions_boundary_arn     = var.iam_permissions_boundary_arn
  definition_template_path     = var.ge_definition_template_path
  ge_job_name                  = module.ge_validation[0].job_name
  silver_bucket_name           = module.silver_bucket.id
  silver_bucket_arn            = module.silver_bucket.arn
  results_prefix               = local.ge_results_prefix
  quarantine_enabled           = var.ge_quarantine_enabled
  quarantine_marker_prefix     = "${local.quarantine_prefix}/_ge_gate"
  eventbridge_enabled          = var.ge_eventbridge_enabled
  event_bus_name               = var.event_bus_name
  partition_event_source       = local.partition_event_source
  partition_event_detail_type  = local.partition_event_detail_type
  notification_email_addresses = var.ge_notification_email_addresses
  log_retention_days           = var.log_retention_days
  kms_key_arn                  = var.kms_key_arn
  tags                         = var.tags
}

module "ops" {
  source     = "../workflow_ops"
  count      = var.ops_enabled ? 1 : 0
  depends_on = [module.artifacts_bucket]

  name                     = "${local.name}-ops"
  role_name_prefix         = "${local.role_prefix}-ops"
  permissions_boundary_arn = var.iam_permissions_boundary_arn
  definition_template_path = var.ops_definition_template_path
  runtime                  = local.lambda_runtime.runtime
  architecture             = local.lambda_runtime.architecture
  replay_zip_path          = "${local.artifacts_dir}/workflows_replay.zip"
  progress_zip_path        = "${local.artifacts_dir}/workflows_progress.zip"
  artifact_bucket          = local.artifacts_bucket
  log_level                = var.log_level
  metrics_namespace        = local.metrics_namespace
  log_retention_days       = var.log_retention_days
  bronze_bucket_name       = module.bronze_bucket.id
  bronze_bucket_arn        = module.bronze_bucket.arn
  bronze_prefix            = local.bronze_prefix
  replay_prefix            = "${local.bronze_prefix}replay/"
  silver_bucket_name       = module.silver_bucket.id
  silver_bucket_arn        = module.silver_bucket.arn
  silver_prefix            = local.silver_prefix
  quarantine_prefix        = local.quarantine_prefix
  queue_url                = local.queue_url
  queue_arn                = local.queue_arn
  work_unit_bytes          = var.work_unit_bytes
  dlq_url                  = one(module.events_queue[*].dlq_url)
  dlq_arn                  = one(module.events_queue[*].dlq_arn)
  schedule_enabled         = var.ops_schedule_enabled
  schedule_expression      = var.ops_schedule_expression
  kms_key_arn              = var.kms_key_arn
  tags                     = var.tags
}
