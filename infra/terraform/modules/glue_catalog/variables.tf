variable "database_name" {
  description = "Glue database holding the silver tables (lowercase, underscores: Athena-friendly)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.database_name))
    error_message = "database_name must be lowercase letters, digits and underscores."
  }
}

variable "crawler_name" {
  description = "Name of the crawler over silver."
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

variable "silver_prefix" {
  description = "Key prefix of the silver datasets (no trailing slash); each folder below it becomes a table."
  type        = string
  default     = "silver"
}

variable "table_prefix" {
  description = "Prefix added to every table name the crawler creates (\"\" = the dataset's folder name)."
  type        = string
  default     = ""
}

variable "recrawl_behavior" {
  description = "CRAWL_NEW_FOLDERS_ONLY (incremental: new dt= partitions only) or CRAWL_EVERYTHING (also picks up schema changes)."
  type        = string
  default     = "CRAWL_NEW_FOLDERS_ONLY"

  validation {
    condition     = contains(["CRAWL_NEW_FOLDERS_ONLY", "CRAWL_EVERYTHING"], var.recrawl_behavior)
    error_message = "recrawl_behavior must be CRAWL_NEW_FOLDERS_ONLY or CRAWL_EVERYTHING."
  }
}

variable "schedule" {
  description = "Cron schedule of the crawler, e.g. cron(15 * * * ? *). null = on demand."
  type        = string
  default     = null
}

variable "security_configuration_name" {
  description = "Glue security configuration for the crawler."
  type        = string
}

variable "role_name" {
  description = "Name of the crawler's IAM role."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for the crawler role."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed KMS key used by the buckets, if any."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the crawler and its role."
  type        = map(string)
  default     = {}
}
