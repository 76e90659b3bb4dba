output "arn" {
  description = "Role ARN. Available only once the policies are attached, so that consumers (Lambda, Step Functions, Glue) never start with a role that lacks its permissions."
  value       = aws_iam_role.this.arn

  depends_on = [
    aws_iam_role_policy.this,
    aws_iam_role_policy_attachment.managed,
  ]
}

output "name" {
  description = "Role name."
  value       = aws_iam_role.this.name
}

output "policy_json" {
  description = "The inline policy document (JSON)."
  value       = local.policy_json
}
