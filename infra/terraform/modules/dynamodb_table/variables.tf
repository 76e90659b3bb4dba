variable "name" {
  description = "Table name."
  type        = string
}

variable "hash_key" {
  description = "Partition key attribute name."
  type        = string
  default     = "pk"
}

variable "hash_key_type" {
  description = "Partition key attribute type (S, N or B)."
  type        = string
  default     = "S"

  validation {
    condition     = contains(["S", "N", "B"], var.hash_key_type)
    error_message = "hash_key_type must be S, N or B."
  }
}

variable "ttl_attribute" {
  description = "Attribute holding the expiry time (epoch seconds); DynamoDB deletes items after it."
  type        = string
  default     = "expires_at"
}

variable "point_in_time_recovery_enabled" {
  description = "Enable point-in-time recovery (continuous backups)."
  type        = bool
  default     = true
}

variable "deletion_protection_enabled" {
  description = "Refuse to delete the table (enable for prod)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer managed KMS key. null = the AWS managed key for DynamoDB."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
}
