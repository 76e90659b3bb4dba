variable "name" {
  description = "Name of the EventBridge rule."
  type        = string
}

variable "description" {
  description = "Description of the rule."
  type        = string
}

variable "state_machine_arn" {
  description = "State machine the rule starts (the role may start only this one)."
  type        = string
}

variable "role_name" {
  description = "Name of the IAM role EventBridge assumes (account-required prefix included)."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for the role."
  type        = string
  default     = null
}

variable "schedule_expression" {
  description = "cron() or rate() expression; null for an event rule (then event_pattern is required)."
  type        = string
  default     = null
}

variable "event_pattern" {
  description = "JSON event pattern; null for a schedule rule."
  type        = string
  default     = null
}

variable "event_bus_name" {
  description = "Bus of an event rule (schedules always run on the default bus)."
  type        = string
  default     = "default"
}

variable "input" {
  description = "Fixed JSON input of each execution (null = the event itself, or the transformer's output)."
  type        = string
  default     = null
}

variable "input_transformer" {
  description = "Builds each execution's input from the event (input_paths + input_template); null = none."
  type = object({
    input_paths    = map(string)
    input_template = string
  })
  default = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
