output "job_name" {
  description = "Glue job name."
  value       = aws_glue_job.this.name
}

output "job_arn" {
  description = "Glue job ARN."
  value       = aws_glue_job.this.arn
}

output "role_arn" {
  description = "ARN of the job's role."
  value       = module.role.arn
}

output "script_s3_uri" {
  description = "Where the script was uploaded."
  value       = "s3://${var.assets_bucket_name}/${aws_s3_object.script.key}"
}

output "role_policy_json" {
  description = "Inline policy of the job's role."
  value       = module.role.policy_json
}
