variable "bucket_name" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lowercase letters, digits, dots and hyphens."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty bucket. Only for disposable environments (dev, local)."
  type        = bool
  default     = false
}

variable "versioning_enabled" {
  description = "Keep object versions (protects against overwrites and deletes). When false, versioning is suspended."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for default encryption. null = SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "lifecycle_rules" {
  description = "Lifecycle rules, each scoped to a key prefix: storage class transitions and optional expirations."
  type = list(object({
    id     = string
    prefix = string
    transitions = optional(list(object({
      days          = number
      storage_class = string
    })), [])
    expiration_days                    = optional(number)
    noncurrent_version_expiration_days = optional(number)
  }))
  default = []
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted (bucket-wide)."
  type        = number
  default     = 7
}

variable "noncurrent_version_expiration_days" {
  description = "Bucket-wide expiry of noncurrent object versions when versioning is on; rules may set a shorter one per prefix."
  type        = number
  default     = 90
}

variable "policy_documents" {
  description = "Extra bucket policy documents (JSON) merged with the TLS-only policy."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}
