# Interface of an environment. The same in envs/local, dev and prod (tests/infra check that);
# the values live in each env's terraform.tfvars. A variable the pipeline module also declares is
# declared as there (type, default, description: tests/infra check that they agree); its
# validations stay in the module.

variable "aws_region" {
  description = "Region of the stack."
  type        = string
}

variable "environment" {
  description = "Environment name (local, dev, prod), second part of every resource name."
  type        = string
  nullable    = false
}

variable "project" {
  description = "Short project name, first part of every resource name."
  type        = string
  nullable    = false
  default     = "elt"
}

variable "name_suffix" {
  description = "Optional suffix that makes names unique when several stacks of one environment share an account (e.g. a developer's initials). Bucket names always end in <account>-<region>."
  type        = string
  nullable    = false
  default     = ""
}

variable "artifacts_dir" {
  description = "Directory of the `make build` output: the Lambda zips (ingest.zip, transform.zip, workflows_replay.zip, workflows_progress.zip) and glue_libs.zip. null = <repo>/build."
  type        = string
  default     = null
}

variable "runtime_config_path" {
  description = "JSON file with the Lambda runtime and architecture shared with the build ({\"runtime\": ..., \"architecture\": ...}). null = <repo>/lambdas/runtime.json."
  type        = string
  default     = null
}

variable "iam_name_prefix" {
  description = "Prefix of every IAM role name, for accounts that only allow roles with a given prefix."
  type        = string
  nullable    = false
  default     = ""
}

variable "iam_permissions_boundary_arn" {
  description = "Permissions boundary attached to every role, for accounts that require one."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for buckets, queues, table, logs and topics. null = AWS managed encryption everywhere."
  type        = string
  default     = null
}

variable "existing_queue_url" {
  description = "URL of an externally created events queue to use instead of creating one (with existing_queue_arn). Its visibility timeout and redrive are then the owner's responsibility."
  type        = string
  default     = null
}

variable "existing_queue_arn" {
  description = "ARN of the externally created events queue (with existing_queue_url)."
  type        = string
  default     = null
}

variable "transform_layers" {
  description = "Layer ARNs of the transform (e.g. a pyarrow layer instead of bundling it)."
  type        = list(string)
  nullable    = false
  default     = []
}

# --- storage -----------------------------------------------------------------------------------

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets and workgroups (disposable environments only)."
  type        = bool
  nullable    = false
  default     = false
}

variable "bucket_versioning_enabled" {
  description = "Keep object versions in the buckets (bronze, silver and artifacts)."
  type        = bool
  nullable    = false
  default     = true
}

variable "bronze_transition_ia_days" {
  description = "Days after which bronze objects move to STANDARD_IA (0 = never)."
  type        = number
  nullable    = false
  default     = 30
}

variable "bronze_transition_archive_days" {
  description = "Days after which bronze objects move to GLACIER_IR, which still allows an immediate replay (0 = never)."
  type        = number
  nullable    = false
  default     = 90
}

variable "bronze_expiration_days" {
  description = "Days after which bronze objects are deleted (null = keep forever)."
  type        = number
  default     = null
}

variable "bronze_eventbridge_enabled" {
  description = "Also send bronze bucket events to EventBridge (for consumers outside this stack)."
  type        = bool
  nullable    = false
  default     = false
}

variable "idempotency_pitr_enabled" {
  description = "Point-in-time recovery of the idempotency table."
  type        = bool
  nullable    = false
  default     = true
}

variable "idempotency_deletion_protection" {
  description = "Deletion protection of the idempotency table."
  type        = bool
  nullable    = false
  default     = false
}

# --- functions and queue -------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the functions' and state machines' log groups (Glue creates its own, without retention)."
  type        = number
  nullable    = false
  default     = 14
}

variable "log_level" {
  description = "LOG_LEVEL of the functions."
  type        = string
  nullable    = false
  default     = "INFO"
}

variable "ingest_memory_mb" {
  description = "Memory of the ingest function."
  type        = number
  nullable    = false
  default     = 512
}

variable "ingest_timeout_seconds" {
  description = "Timeout of the ingest function."
  type        = number
  nullable    = false
  default     = 300
}

variable "transform_memory_mb" {
  description = "Memory of the transform function."
  type        = number
  nullable    = false
  default     = 1024
}

variable "transform_timeout_seconds" {
  description = "Timeout of the transform function; the queue's visibility timeout is 6x this plus the batching window."
  type        = number
  nullable    = false
  default     = 120
}

variable "transform_batch_lease_seconds" {
  description = "How long a transform batch stays OPEN before another invocation may take it over, abort it and delete its files (BATCH_LEASE_SECONDS). Must outlive the function by enough for a killed invocation's last requests to land."
  type        = number
  nullable    = false
  default     = 900
}

variable "transform_batch_max_bytes" {
  description = "Bytes of work units one transform invocation takes from its SQS batch; the rest is handed back to the queue (BATCH_MAX_BYTES). 1280 MiB = 10 units of 128 MiB at 4.2 CPU-s each x 2 headroom fits the 90 s timeout at one vCPU (docs/performance.md, \"Work-unit size and Lambda sizing\")."
  type        = number
  nullable    = false
  default     = 1342177280
}

