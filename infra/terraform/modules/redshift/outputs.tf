output "namespace_name" {
  description = "Redshift Serverless namespace name."
  value       = aws_redshiftserverless_namespace.this.namespace_name
}

output "workgroup_name" {
  description = "Redshift Serverless workgroup name (the Data API's WorkgroupName)."
  value       = aws_redshiftserverless_workgroup.this.workgroup_name
}

output "workgroup_endpoint" {
  description = "Address and port of the workgroup's endpoint (reachable inside its VPC)."
  value = {
    address = one(aws_redshiftserverless_workgroup.this.endpoint[*].address)
    port    = one(aws_redshiftserverless_workgroup.this.endpoint[*].port)
  }
}

output "database_name" {
  description = "Database of the namespace, where the external schema lives."
  value       = aws_redshiftserverless_namespace.this.db_name
}

output "external_schema_name" {
  description = "External schema over the silver tables; available once the schema was created."
  value       = var.external_schema_name

  depends_on = [aws_redshiftdata_statement.external_schema]
}

output "spectrum_role_arn" {
  description = "ARN of the role the namespace reads silver with (also usable in COPY ... IAM_ROLE)."
  value       = module.spectrum_role.arn
}

output "spectrum_role_policy_json" {
  description = "Inline policy of the Spectrum role (for review and tests)."
  value       = module.spectrum_role.policy_json
}
