output "database_name" {
  description = "Glue database name."
  value       = aws_glue_catalog_database.this.name
}

output "crawler_name" {
  description = "Crawler name."
  value       = aws_glue_crawler.this.name
}

output "crawler_arn" {
  description = "Crawler ARN."
  value       = aws_glue_crawler.this.arn
}

output "role_arn" {
  description = "ARN of the crawler's role."
  value       = module.role.arn
}

output "role_policy_json" {
  description = "Inline policy of the crawler's role."
  value       = module.role.policy_json
}
