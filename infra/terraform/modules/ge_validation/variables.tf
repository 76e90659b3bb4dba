variable "job_name" {
  description = "Glue job name."
  type        = string
}

variable "script_path" {
  description = "Local path of the validation entry point (glue/jobs/ge_validate_silver.py)."
  type        = string
}

variable "extra_py_files" {
  description = "Local paths of importable job logic (zips or .py) passed as --extra-py-files."
  type        = list(string)
  default     = []
}

variable "silver_bucket_name" {
  description = "Silver bucket: data is read under silver_prefix, results written under results_prefix; also holds the job's script and temp dir."
  type        = string
}

variable "silver_bucket_arn" {
  description = "ARN of the silver bucket."
  type        = string
}

variable "silver_prefix" {
  description = "Key prefix of the silver datasets (no trailing slash)."
  type        = string
  default     = "silver"
}

variable "results_prefix" {
  description = "Key prefix for validation results (no trailing slash)."
  type        = string
  default     = "ge-results"
}

variable "glue_database_name" {
  description = "Glue database of the silver tables (read for schemas)."
  type        = string
}

variable "great_expectations_requirement" {
  description = "pip requirements installed on the workers (--additional-python-modules): GX Core and the pydantic the dataset contracts use."
  type        = string
  default     = "great_expectations==1.24.1,pydantic==2.13.4"
}

variable "number_of_workers" {
  description = "Number of G.1X workers."
  type        = number
  default     = 2
}

variable "timeout_minutes" {
  description = "Run timeout in minutes."
  type        = number
  default     = 30
}

variable "max_concurrent_runs" {
  description = "Partitions validated concurrently."
  type        = number
  default     = 5
}

variable "security_configuration_name" {
  description = "Glue security configuration."
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

variable "kms_key_arn" {
  description = "Customer managed KMS key used by the buckets, if any."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the job and its role."
  type        = map(string)
  default     = {}
}
