variable "workgroup_name" {
  description = "Athena workgroup name."
  type        = string
}

variable "output_location" {
  description = "S3 URI for query results, e.g. s3://<bucket>/athena-results/."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for results. null = SSE-S3."
  type        = string
  default     = null
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Per-query scan limit in bytes (cost guard rail)."
  type        = number
  default     = 10737418240
}

variable "force_destroy" {
  description = "Delete the workgroup even if it has named queries or history (dev/local)."
  type        = bool
  default     = false
}

variable "database_name" {
  description = "Glue database the named queries run against."
  type        = string
}

variable "named_queries" {
  description = "Saved queries by name."
  type = map(object({
    description = string
    query       = string
  }))
  default = {}
}

variable "tags" {
  description = "Tags for the workgroup."
  type        = map(string)
  default     = {}
}
