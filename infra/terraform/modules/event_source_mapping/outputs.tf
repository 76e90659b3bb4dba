output "uuid" {
  description = "Identifier of the mapping."
  value       = aws_lambda_event_source_mapping.this.uuid
}

output "function_arn" {
  description = "ARN of the function the mapping invokes."
  value       = aws_lambda_event_source_mapping.this.function_arn
}

output "batch_size" {
  description = "Messages per invocation."
  value       = aws_lambda_event_source_mapping.this.batch_size
}

output "maximum_batching_window_in_seconds" {
  description = "Seconds the mapping gathers messages before invoking."
  value       = aws_lambda_event_source_mapping.this.maximum_batching_window_in_seconds
}
