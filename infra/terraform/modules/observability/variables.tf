variable "name" {
  description = "Name of the dashboard; prefix of the alarm and topic names."
  type        = string
}

variable "function_names" {
  description = "Lambda functions to chart and alarm on, by short label (e.g. ingest, transform)."
  type        = map(string)
}

variable "queue_name" {
  description = "Name of the events queue (alarm on the age of its oldest message)."
  type        = string
}

variable "dead_letter_queue_names" {
  description = "Dead-letter queues to alarm on (any message is an alarm), by short label."
  type        = map(string)
  default     = {}
}

variable "oldest_message_age_threshold_seconds" {
  description = "Alarm when the oldest message of the events queue is older than this."
  type        = number
  default     = 900
}

variable "lambda_errors_threshold" {
  description = "Alarm when a function has more errors than this in a 5-minute period."
  type        = number
  default     = 0
}

variable "lambda_throttles_threshold" {
  description = "Alarm when a function is throttled more than this in a 5-minute period."
  type        = number
  default     = 0
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the pipeline's embedded-metric-format metrics (POWERTOOLS_METRICS_NAMESPACE)."
  type        = string
}

variable "silver_writes_metric" {
  description = "EMF metric counting files written to silver by the transform, with its dimensions (Powertools adds service)."
  type = object({
    name       = string
    dimensions = map(string)
  })
  default = {
    name       = "FilesWritten"
    dimensions = { service = "transform" }
  }
}

variable "no_silver_writes_hours" {
  description = "Alarm when nothing was written to silver for this many hours (0 disables the alarm, e.g. for pipelines fed irregularly)."
  type        = number
  default     = 24

  validation {
    condition     = var.no_silver_writes_hours >= 0 && var.no_silver_writes_hours <= 168
    error_message = "no_silver_writes_hours must be between 0 and 168 (CloudWatch evaluates at most 7 days)."
  }
}

variable "create_sns_topic" {
  description = "Create an SNS topic for alarm notifications."
  type        = bool
  default     = true
}

variable "alarm_email_addresses" {
  description = "Email addresses subscribed to the alarm topic (each must confirm)."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the topic; its key policy must allow cloudwatch.amazonaws.com. null = unencrypted."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for alarms and topic."
  type        = map(string)
  default     = {}
}
