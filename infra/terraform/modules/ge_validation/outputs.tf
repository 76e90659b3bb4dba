output "job_name" {
  description = "Glue job name."
  value       = module.job.job_name
}

output "job_arn" {
  description = "Glue job ARN."
  value       = module.job.job_arn
}

output "role_arn" {
  description = "ARN of the job's role."
  value       = module.job.role_arn
}

output "role_policy_json" {
  description = "Inline policy of the job's role."
  value       = module.job.role_policy_json
}
