output "state_machine_arn" {
  description = "ARN of the ops state machine."
  value       = module.state_machine.arn
}

output "state_machine_name" {
  description = "Name of the ops state machine."
  value       = module.state_machine.name
}

output "function_names" {
  description = "Task functions by role (replay, progress)."
  value       = { for k, f in module.function : k => f.function_name }
}

output "function_environments" {
  description = "Environment of each task function, by role (replay, progress)."
  value       = { for k, f in module.function : k => f.environment_variables }
}

output "schedule_rule_name" {
  description = "EventBridge rule of the schedule (null when off)."
  value       = one(module.schedule[*].rule_name)
}

output "role_policies" {
  description = "Inline policies of the module's roles, by role."
  value = merge(
    { for k, f in module.function : k => f.role_policy_json },
    { sfn = module.state_machine.role_policy_json },
    { for t in module.schedule : "schedule" => t.role_policy_json },
  )
}
