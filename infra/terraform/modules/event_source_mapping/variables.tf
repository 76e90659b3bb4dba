variable "function_name" {
  description = "Name or ARN of the consuming function."
  type        = string
}

variable "event_source_arn" {
  description = "ARN of the SQS queue to consume."
  type        = string
}

variable "batch_size" {
  description = "Maximum messages per invocation."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "How long to gather messages before invoking (at least 1 for batch sizes above 10)."
  type        = number
  default     = 5

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be between 0 and 300."
  }

  # Lambda rejects a standard SQS queue's mapping with more than 10 messages per batch and no window.
  validation {
    condition     = var.batch_size <= 10 || var.maximum_batching_window_in_seconds >= 1
    error_message = "maximum_batching_window_in_seconds must be at least 1 when batch_size is above 10."
  }
}

variable "maximum_concurrency" {
  description = "Upper bound of concurrent invocations this mapping drives (protects downstream systems and the account pool)."
  type        = number
  default     = 10

  validation {
    condition     = var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000
    error_message = "maximum_concurrency must be between 2 and 1000."
  }
}

variable "enabled" {
  description = "Whether the mapping polls the queue (false pauses consumption, e.g. during a redrive)."
  type        = bool
  default     = true
}
