# The environment root shared by envs/local, dev and prod (each links these files): the pipeline
# module with the env's values (terraform.tfvars) and provider (providers.tf).

module "pipeline" {
  source = "../../modules/pipeline"

  project             = var.project
  environment         = var.environment
  name_suffix         = var.name_suffix
  artifacts_dir       = var.artifacts_dir
  runtime_config_path = var.runtime_config_path

  iam_name_prefix              = var.iam_name_prefix
  iam_permissions_boundary_arn = var.iam_permissions_boundary_arn
  kms_key_arn                  = var.kms_key_arn
  existing_queue_url           = var.existing_queue_url
  existing_queue_arn           = var.existing_queue_arn
  transform_layers             = var.transform_layers

  force_destroy                   = var.force_destroy
  bucket_versioning_enabled       = var.bucket_versioning_enabled
  bronze_transition_ia_days       = var.bronze_transition_ia_days
  bronze_transition_archive_days  = var.bronze_transition_archive_days
  bronze_expiration_days          = var.bronze_expiration_days
  bronze_eventbridge_enabled      = var.bronze_eventbridge_enabled
  idempotency_pitr_enabled        = var.idempotency_pitr_enabled
  idempotency_deletion_protection = var.idempotency_deletion_protection

  log_retention_days            = var.log_retention_days
  log_level                     = var.log_level
  ingest_memory_mb              = var.ingest_memory_mb
  ingest_timeout_seconds        = var.ingest_timeout_seconds
  transform_memory_mb           = var.transform_memory_mb
  transform_timeout_seconds     = var.transform_timeout_seconds
  transform_batch_lease_seconds = var.transform_batch_lease_seconds
  transform_batch_max_bytes     = var.transform_batch_max_bytes
  esm_batch_size                = var.esm_batch_size
  esm_batching_window_seconds   = var.esm_batching_window_seconds
  esm_maximum_concurrency       = var.esm_maximum_concurrency
  queue_max_receive_count       = var.queue_max_receive_count

  ops_enabled                   = var.ops_enabled
  ops_schedule_enabled          = var.ops_schedule_enabled
  glue_enabled                  = var.glue_enabled
  glue_job_enabled              = var.glue_job_enabled
  ge_enabled                    = var.ge_enabled
  ge_workflow_enabled           = var.ge_workflow_enabled
  ge_eventbridge_enabled        = var.ge_eventbridge_enabled
  ge_emit_events_from_transform = var.ge_emit_events_from_transform
  ge_quarantine_enabled         = var.ge_quarantine_enabled
  catalog_registration_enabled  = var.catalog_registration_enabled

  partition_event_debounce_seconds  = var.partition_event_debounce_seconds
  ge_notification_email_addresses   = var.ge_notification_email_addresses
  observability_enabled             = var.observability_enabled
  athena_enabled                    = var.athena_enabled
  redshift_enabled                  = var.redshift_enabled
  redshift_base_capacity            = var.redshift_base_capacity
  redshift_schema_name              = var.redshift_schema_name
  redshift_subnet_ids               = var.redshift_subnet_ids
  redshift_security_group_ids       = var.redshift_security_group_ids
  stream_ingest_enabled             = var.stream_ingest_enabled
  stream_buffering_size_mb          = var.stream_buffering_size_mb
  stream_buffering_interval_seconds = var.stream_buffering_interval_seconds

  alarm_email_addresses            = var.alarm_email_addresses
  alarm_oldest_message_age_seconds = var.alarm_oldest_message_age_seconds
  alarm_no_silver_writes_hours     = var.alarm_no_silver_writes_hours
}
