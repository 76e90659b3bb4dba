variable "name" {
  description = "Name of the Redshift Serverless namespace and of its workgroup."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{3,64}$", var.name))
    error_message = "Namespace and workgroup names are 3-64 lowercase letters, digits and hyphens."
  }
}

variable "database_name" {
  description = "Database created in the namespace (where the external schema lives)."
  type        = string
  default     = "dev"
}

variable "admin_username" {
  description = "Admin user of the namespace; its password is generated and kept in Secrets Manager by AWS."
  type        = string
  default     = "admin"
}

variable "base_capacity" {
  description = "Base capacity of the workgroup in Redshift Processing Units (8 to 1024, in steps of 8)."
  type        = number
  default     = 8

  validation {
    condition     = var.base_capacity >= 8 && var.base_capacity <= 1024 && var.base_capacity % 8 == 0
    error_message = "base_capacity is 8 to 1024 RPUs, in steps of 8."
  }
}

variable "log_exports" {
  description = "Logs the namespace exports to CloudWatch (userlog, connectionlog, useractivitylog)."
  type        = list(string)
  default     = ["userlog", "connectionlog", "useractivitylog"]
}

variable "subnet_ids" {
  description = "Subnets of the workgroup's endpoint; empty = the account's default VPC subnets."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the workgroup's endpoint; empty = the VPC's default group."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "Customer managed KMS key: encrypts the namespace and the admin secret, and the Spectrum role may decrypt silver with it. null = AWS owned keys."
  type        = string
  default     = null
}

variable "glue_database_name" {
  description = "Glue database of the silver tables that the external schema maps."
  type        = string
  nullable    = false
}

variable "silver_bucket_arn" {
  description = "ARN of the silver bucket."
  type        = string
}

variable "silver_prefix" {
  description = "Key prefix of silver in the bucket, without a trailing slash."
  type        = string
  default     = "silver"
}

variable "external_schema_name" {
  description = "Name of the external schema over the Glue database."
  type        = string
  default     = "silver"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,126}$", var.external_schema_name))
    error_message = "The external schema name is a lowercase identifier (letters, digits, underscores)."
  }
}

variable "role_name" {
  description = "Name of the role the namespace uses for Spectrum, including any prefix the account requires."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the Spectrum role, for accounts that require one."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the namespace, workgroup and role."
  type        = map(string)
  default     = {}
}
