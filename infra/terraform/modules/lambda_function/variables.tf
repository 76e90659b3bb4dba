variable "function_name" {
  description = "Function name."
  type        = string
}

variable "description" {
  description = "What the function does."
  type        = string
  default     = ""
}

variable "role_arn" {
  description = "Execution role ARN (one role per function, see modules/iam)."
  type        = string
}

variable "filename" {
  description = "Path of the deployment zip built by `make build`."
  type        = string
}

variable "artifact_bucket" {
  description = "Bucket the zip is uploaded to before deployment (needed above the 50 MB direct-upload limit); null uploads the zip directly."
  type        = string
  default     = null
}

variable "handler" {
  description = "Handler inside the zip."
  type        = string
  default     = "app.handler"
}

variable "runtime" {
  description = "Lambda runtime, read from lambdas/runtime.json by the caller so the build and the function agree."
  type        = string
}

variable "architecture" {
  description = "Instruction set architecture (x86_64 or arm64)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
}

variable "environment_variables" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

variable "layers" {
  description = "Layer version ARNs (optional)."
  type        = list(string)
  default     = []
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency. null = unreserved (uses the account pool)."
  type        = number
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the function's log group."
  type        = number
}

variable "log_kms_key_arn" {
  description = "Customer managed KMS key for the log group. null = CloudWatch Logs default encryption."
  type        = string
  default     = null
}

variable "dead_letter_target_arn" {
  description = "SQS queue or SNS topic receiving events of failed asynchronous invocations. Leave null for functions invoked synchronously (e.g. by an SQS event source mapping, whose queue has its own redrive)."
  type        = string
  default     = null
}

variable "async_invoke_config" {
  description = "Retry settings for asynchronous invocations (e.g. S3 notifications). null = Lambda defaults."
  type = object({
    maximum_retry_attempts       = number
    maximum_event_age_in_seconds = number
  })
  default = null
}

variable "tracing_mode" {
  description = "X-Ray tracing mode (Active or PassThrough). null = not configured."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the function and its log group."
  type        = map(string)
  default     = {}
}
