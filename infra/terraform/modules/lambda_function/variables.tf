variable "function_name" {
  description = "Function name."
  type        = string
}

variable "description" {
  description = "What the function does."
  type        = string
  default     = ""
}

variable "role_name" {
  description = "Name of the function's execution role (account-required prefix included)."
  type        = string
}

variable "role_description" {
  description = "Description of the execution role. null = \"Lambda <function_name>\"."
  type        = string
  default     = null
}

variable "role_permissions_boundary_arn" {
  description = "Permissions boundary of the execution role, for accounts that require one."
  type        = string
  default     = null
}

variable "policy_statements" {
  description = "What the function's code may do, least privilege on this stack's ARNs. Writing its own logs, the KMS key (kms_key_arn) and the dead-letter target (attach_dead_letter_policy) are added by the module."
  type = list(object({
    sid       = string
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  nullable = false
  default  = []
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the data the function reads and writes (buckets, queues, table): the role may use it (kms:Decrypt, kms:GenerateDataKey). null = none."
  type        = string
  default     = null
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

variable "ephemeral_storage_mb" {
  description = "Size of the function's /tmp in MB (512, Lambda's default and free tier, up to 10240)."
  type        = number
  nullable    = false
  default     = 512

  validation {
    condition     = var.ephemeral_storage_mb >= 512 && var.ephemeral_storage_mb <= 10240 && floor(var.ephemeral_storage_mb) == var.ephemeral_storage_mb
    error_message = "Lambda ephemeral storage is a whole number of MB from 512 to 10240."
  }
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
  description = "SQS queue receiving events of failed asynchronous invocations (with attach_dead_letter_policy, the role may send to it). Leave null for functions invoked synchronously (e.g. by an SQS event source mapping, whose queue has its own redrive)."
  type        = string
  default     = null

  validation {
    # The role's dead-letter statement is sqs:SendMessage; an SNS topic would need sns:Publish.
    condition     = var.dead_letter_target_arn == null || can(regex("^arn:[^:]+:sqs:", var.dead_letter_target_arn))
    error_message = "dead_letter_target_arn must be an SQS queue ARN."
  }
}

variable "attach_dead_letter_policy" {
  description = "Allow the role to send to dead_letter_target_arn (sqs:SendMessage). A flag rather than derived from the ARN, which is often unknown until apply and would leave the policy's statement count unknown."
  type        = bool
  nullable    = false
  default     = false

  validation {
    condition     = !var.attach_dead_letter_policy || var.dead_letter_target_arn != null
    error_message = "attach_dead_letter_policy needs dead_letter_target_arn."
  }
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
  description = "Tags for the function, its log group and its role."
  type        = map(string)
  default     = {}
}
