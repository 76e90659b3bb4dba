variable "name" {
  description = "Name of the state machine; prefix of its topic and rule."
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
  description = "ASL template of the gate (templatefile). null = definition.asl.json.tftpl in this module."
  type        = string
  default     = null
}

variable "definition_vars" {
  description = "Extra template variables for the ASL, on top of the job, bucket, prefixes and topic."
  type        = map(string)
  default     = {}
}

variable "retry_interval_seconds" {
  description = "First wait before retrying a transient Glue error (doubles per attempt, full jitter)."
  type        = number
  default     = 30
}

variable "ge_job_name" {
  description = "Glue job running the Great Expectations validation (modules/ge_validation)."
  type        = string
}

variable "silver_bucket_name" {
  description = "Silver bucket."
  type        = string
}

variable "silver_bucket_arn" {
  description = "ARN of the silver bucket."
  type        = string
}

variable "results_prefix" {
  description = "Key prefix of validation results written by the job (no trailing slash)."
  type        = string
  default     = "ge-results"
}

variable "quarantine_enabled" {
  description = "On a failed validation, write a quarantine marker for the partition (in addition to notifying)."
  type        = bool
  default     = false
}

variable "quarantine_marker_prefix" {
  description = "Key prefix of the partition quarantine markers (no trailing slash)."
  type        = string
  default     = "quarantine/_ge_gate"
}

variable "eventbridge_enabled" {
  description = "Start the gate on every \"silver partition ready\" event."
  type        = bool
  default     = false
}

variable "event_bus_name" {
  description = "Event bus carrying the partition events."
  type        = string
  default     = "default"
}

variable "partition_event_source" {
  description = "source of the partition events emitted by the transform."
  type        = string
}

variable "partition_event_detail_type" {
  description = "detail-type of the partition events emitted by the transform."
  type        = string
}

variable "notification_email_addresses" {
  description = "Email addresses notified of failed validations."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of the state machine's logs."
  type        = number
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the bucket and topic, if any."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
