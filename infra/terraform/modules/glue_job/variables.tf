variable "job_name" {
  description = "Glue job name."
  type        = string
}

variable "description" {
  description = "What the job does."
  type        = string
  default     = ""
}

variable "script_path" {
  description = "Local path of the job's entry-point script in the repository (glue/jobs/<name>.py); uploaded to S3."
  type        = string
}

variable "extra_py_files" {
  description = "Local paths of extra Python files or zips (importable job logic) uploaded next to the script and passed as --extra-py-files."
  type        = list(string)
  default     = []
}

variable "assets_bucket_name" {
  description = "Bucket for the script and the job's temporary directory."
  type        = string
}

variable "assets_bucket_arn" {
  description = "ARN of assets_bucket_name."
  type        = string
}

variable "scripts_prefix" {
  description = "Key prefix for uploaded scripts (a folder per job is added)."
  type        = string
  default     = "glue-scripts/"
}

variable "temp_prefix" {
  description = "Key prefix for the job's --TempDir (a folder per job is added)."
  type        = string
  default     = "glue-temp/"
}

variable "glue_version" {
  description = "Glue version (5.0 = Spark 3.5, Python 3.11)."
  type        = string
  default     = "5.0"
}

variable "worker_type" {
  description = "Worker type."
  type        = string
  default     = "G.1X"
}

variable "number_of_workers" {
  description = "Number of workers (minimum 2 for Spark jobs)."
  type        = number
  default     = 2

  validation {
    condition     = var.number_of_workers >= 2
    error_message = "Glue Spark jobs need at least 2 workers."
  }
}

variable "timeout_minutes" {
  description = "Job run timeout in minutes."
  type        = number
  default     = 60
}

variable "max_retries" {
  description = "Retries of a failed run."
  type        = number
  default     = 0
}

variable "max_concurrent_runs" {
  description = "Concurrent runs allowed (e.g. one per partition validated)."
  type        = number
  default     = 1
}

variable "job_arguments" {
  description = "Job-specific default arguments (\"--name\" = value), merged over the common ones."
  type        = map(string)
  default     = {}
}

variable "security_configuration_name" {
  description = "Glue security configuration (encryption of S3 output, logs and bookmarks)."
  type        = string
}

variable "role_name" {
  description = "Name of the job's IAM role."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for the job role."
  type        = string
  default     = null
}

variable "policy_statements" {
  description = "Data-access statements of the job role (in addition to its script, temp dir, logs and metrics access)."
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
  default = []
}

variable "kms_key_arn" {
  description = "Customer managed KMS key used by the buckets, if any (the role may use it)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the job, its role and its uploaded objects."
  type        = map(string)
  default     = {}
}
