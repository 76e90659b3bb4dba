variable "name" {
  description = "Name of the Kinesis stream, the Firehose delivery stream and its log group (e.g. elt-dev-stream)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,64}$", var.name))
    error_message = "Kinesis and Firehose names are 1-64 characters of letters, digits, '_', '.' and '-'."
  }
}

variable "bronze_bucket_arn" {
  description = "ARN of the bronze bucket Firehose delivers to."
  type        = string
}

variable "bronze_prefix" {
  description = "Prefix the ingest notification watches (with its trailing slash, e.g. bronze/): records land under <bronze_prefix><record_type>/stream/."
  type        = string
  default     = "bronze/"

  validation {
    condition     = endswith(var.bronze_prefix, "/")
    error_message = "bronze_prefix ends with '/'."
  }
}

variable "error_prefix" {
  description = "Prefix of records Firehose could not route or deliver (with its trailing slash). Must lie outside bronze_prefix, so failed records never reach ingest."
  type        = string
  default     = "bronze-errors/"

  validation {
    condition     = endswith(var.error_prefix, "/") && !startswith(var.error_prefix, "bronze/")
    error_message = "error_prefix ends with '/' and lies outside bronze/ (the prefix ingest watches)."
  }
}

variable "partition_key_field" {
  description = "Top-level field of every record that names its dataset; dynamic partitioning routes each record to <bronze_prefix><value>/stream/."
  type        = string
  default     = "record_type"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*$", var.partition_key_field))
    error_message = "partition_key_field is a plain JSON field name (letters, digits, '_')."
  }
}

variable "buffering_size_mb" {
  description = "Firehose writes an object per partition when this many MiB are buffered (64-128 with dynamic partitioning)."
  type        = number
  default     = 64

  validation {
    condition     = var.buffering_size_mb >= 64 && var.buffering_size_mb <= 128
    error_message = "buffering_size_mb is 64-128: AWS requires at least 64 MiB with dynamic partitioning."
  }
}

variable "buffering_interval_seconds" {
  description = "... or when this many seconds passed since the partition's first buffered record (0-900)."
  type        = number
  default     = 300

  validation {
    condition     = var.buffering_interval_seconds >= 0 && var.buffering_interval_seconds <= 900
    error_message = "buffering_interval_seconds is 0-900."
  }
}

variable "file_extension" {
  description = "Suffix of the objects Firehose writes; .jsonl.gz makes ingest read them as gzip JSON Lines."
  type        = string
  default     = ".jsonl.gz"
}

variable "stream_retention_hours" {
  description = "How long the Kinesis stream keeps records (24-8760): how long Firehose may be behind before records expire unread."
  type        = number
  default     = 24

  validation {
    condition     = var.stream_retention_hours >= 24 && var.stream_retention_hours <= 8760
    error_message = "stream_retention_hours is 24-8760."
  }
}

variable "log_retention_days" {
  description = "Retention of the delivery stream's CloudWatch log group (delivery errors)."
  type        = number
  default     = 14
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the stream, the delivered objects and the logs; null = the AWS managed Kinesis key and the bucket's default encryption."
  type        = string
  default     = null
}

variable "role_name" {
  description = "Name of the role Firehose reads the stream and writes bronze with."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the Firehose role, for accounts that require one."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
