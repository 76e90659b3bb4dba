variable "name" {
  description = "Queue name; the dead-letter queue is named \"<name>-dlq\"."
  type        = string
}

variable "consumer_timeout_seconds" {
  description = "Timeout of the Lambda that consumes the queue. The visibility timeout is derived from it (6x, as AWS recommends for event source mappings) unless visibility_timeout_seconds is set."
  type        = number
  default     = null
}

variable "consumer_batching_window_seconds" {
  description = "Batching window of the consuming event source mapping; added to the derived visibility timeout."
  type        = number
  default     = 0
}

variable "visibility_timeout_seconds" {
  description = "Explicit visibility timeout. null = 6 x consumer_timeout_seconds + consumer_batching_window_seconds (or 30 without a consumer)."
  type        = number
  default     = null
}

variable "message_retention_seconds" {
  description = "Retention of messages in the main queue."
  type        = number
  default     = 345600
}

variable "receive_wait_time_seconds" {
  description = "Long-polling wait time for receives."
  type        = number
  default     = 20
}

variable "create_dlq" {
  description = "Create a dead-letter queue and a redrive policy on the main queue."
  type        = bool
  default     = true
}

variable "max_receive_count" {
  description = "Receives before a message moves to the dead-letter queue. At least 5 so that throttled or partially failed batches are retried before giving up."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 5
    error_message = "max_receive_count must be at least 5."
  }
}

variable "dlq_message_retention_seconds" {
  description = "Retention of messages in the dead-letter queue (maximum 14 days)."
  type        = number
  default     = 1209600
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for queue encryption. null = SQS-managed SSE."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for both queues."
  type        = map(string)
  default     = {}
}