variable "esm_batch_size" {
  description = "Messages (work units) per transform invocation; the transform writes one file per partition per invocation and takes at most transform_batch_max_bytes of them. 250: the W2 many-small-objects benchmark (docs/performance.md)."
  type        = number
  nullable    = false
  default     = 250
}

variable "esm_batching_window_seconds" {
  description = "Seconds the event source mapping gathers messages before invoking (MaximumBatchingWindowInSeconds, 0-300; at least 1 when esm_batch_size > 10)."
  type        = number
  nullable    = false
  default     = 5
}

variable "esm_maximum_concurrency" {
  description = "Maximum concurrent transform invocations driven by the queue."
  type        = number
  nullable    = false
  default     = 10
}

variable "queue_max_receive_count" {
  description = "Receives before an events message goes to the DLQ (at least 5)."
  type        = number
  nullable    = false
  default     = 5
}

# --- feature toggles ---------------------------------------------------------------------------

variable "ops_enabled" {
  description = "Ops workflow (replay/backfill -> poll silver -> report) and its task functions."
  type        = bool
  nullable    = false
  default     = false
}

variable "ops_schedule_enabled" {
  description = "Start the ops workflow on ops_schedule_expression."
  type        = bool
  nullable    = false
  default     = false
}

variable "glue_enabled" {
  description = "Glue Data Catalog database and the crawler over silver."
  type        = bool
  nullable    = false
  default     = true
}

variable "glue_job_enabled" {
  description = "Compaction Glue job (glue/jobs/compact_silver.py)."
  type        = bool
  nullable    = false
  default     = false
}

variable "ge_enabled" {
  description = "Great Expectations validation Glue job (glue/jobs/ge_validate_silver.py)."
  type        = bool
  nullable    = false
  default     = false
}

variable "ge_workflow_enabled" {
  description = "GE gate state machine around the validation job."
  type        = bool
  nullable    = false
  default     = false
}

variable "ge_eventbridge_enabled" {
  description = "Start the GE gate on every \"silver partition ready\" event."
  type        = bool
  nullable    = false
  default     = false
}

variable "ge_emit_events_from_transform" {
  description = "The transform emits a \"silver partition ready\" event per partition written (EMIT_PARTITION_EVENTS) and may call events:PutEvents."
  type        = bool
  nullable    = false
  default     = false
}

variable "partition_event_debounce_seconds" {
  description = "At most one \"silver partition ready\" event per partition per this many seconds; the GE gate waits as long before it validates, so writes in the window are covered (0 = an event per unit, no wait)."
  type        = number
  nullable    = false
  default     = 300
}

variable "catalog_registration_enabled" {
  description = "The transform registers new silver partitions (and the dataset tables) in the Glue catalog itself: cheaper and immediate compared with a crawler run. Needs glue_enabled (the database)."
  type        = bool
  nullable    = false
  default     = false
}

variable "ge_notification_email_addresses" {
  description = "Email addresses subscribed to the GE gate's failure notifications (each confirms its subscription once)."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "ge_quarantine_enabled" {
  description = "The GE gate writes a quarantine marker for partitions that fail validation."
  type        = bool
  nullable    = false
  default     = false
}

variable "observability_enabled" {
  description = "CloudWatch dashboard, alarms and the alarm topic."
  type        = bool
  nullable    = false
  default     = true
}

variable "athena_enabled" {
  description = "Athena workgroup and the saved queries."
  type        = bool
  nullable    = false
  default     = true
}

variable "redshift_enabled" {
  description = "Redshift Serverless namespace and workgroup with an external schema over the silver tables (needs glue_enabled)."
  type        = bool
  nullable    = false
  default     = false
}

variable "redshift_base_capacity" {
  description = "Base capacity of the Redshift Serverless workgroup in RPUs (8 to 1024, in steps of 8)."
  type        = number
  nullable    = false
  default     = 8
}

variable "redshift_schema_name" {
  description = "Name of the Redshift external schema over the silver tables."
  type        = string
  nullable    = false
  default     = "silver"
}

variable "redshift_subnet_ids" {
  description = "Subnets of the Redshift workgroup's endpoint; empty = the default VPC's."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "redshift_security_group_ids" {
  description = "Security groups of the Redshift workgroup's endpoint; empty = the VPC's default group."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "stream_ingest_enabled" {
  description = "Streaming producer into bronze: a Kinesis Data Stream (on-demand) and a Firehose delivery stream writing gzip JSON Lines under bronze/<record_type>/stream/ (docs/producers.md)."
  type        = bool
  nullable    = false
  default     = false
}

variable "stream_buffering_size_mb" {
  description = "Firehose writes an object per dataset when this many MiB are buffered (AWS: 64-128 with dynamic partitioning)."
  type        = number
  nullable    = false
  default     = 64
}

variable "stream_buffering_interval_seconds" {
  description = "... or when this many seconds passed since the dataset's first buffered record (0-900)."
  type        = number
  nullable    = false
  default     = 300
}

# --- alarms --------------------------------------------------------------------------------------

variable "alarm_email_addresses" {
  description = "Emails subscribed to the alarm topic."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "alarm_oldest_message_age_seconds" {
  description = "Alarm when the oldest events message is older than this many seconds."
  type        = number
  nullable    = false
  default     = 900
}

variable "alarm_no_silver_writes_hours" {
  description = "Alarm when nothing reached silver for this many hours (0 = no such alarm)."
  type        = number
  nullable    = false
  default     = 24
}
