output "queue_url" {
  description = "URL of the main queue."
  value       = aws_sqs_queue.this.id
}

output "queue_arn" {
  description = "ARN of the main queue."
  value       = aws_sqs_queue.this.arn
}

output "queue_name" {
  description = "Name of the main queue."
  value       = aws_sqs_queue.this.name
}

output "visibility_timeout_seconds" {
  description = "Effective visibility timeout of the main queue."
  value       = local.visibility_timeout_seconds
}

output "dlq_url" {
  description = "URL of the dead-letter queue (null without one)."
  value       = one(aws_sqs_queue.dlq[*].id)
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue (null without one)."
  value       = one(aws_sqs_queue.dlq[*].arn)
}

output "dlq_name" {
  description = "Name of the dead-letter queue (null without one)."
  value       = one(aws_sqs_queue.dlq[*].name)
}
