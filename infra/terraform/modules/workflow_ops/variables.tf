variable "name" {
  description = "Name of the state machine; prefix of the task functions (<name>-replay, <name>-progress)."
  type        = string
}

variable "role_name_prefix" {
  description = "Prefix of the IAM role names (account-required prefix included)."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for every role."
  type        = string
  default     = null
}

variable "definition_template_path" {
  description = "ASL template of the workflow (templatefile). null = definition.asl.json.tftpl in this module."
  type        = string
  default     = null
}

variable "definition_vars" {
  description = "Extra template variables for the ASL, on top of the function ARNs, buckets and prefixes."
  type        = map(string)
  default     = {}
}

variable "runtime" {
  description = "Lambda runtime of the task functions (from lambdas/runtime.json)."
  type        = string
}

variable "architecture" {
  description = "Lambda architecture of the task functions (from lambdas/runtime.json)."
  type        = string
}

variable "replay_zip_path" {
  description = "Artifact of the replay/backfill task (build/workflows_replay.zip)."
  type        = string
}

variable "progress_zip_path" {
  description = "Artifact of the silver progress poller (build/workflows_progress.zip)."
  type        = string
}

variable "artifact_bucket" {
  description = "Bucket the task functions' zips are uploaded to before deployment, as every function's (null: direct upload)."
  type        = string
  default     = null
}

variable "function_memory_mb" {
  description = "Memory of the task functions."
  type        = number
  default     = 256
}

variable "function_timeout_seconds" {
  description = "Timeout of the task functions."
  type        = number
  default     = 300
}

variable "log_level" {
  description = "LOG_LEVEL of the task functions."
  type        = string
  default     = "INFO"
}

variable "metrics_namespace" {
  description = "POWERTOOLS_METRICS_NAMESPACE of the task functions."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the functions' and the state machine's logs."
  type        = number
}

variable "bronze_bucket_name" {
  description = "Bronze bucket."
  type        = string
}

variable "bronze_bucket_arn" {
  description = "ARN of the bronze bucket."
  type        = string
}

variable "bronze_prefix" {
  description = "Key prefix of bronze objects (with trailing slash)."
  type        = string
  default     = "bronze/"
}

variable "replay_prefix" {
  description = "Key prefix the replay task copies objects under; inside bronze_prefix so that copies flow through ingest again."
  type        = string
  default     = "bronze/replay/"
}

variable "silver_bucket_name" {
  description = "Silver bucket."
  type        = string
}

variable "silver_bucket_arn" {
  description = "ARN of the silver bucket."
  type        = string
}

variable "silver_prefix" {
  description = "Key prefix of silver datasets (no trailing slash)."
  type        = string
  default     = "silver"
}

variable "quarantine_prefix" {
  description = "Key prefix of quarantined records (no trailing slash)."
  type        = string
  default     = "quarantine"
}

variable "queue_url" {
  description = "Events (work unit) queue URL: the replay task sends recomputing work units to it, the progress poller reports its depth."
  type        = string
}

variable "work_unit_bytes" {
  description = "Ingest's WORK_UNIT_BYTES: the replay task plans units with it, so they cover the byte ranges silver holds."
  type        = number
  default     = 134217728

  validation {
    condition     = var.work_unit_bytes >= 1024
    error_message = "work_unit_bytes must be at least 1024, as ingest requires."
  }
}

variable "queue_arn" {
  description = "Events queue ARN."
  type        = string
}

variable "dlq_url" {
  description = "Events DLQ URL (null with an external queue)."
  type        = string
  default     = null
}

variable "dlq_arn" {
  description = "Events DLQ ARN (null with an external queue)."
  type        = string
  default     = null
}

variable "schedule_enabled" {
  description = "Start the workflow on a schedule (e.g. a nightly backfill check)."
  type        = bool
  default     = false
}

variable "schedule_expression" {
  description = "EventBridge schedule expression."
  type        = string
  default     = "rate(1 day)"
}

variable "schedule_input" {
  description = "JSON input of scheduled executions."
  type        = string
  default     = "{}"
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the buckets and queues, if any."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
