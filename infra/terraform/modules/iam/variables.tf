variable "role_name" {
  description = "Role name, including any prefix the account requires (see iam_name_prefix in the envs)."
  type        = string

  validation {
    condition     = length(var.role_name) <= 64
    error_message = "IAM role names are limited to 64 characters."
  }
}

variable "description" {
  description = "What the role is for."
  type        = string
  default     = ""
}

variable "trusted_services" {
  description = "Service principals allowed to assume the role, e.g. lambda.amazonaws.com."
  type        = list(string)
}

variable "source_account_id" {
  description = "When set, the trust policy requires aws:SourceAccount to match (confused-deputy protection for services that send it)."
  type        = string
  default     = null
}

variable "policy_statements" {
  description = "Least-privilege statements of the role's inline policy. Actions are explicit (no wildcards); resources are this stack's ARNs."
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

  validation {
    condition     = alltrue([for s in var.policy_statements : alltrue([for a in s.actions : !strcontains(a, "*")])])
    error_message = "IAM actions must be explicit: no wildcards."
  }

  validation {
    condition     = alltrue([for s in var.policy_statements : can(regex("^[A-Za-z0-9]+$", s.sid))])
    error_message = "Statement sids must be alphanumeric."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the data the role reads or writes: a UseDataKey statement (kms_actions on this key) is added to the inline policy. null = no such statement."
  type        = string
  default     = null
}

variable "kms_actions" {
  description = "KMS actions of the UseDataKey statement (Decrypt to read, GenerateDataKey to write; Glue also needs Encrypt)."
  type        = list(string)
  nullable    = false
  default     = ["kms:Decrypt", "kms:GenerateDataKey"]

  validation {
    condition     = length(var.kms_actions) > 0 && alltrue([for a in var.kms_actions : startswith(a, "kms:") && !strcontains(a, "*")])
    error_message = "kms_actions must be explicit kms: actions (no wildcards)."
  }
}

variable "managed_policy_arns" {
  description = "Managed policies to attach in addition to the inline policy (normally none)."
  type        = list(string)
  default     = []
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary, for accounts that require one on every role."
  type        = string
  default     = null
}

variable "path" {
  description = "IAM path of the role."
  type        = string
  default     = "/"
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}
