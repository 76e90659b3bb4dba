output "stream_name" {
  description = "Kinesis Data Stream producers PutRecords to."
  value       = aws_kinesis_stream.this.name
}

output "stream_arn" {
  description = "ARN of the Kinesis Data Stream."
  value       = aws_kinesis_stream.this.arn
}

output "delivery_stream_name" {
  description = "Firehose delivery stream that writes the stream's records to bronze."
  value       = aws_kinesis_firehose_delivery_stream.this.name
}

output "delivery_stream_arn" {
  description = "ARN of the Firehose delivery stream."
  value       = aws_kinesis_firehose_delivery_stream.this.arn
}

output "prefix" {
  description = "Firehose's S3 prefix expression (dynamic partitioning on the record type)."
  value       = local.prefix
}

output "error_output_prefix" {
  description = "Firehose's S3 prefix expression for records it could not route or deliver (outside bronze/)."
  value       = local.error_prefix
}

output "role_policy_json" {
  description = "The Firehose role's inline policy (for the least-privilege tests)."
  value       = module.firehose_role.policy_json
}
