# Interface of an environment. The same in envs/local, dev and prod (tests/infra check that);
# the values live in each env's terraform.tfvars. A variable left null takes the pipeline
# module's default.

variable "aws_region" {
  description = "Region of the stack."
  type        = string
}

variable "environment" {
  description = "Environment name (local, dev, prod); part of every resource name."
  type        = string
}

variable "project" {
  description = "Short project name, first part of every resource name."
  type        = string
  default     = null
}

variable "name_suffix" {
  description = "Optional suffix for several stacks of one environment in one account (e.g. initials)."
  type        = string
  default     = null
}

variable "artifacts_dir" {
  description = "Directory of the Lambda zips (null = <repo>/build)."
  type        = string
  default     = null
}

variable "runtime_config_path" {
  description = "Runtime settings shared with the build (null = <repo>/lambdas/runtime.json)."
  type        = string
  default     = null
}

variable "iam_name_prefix" {
  description = "Prefix of every IAM role name, for accounts that restrict role names."
  type        = string
  default     = null
}

variable "iam_permissions_boundary_arn" {
  description = "Permissions boundary for every role, for accounts that require one."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for all data at rest (null = AWS managed encryption)."
  type        = string
  default     = null
}

variable "existing_queue_url" {
  description = "Use this externally created events queue instead of creating one (with existing_queue_arn)."
  type        = string
  default     = null
}

variable "existing_queue_arn" {
  description = "ARN of the externally created events queue (with existing_queue_url)."
  type        = string
  default     = null
}

variable "transform_layers" {
  description = "Layer ARNs of the transform function."
  type        = list(string)
  default     = null
}

# --- storage -----------------------------------------------------------------------------------

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets (disposable environments only)."
  type        = bool
  default     = null
}

variable "bucket_versioning_enabled" {
  description = "Keep object versions in the buckets."
  type        = bool
  default     = null
}

variable "bronze_transition_ia_days" {
  description = "Days before bronze objects move to STANDARD_IA (0 = never)."
  type        = number
  default     = null
}

variable "bronze_transition_archive_days" {
  description = "Days before bronze objects move to GLACIER_IR (0 = never)."
  type        = number
  default     = null
}

variable "bronze_expiration_days" {
  description = "Days before bronze objects are deleted (null = never)."
  type        = number
  default     = null
}

variable "bronze_eventbridge_enabled" {
  description = "Also publish bronze bucket events to EventBridge."
  type        = bool
  default     = null
}

variable "idempotency_pitr_enabled" {
  description = "Point-in-time recovery of the idempotency table."
  type        = bool
  default     = null
}

variable "idempotency_deletion_protection" {
  description = "Deletion protection of the idempotency table."
  type        = bool
  default     = null
}

# --- functions and queue -------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of every log group."
  type        = number
  default     = null
}

variable "log_level" {
  description = "LOG_LEVEL of the functions."
  type        = string
  default     = null
}

variable "ingest_memory_mb" {
  description = "Memory of the ingest function."
  type        = number
  default     = null
}

variable "ingest_timeout_seconds" {
  description = "Timeout of the ingest function."
  type        = number
  default     = null
}

variable "transform_memory_mb" {
  description = "Memory of the transform function."
  type        = number
  default     = null
}

variable "transform_timeout_seconds" {
  description = "Timeout of the transform function (the queue's visibility timeout follows)."
  type        = number
  default     = null
}

variable "esm_batch_size" {
  description = "Messages per transform invocation."
  type        = number
  default     = null
}

variable "esm_batching_window_seconds" {
  description = "Batching window of the transform's event source mapping."
  type        = number
  default     = null
}

variable "esm_maximum_concurrency" {
  description = "Maximum concurrent transform invocations."
  type        = number
  default     = null
}

variable "queue_max_receive_count" {
  description = "Receives before an events message goes to the DLQ (>= 5)."
  type        = number
  default     = null
}

# --- feature toggles ---------------------------------------------------------------------------

variable "ops_enabled" {
  description = "Ops workflow (replay/backfill) and its task functions."
  type        = bool
}

variable "ops_schedule_enabled" {
  description = "Run the ops workflow on a schedule."
  type        = bool
}

variable "glue_enabled" {
  description = "Glue database and crawler over silver."
  type        = bool
}

variable "glue_job_enabled" {
  description = "Compaction Glue job."
  type        = bool
}

variable "ge_enabled" {
  description = "Great Expectations validation Glue job."
  type        = bool
}

variable "ge_workflow_enabled" {
  description = "GE gate state machine."
  type        = bool
}

variable "ge_eventbridge_enabled" {
  description = "Start the GE gate on \"silver partition ready\" events."
  type        = bool
}

variable "ge_emit_events_from_transform" {
  description = "The transform emits \"silver partition ready\" events."
  type        = bool
}

variable "partition_event_debounce_seconds" {
  description = "At most one partition-ready event per partition per this many seconds (the GE gate waits as long)."
  type        = number
}

variable "catalog_registration_enabled" {
  description = "The transform registers new silver partitions in the Glue catalog (no crawler run needed)."
  type        = bool
}

variable "ge_notification_email_addresses" {
  description = "E-mail addresses subscribed to the GE gate's failure notifications (each confirms once)."
  type        = list(string)
  default     = []
}

variable "ge_quarantine_enabled" {
  description = "The GE gate writes quarantine markers for failed partitions."
  type        = bool
}

variable "observability_enabled" {
  description = "Dashboard, alarms and alarm topic."
  type        = bool
}

variable "athena_enabled" {
  description = "Athena workgroup and saved queries."
  type        = bool
}

# --- alarms --------------------------------------------------------------------------------------

variable "alarm_email_addresses" {
  description = "Emails subscribed to the alarm topic."
  type        = list(string)
  default     = null
}

variable "alarm_oldest_message_age_seconds" {
  description = "Alarm threshold for the age of the oldest events message."
  type        = number
  default     = null
}

variable "alarm_no_silver_writes_hours" {
  description = "Alarm after this many hours without silver writes (0 = off)."
  type        = number
  default     = null
}
