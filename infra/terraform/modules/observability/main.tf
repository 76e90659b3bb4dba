# One dashboard and the alarms that say the pipeline is unhealthy: messages in a DLQ, a backlog
# growing old, Lambda errors or throttles, and silence (no silver writes for N hours).

data "aws_region" "current" {}

locals {
  region        = data.aws_region.current.name
  alarm_actions = var.create_sns_topic ? [aws_sns_topic.alarms[0].arn] : []

  silver_writes_dimensions = flatten([for k, v in var.silver_writes_metric.dimensions : [k, v]])

  lambda_widgets = [
    for metric in ["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"] : {
      type   = "metric"
      width  = 8
      height = 6
      properties = {
        title   = "Lambda ${metric}"
        region  = local.region
        stat    = metric == "Duration" ? "p95" : (metric == "ConcurrentExecutions" ? "Maximum" : "Sum")
        period  = 300
        view    = "timeSeries"
        metrics = [for label, fn in var.function_names : ["AWS/Lambda", metric, "FunctionName", fn, { label = label }]]
      }
    }
  ]

  queue_widgets = [
    {
      type   = "metric"
      width  = 8
      height = 6
      properties = {
        title  = "Events queue"
        region = local.region
        stat   = "Maximum"
        period = 300
        view   = "timeSeries"
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.queue_name, { label = "visible" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", var.queue_name, { label = "in flight" }],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.queue_name, { label = "oldest age (s)", yAxis = "right" }],
        ]
      }
    },
    {
      type   = "metric"
      width  = 8
      height = 6
      properties = {
        title   = "Files written to silver"
        region  = local.region
        stat    = "Sum"
        period  = 3600
        view    = "timeSeries"
        metrics = [concat([var.metrics_namespace, var.silver_writes_metric.name], local.silver_writes_dimensions)]
      }
    },
  ]

  # A widget without metrics is rejected, so the DLQ chart exists only when there are DLQs.
  dlq_widgets = [
    for names in [var.dead_letter_queue_names] : {
      type   = "metric"
      width  = 8
      height = 6
      properties = {
        title   = "Dead-letter queues"
        region  = local.region
        stat    = "Maximum"
        period  = 300
        view    = "timeSeries"
        metrics = [for label, q in names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { label = label }]]
      }
    } if length(names) > 0
  ]
}

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and notifications carry no pipeline data; pass kms_key_arn (a CMK whose policy allows CloudWatch) to encrypt.
  count = var.create_sns_topic ? 1 : 0

  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.create_sns_topic ? toset(var.alarm_email_addresses) : toset([])

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  for_each = var.dead_letter_queue_names

  alarm_name          = "${var.name}-${each.key}-dlq-not-empty"
  alarm_description   = "Messages in ${each.value}: processing failed after all retries. Inspect, fix, then redrive (make redrive)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_message_age" {
  alarm_name          = "${var.name}-events-backlog-age"
  alarm_description   = "The oldest message of ${var.queue_name} is older than ${var.oldest_message_age_threshold_seconds}s: the transform is not keeping up or not consuming."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = var.queue_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.oldest_message_age_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = var.function_names

  alarm_name          = "${var.name}-${each.key}-errors"
  alarm_description   = "${each.value} returned errors (failed invocations, not partial batch failures)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.lambda_errors_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = var.function_names

  alarm_name          = "${var.name}-${each.key}-throttles"
  alarm_description   = "${each.value} is throttled: raise account concurrency or lower the event source mapping's maximum concurrency."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.lambda_throttles_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "no_silver_writes" {
  count = var.no_silver_writes_hours > 0 ? 1 : 0

  alarm_name          = "${var.name}-no-silver-writes"
  alarm_description   = "No files written to silver for ${var.no_silver_writes_hours}h: ingestion has stopped upstream or everything is failing."
  namespace           = var.metrics_namespace
  metric_name         = var.silver_writes_metric.name
  dimensions          = var.silver_writes_metric.dimensions
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.no_silver_writes_hours
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  # No datapoints at all is exactly the silence this alarm is for.
  treat_missing_data = "breaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
  tags               = var.tags
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = concat(local.lambda_widgets, local.queue_widgets, local.dlq_widgets) })
}
