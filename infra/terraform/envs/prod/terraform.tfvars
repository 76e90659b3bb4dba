# prod: durable data, bigger functions, longer retention, every alarm on.

aws_region  = "us-east-1"
environment = "prod"
project     = "elt"

# Storage
force_destroy                   = false
bucket_versioning_enabled       = true
bronze_transition_ia_days       = 30
bronze_transition_archive_days  = 90
idempotency_pitr_enabled        = true
idempotency_deletion_protection = true

# Functions and queue. Lambda sizes follow `make bench` (docs/performance.md, "Work-unit size and Lambda sizing"): transform
# 1769 MB = one full vCPU for a CPU-bound 128 MiB unit (~4.2 CPU-s, ~340 MB peak), timeout = 10
# units x 4.2 s x 2; ingest streams 16 GiB at ~0.93 CPU-s/GiB on 256 MB (0.14 vCPU) x 2.
# esm_batch_size 100: one silver file per partition per 100 small units (bench W2); the
# transform takes at most 1280 MiB (10 units of 128 MiB, BATCH_MAX_BYTES) of a batch and hands the
# rest back; above 10 messages Lambda needs a batching window >= 1 s.
log_retention_days          = 90
log_level                   = "INFO"
ingest_memory_mb            = 512
ingest_timeout_seconds      = 210
transform_memory_mb         = 2048
transform_timeout_seconds   = 120
esm_batch_size              = 250
esm_batching_window_seconds = 10
esm_maximum_concurrency     = 50
queue_max_receive_count     = 5

# Feature toggles
ops_enabled                   = true
ops_schedule_enabled          = false
glue_enabled                  = true
glue_job_enabled              = true
ge_enabled                    = true
ge_workflow_enabled           = true
ge_eventbridge_enabled        = true
ge_emit_events_from_transform = true
ge_quarantine_enabled         = true
catalog_registration_enabled  = false
observability_enabled         = true
athena_enabled                = true
redshift_enabled              = false

# Alarms (subscribe on-call addresses with alarm_email_addresses = ["..."])
alarm_oldest_message_age_seconds = 900
alarm_no_silver_writes_hours     = 24

# "Silver partition ready" debounce: one event (and one GE run) per partition per 5 minutes.
partition_event_debounce_seconds = 300
# Off: producers write bronze objects directly. Turn on for producers that can only send records
# (Kinesis + Firehose, billed per GB and per shard-hour; docs/producers.md).
stream_ingest_enabled = false
