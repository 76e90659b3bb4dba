output "function_name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "Function ARN."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN for API Gateway / Step Functions integrations."
  value       = aws_lambda_function.this.invoke_arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = module.role.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = module.role.name
}

output "role_policy_json" {
  description = "Inline policy of the function's execution role."
  value       = module.role.policy_json
}

output "ephemeral_storage_mb" {
  description = "Size of the function's /tmp in MB."
  value       = aws_lambda_function.this.ephemeral_storage[0].size
}

output "environment_variables" {
  description = "The function's environment (resource names and settings, no secrets)."
  value       = var.environment_variables
}
