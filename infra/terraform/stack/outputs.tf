# Outputs read by the Makefile, the demo and the checks (null-safe when a feature is off).
# The same in envs/local, dev and prod (tests/infra check that).

output "region" {
  description = "Region of the stack."
  value       = module.pipeline.region
}

output "bronze_bucket" {
  description = "Bronze bucket (upload under bronze/<dataset>/)."
  value       = module.pipeline.bronze_bucket
}

output "silver_bucket" {
  description = "Silver bucket."
  value       = module.pipeline.silver_bucket
}

output "queue_url" {
  description = "Events queue URL."
  value       = module.pipeline.queue_url
}

output "dlq_url" {
  description = "Events DLQ URL (null with an external queue)."
  value       = module.pipeline.dlq_url
}

output "ingest_dlq_url" {
  description = "Queue of S3 events ingest failed on after its retries."
  value       = module.pipeline.ingest_dlq_url
}

output "ingest_lambda" {
  description = "Ingest function name."
  value       = module.pipeline.ingest_lambda
}

output "transform_lambda" {
  description = "Transform function name."
  value       = module.pipeline.transform_lambda
}

output "idempotency_table_name" {
  description = "Idempotency table name."
  value       = module.pipeline.idempotency_table_name
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the functions' metrics."
  value       = module.pipeline.metrics_namespace
}

output "ops_state_machine_arn" {
  description = "Ops workflow ARN (null when off)."
  value       = module.pipeline.ops_state_machine_arn
}

output "ge_state_machine_arn" {
  description = "GE gate ARN (null when off)."
  value       = module.pipeline.ge_state_machine_arn
}

output "glue_database_name" {
  description = "Glue database (null when off)."
  value       = module.pipeline.glue_database_name
}

output "glue_crawler_name" {
  description = "Crawler over silver (null when off)."
  value       = module.pipeline.glue_crawler_name
}

output "glue_job_name" {
  description = "Compaction Glue job (null when off)."
  value       = module.pipeline.glue_job_name
}

output "ge_job_name" {
  description = "GE validation Glue job (null when off)."
  value       = module.pipeline.ge_job_name
}

output "dashboard_name" {
  description = "CloudWatch dashboard (null when off)."
  value       = module.pipeline.dashboard_name
}

output "alarm_topic_arn" {
  description = "Alarm topic (null when off)."
  value       = module.pipeline.alarm_topic_arn
}

output "athena_workgroup" {
  description = "Athena workgroup (null when off)."
  value       = module.pipeline.athena_workgroup
}

output "redshift_workgroup_name" {
  description = "Redshift Serverless workgroup, the Data API's WorkgroupName (null when off)."
  value       = module.pipeline.redshift_workgroup_name
}

output "redshift_database" {
  description = "Redshift database holding the external schema (null when off)."
  value       = module.pipeline.redshift_database
}

output "redshift_external_schema" {
  description = "Redshift external schema over the silver tables (null when off)."
  value       = module.pipeline.redshift_external_schema
}

output "ingest_stream_name" {
  description = "Kinesis Data Stream producers PutRecords to (`make produce VIA=stream`; null when off)."
  value       = module.pipeline.ingest_stream_name
}

output "ingest_delivery_stream_name" {
  description = "Firehose delivery stream writing the stream to bronze (null when off)."
  value       = module.pipeline.ingest_delivery_stream_name
}

output "partition_event" {
  description = "source and detail-type of the \"silver partition ready\" events."
  value       = module.pipeline.partition_event
}
