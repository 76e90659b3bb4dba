output "state_machine_arn" {
  description = "ARN of the GE gate state machine."
  value       = module.state_machine.arn
}

output "state_machine_name" {
  description = "Name of the GE gate state machine."
  value       = module.state_machine.name
}

output "notification_topic_arn" {
  description = "SNS topic notified of failed validations."
  value       = aws_sns_topic.notifications.arn
}

output "event_rule_name" {
  description = "EventBridge rule starting the gate (null when off)."
  value       = one(module.trigger[*].rule_name)
}

output "event_bus_arn" {
  description = "ARN of the bus the gate listens on."
  value       = local.bus_arn
}

output "role_policies" {
  description = "Inline policies of the module's roles, by role."
  value = merge(
    { sfn = module.state_machine.role_policy_json },
    { for t in module.trigger : "trigger" => t.role_policy_json },
  )
}
