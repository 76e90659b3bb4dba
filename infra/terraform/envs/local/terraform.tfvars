# local: the same stack applied to the local cloud (`make up`). Sizes as in dev; state and data
# are throwaway. Toggles differ from dev only where the emulator cannot serve a feature, each
# with its reason (none at the moment).

aws_region  = "us-east-1"
environment = "local"
project     = "elt"

# Storage
force_destroy                  = true
bucket_versioning_enabled      = false
bronze_transition_ia_days      = 30
bronze_transition_archive_days = 0
bronze_expiration_days         = 60
idempotency_pitr_enabled       = true

# Functions and queue. Lambda sizes follow `make bench` (docs/performance.md, "Work-unit size and Lambda sizing"): transform
# 1769 MB = one full vCPU for a CPU-bound 128 MiB unit (~4.2 CPU-s, ~340 MB peak), timeout = 10
# units x 4.2 s x 2; ingest streams 16 GiB at ~0.93 CPU-s/GiB on 256 MB (0.14 vCPU) x 2.
# esm_batch_size 100: one silver file per partition per 100 small units (bench W2); the
# transform takes at most 1280 MiB (10 units of 128 MiB, BATCH_MAX_BYTES) of a batch and hands the
# rest back; above 10 messages Lambda needs a batching window >= 1 s.
log_retention_days          = 7
log_level                   = "DEBUG"
ingest_memory_mb            = 256
ingest_timeout_seconds      = 210
transform_memory_mb         = 1769
transform_timeout_seconds   = 90
esm_batch_size              = 250
esm_batching_window_seconds = 5
esm_maximum_concurrency     = 10
queue_max_receive_count     = 5

# Feature toggles (as in dev, except that the transform does not announce partitions: each GE
# validation is a local Spark run, so a seed of many partitions would start many. The rule that
# starts the gate on announcements is deployed; run the gate with `make ge-start`, or turn the
# announcements on with -var=ge_emit_events_from_transform=true)
ops_enabled                   = true
ops_schedule_enabled          = false
glue_enabled                  = true
glue_job_enabled              = true
ge_enabled                    = true
ge_workflow_enabled           = true
ge_eventbridge_enabled        = true
ge_emit_events_from_transform = false # see above: each announcement would start a local Spark run
ge_quarantine_enabled         = true
catalog_registration_enabled  = true
observability_enabled         = true
athena_enabled                = true
# Unlike dev: the local stack has the Redshift path (an external schema over silver), which the
# local cloud runs on DuckDB at no cost; on AWS a workgroup bills RPU-hours for its queries.
redshift_enabled = true

# Alarms: nobody watches the local cloud's silence.
alarm_oldest_message_age_seconds = 1800
alarm_no_silver_writes_hours     = 0

# "Silver partition ready" debounce: one event (and one GE run) per partition per 5 minutes.
partition_event_debounce_seconds = 300

# The streaming producer into bronze (`make produce VIA=stream`): on, with a laptop-scale
# buffering interval so records reach bronze seconds after they are put (the local cloud's
# Firehose reads the stream and flushes on these hints). AWS keeps the defaults (64 MiB / 300 s).
stream_ingest_enabled             = true
stream_buffering_size_mb          = 64
stream_buffering_interval_seconds = 5
