variable "name" {
  description = "Name of the state machine (and of its log group /aws/vendedlogs/states/<name>)."
  type        = string
}

variable "role_name" {
  description = "Name of the state machine's IAM role (account-required prefix included)."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for the role."
  type        = string
  default     = null
}

variable "definition" {
  description = "The ASL definition (JSON)."
  type        = string
}

variable "task_statements" {
  description = "What the states' tasks may do, least privilege on this stack's ARNs (log delivery and the KMS key are added)."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
}

variable "log_retention_days" {
  description = "Retention of the execution log group."
  type        = number
}

variable "kms_key_arn" {
  description = "Customer managed key for the log group and the tasks' data (null = AWS-managed encryption)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
