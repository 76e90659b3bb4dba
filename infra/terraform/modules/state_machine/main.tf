# A STANDARD state machine with ALL-level execution logs in its own log group (retention set) and
# a role that may do what its tasks need (task_statements) plus deliver those logs.

data "aws_caller_identity" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted by CloudWatch Logs by default; a customer managed key is optional (kms_key_arn) to keep cost down.
  #checkov:skip=CKV_AWS_338:Retention is set per environment (days to months) to control cost; a year is not required for workflow execution logs.
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

module "role" {
  source = "../iam"

  role_name                = var.role_name
  description              = "Step Functions ${var.name}"
  trusted_services         = ["states.amazonaws.com"]
  source_account_id        = data.aws_caller_identity.current.account_id
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags

  policy_statements = concat(
    var.task_statements,
    [{
      # Log delivery APIs support no resource-level permissions (AWS requirement for SFN logging).
      sid = "DeliverExecutionLogs"
      actions = [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
      ]
      resources  = ["*"]
      conditions = []
    }],
  )
  kms_key_arn = var.kms_key_arn
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_284:X-Ray tracing is optional; execution history and ALL-level execution logs cover troubleshooting.
  name       = var.name
  role_arn   = module.role.arn
  type       = "STANDARD"
  definition = var.definition
  tags       = var.tags

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }
}
