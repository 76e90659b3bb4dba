# One EventBridge rule that starts a state machine — on a schedule or on matching events — with
# the role EventBridge assumes to call states:StartExecution on that state machine only.

data "aws_caller_identity" "current" {}

module "role" {
  source = "../iam"

  role_name                = var.role_name
  description              = "EventBridge rule ${var.name}"
  trusted_services         = ["events.amazonaws.com"]
  source_account_id        = data.aws_caller_identity.current.account_id
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags

  policy_statements = [{
    sid       = "StartWorkflow"
    actions   = ["states:StartExecution"]
    resources = [var.state_machine_arn]
  }]
}

resource "aws_cloudwatch_event_rule" "this" {
  name                = var.name
  description         = var.description
  event_bus_name      = var.schedule_expression == null ? var.event_bus_name : null
  schedule_expression = var.schedule_expression
  event_pattern       = var.event_pattern
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = (var.schedule_expression == null) != (var.event_pattern == null)
      error_message = "Give exactly one of schedule_expression and event_pattern."
    }
  }
}

resource "aws_cloudwatch_event_target" "this" {
  rule           = aws_cloudwatch_event_rule.this.name
  event_bus_name = aws_cloudwatch_event_rule.this.event_bus_name
  arn            = var.state_machine_arn
  role_arn       = module.role.arn
  input          = var.input

  dynamic "input_transformer" {
    for_each = var.input_transformer == null ? [] : [var.input_transformer]
    content {
      input_paths    = input_transformer.value.input_paths
      input_template = input_transformer.value.input_template
    }
  }
}
