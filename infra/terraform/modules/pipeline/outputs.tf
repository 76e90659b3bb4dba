output "name" {
  description = "Name prefix of the stack's resources."
  value       = local.name
}

output "region" {
  description = "Region of the stack."
  value       = local.region
}

output "bronze_bucket" {
  description = "Bronze bucket (upload under bronze/<dataset>/)."
  value       = module.bronze_bucket.id
}

output "silver_bucket" {
  description = "Silver bucket (silver/, quarantine/, ge-results/, compacted/, athena-results/)."
  value       = module.silver_bucket.id
}

output "queue_url" {
  description = "Events (work unit) queue URL."
  value       = local.queue_url
}

output "queue_arn" {
  description = "Events queue ARN."
  value       = local.queue_arn
}

output "dlq_url" {
  description = "Events DLQ URL (null with an external queue)."
  value       = one(module.events_queue[*].dlq_url)
}

output "ingest_dlq_url" {
  description = "Queue receiving S3 events the ingest function failed on after its retries."
  value       = module.ingest_dlq.queue_url
}

output "ingest_lambda" {
  description = "Ingest function name."
  value       = module.ingest.function_name
}

output "transform_lambda" {
  description = "Transform function name."
  value       = module.transform.function_name
}

output "idempotency_table_name" {
  description = "Idempotency table name."
  value       = module.idempotency_table.name
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the functions' EMF metrics."
  value       = local.metrics_namespace
}

output "ops_state_machine_arn" {
  description = "Ops workflow ARN (null when ops_enabled = false)."
  value       = one(module.ops[*].state_machine_arn)
}

output "ge_state_machine_arn" {
  description = "GE gate ARN (null when ge_workflow_enabled = false)."
  value       = one(module.ge_gate[*].state_machine_arn)
}

output "glue_database_name" {
  description = "Glue database of the silver tables (null when glue_enabled = false)."
  value       = one(module.glue_catalog[*].database_name)
}

output "glue_crawler_name" {
  description = "Crawler over silver (null when glue_enabled = false)."
  value       = one(module.glue_catalog[*].crawler_name)
}

output "glue_job_name" {
  description = "Compaction Glue job (null when glue_job_enabled = false)."
  value       = one(module.compaction_job[*].job_name)
}

output "ge_job_name" {
  description = "GE validation Glue job (null when ge_enabled = false)."
  value       = one(module.ge_validation[*].job_name)
}

output "dashboard_name" {
  description = "CloudWatch dashboard (null when observability_enabled = false)."
  value       = one(module.observability[*].dashboard_name)
}

output "alarm_topic_arn" {
  description = "Alarm topic (null when observability_enabled = false)."
  value       = one(module.observability[*].alarm_topic_arn)
}

output "athena_workgroup" {
  description = "Athena workgroup (null when athena_enabled = false)."
  value       = one(module.athena[*].workgroup_name)
}

output "redshift_workgroup_name" {
  description = "Redshift Serverless workgroup, the Data API's WorkgroupName (null when redshift_enabled = false)."
  value       = one(module.redshift[*].workgroup_name)
}

output "redshift_database" {
  description = "Redshift database holding the external schema (null when redshift_enabled = false)."
  value       = one(module.redshift[*].database_name)
}

output "redshift_external_schema" {
  description = "Redshift external schema over the silver tables (null when redshift_enabled = false)."
  value       = one(module.redshift[*].external_schema_name)
}

output "ingest_stream_name" {
  description = "Kinesis Data Stream producers PutRecords to (null when stream_ingest_enabled = false)."
  value       = one(module.stream_ingest[*].stream_name)
}

output "ingest_delivery_stream_name" {
  description = "Firehose delivery stream writing the stream to bronze (null when stream_ingest_enabled = false)."
  value       = one(module.stream_ingest[*].delivery_stream_name)
}

output "partition_event" {
  description = "source and detail-type of the \"silver partition ready\" events the GE gate listens for."
  value = {
    source      = local.partition_event_source
    detail_type = local.partition_event_detail_type
  }
}

output "ingest_lambda_arn" {
  description = "Ingest function ARN."
  value       = module.ingest.arn
}

output "transform_lambda_arn" {
  description = "Transform function ARN."
  value       = module.transform.arn
}

output "iam_policies" {
  description = "Inline policy of every role of the stack, by role (for review and tests)."
  value = merge(
    {
      ingest    = module.ingest.role_policy_json
      transform = module.transform.role_policy_json
    },
    { for m in module.glue_catalog : "crawler" => m.role_policy_json },
    { for m in module.compaction_job : "compaction" => m.role_policy_json },
    { for m in module.ge_validation : "ge-validation" => m.role_policy_json },
    merge([for m in module.ops : { for k, p in m.role_policies : "ops-${k}" => p }]...),
    merge([for m in module.ge_gate : { for k, p in m.role_policies : "ge-gate-${k}" => p }]...),
    { for m in module.redshift : "redshift" => m.spectrum_role_policy_json },
    { for m in module.stream_ingest : "firehose" => m.role_policy_json },
  )
}
