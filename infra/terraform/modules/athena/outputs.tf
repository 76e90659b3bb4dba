output "workgroup_name" {
  description = "Workgroup name."
  value       = aws_athena_workgroup.this.name
}

output "named_query_ids" {
  description = "Ids of the saved queries by name."
  value       = { for name, q in aws_athena_named_query.this : name => q.id }
}
