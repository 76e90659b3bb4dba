# Offline plan/apply tests of the pipeline composition with a mocked AWS provider
# (terraform test, Terraform >= 1.7). Run through tests/infra, which provides the artifacts:
#   terraform test -var artifacts_dir=... -var runtime_config_path=... -var glue_scripts_dir=...
#     -var ops_definition_template_path=... -var ge_definition_template_path=...
# The mocks give each resource a well-formed ARN (the provider validates ARN arguments); the
# overrides give the data-plane resources distinct ones so that IAM wiring can be asserted.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/mock" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn           = "arn:aws:lambda:us-east-1:123456789012:function:mock"
      qualified_arn = "arn:aws:lambda:us-east-1:123456789012:function:mock:1"
      invoke_arn    = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:mock/invocations"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:mock" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:us-east-1:123456789012:stateMachine:mock" }
  }
  mock_resource "aws_glue_job" {
    defaults = { arn = "arn:aws:glue:us-east-1:123456789012:job/mock" }
  }
  mock_resource "aws_glue_catalog_database" {
    defaults = { arn = "arn:aws:glue:us-east-1:123456789012:database/mock" }
  }
  mock_resource "aws_glue_crawler" {
    defaults = { arn = "arn:aws:glue:us-east-1:123456789012:crawler/mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/mock" }
  }
  mock_resource "aws_kinesis_stream" {
    defaults = { arn = "arn:aws:kinesis:us-east-1:123456789012:stream/mock" }
  }
  mock_resource "aws_kinesis_firehose_delivery_stream" {
    defaults = { arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/mock" }
  }
}

override_resource {
  target = module.bronze_bucket.aws_s3_bucket.this
  values = { id = "elt-test-bronze", arn = "arn:aws:s3:::elt-test-bronze" }
}

override_resource {
  target = module.silver_bucket.aws_s3_bucket.this
  values = { id = "elt-test-silver", arn = "arn:aws:s3:::elt-test-silver" }
}

override_resource {
  target = module.idempotency_table.aws_dynamodb_table.this
  values = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/elt-test-idempotency" }
}

override_resource {
  target = module.events_queue[0].aws_sqs_queue.this
  values = {
    id  = "https://sqs.us-east-1.amazonaws.com/123456789012/elt-test-events"
    arn = "arn:aws:sqs:us-east-1:123456789012:elt-test-events"
  }
}

override_resource {
  target = module.events_queue[0].aws_sqs_queue.dlq[0]
  values = {
    id  = "https://sqs.us-east-1.amazonaws.com/123456789012/elt-test-events-dlq"
    arn = "arn:aws:sqs:us-east-1:123456789012:elt-test-events-dlq"
  }
}

override_resource {
  target = module.ingest_dlq.aws_sqs_queue.this
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:elt-test-ingest-dlq" }
}

override_resource {
  target = module.ingest.aws_lambda_function.this
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:function:elt-test-ingest" }
}

override_resource {
  target = module.transform.aws_lambda_function.this
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:function:elt-test-transform" }
}

# The functions' roles may write only to their own log groups.
override_resource {
  target = module.ingest.aws_cloudwatch_log_group.this
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/elt-test-ingest" }
}

override_resource {
  target = module.transform.aws_cloudwatch_log_group.this
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/elt-test-transform" }
}

variables {
  environment = "test"
}

run "features_off" {
  command = apply

  variables {
    ops_enabled                   = false
    ops_schedule_enabled          = false
    glue_enabled                  = false
    glue_job_enabled              = false
    ge_enabled                    = false
    ge_workflow_enabled           = false
    ge_eventbridge_enabled        = false
    ge_emit_events_from_transform = false
    ge_quarantine_enabled         = false
    observability_enabled         = false
    athena_enabled                = false
    redshift_enabled              = false
    stream_ingest_enabled         = false
  }

  assert {
    condition = alltrue([
      length(module.redshift) == 0,
      length(module.stream_ingest) == 0,
      length(module.ops) == 0,
      length(module.glue_catalog) == 0,
      length(module.compaction_job) == 0,
      length(module.ge_validation) == 0,
      length(module.ge_gate) == 0,
      length(module.observability) == 0,
      length(module.athena) == 0,
      length(aws_glue_security_configuration.this) == 0,
    ])
    error_message = "A feature that is toggled off still has resources."
  }

  assert {
    condition = alltrue([for o in [
      output.ops_state_machine_arn, output.ge_state_machine_arn, output.glue_crawler_name,
      output.glue_database_name, output.glue_job_name, output.ge_job_name, output.dashboard_name,
      output.athena_workgroup, output.redshift_workgroup_name, output.redshift_database,
      output.redshift_external_schema, output.ingest_stream_name, output.ingest_delivery_stream_name,
    ] : o == null])
    error_message = "Outputs of features toggled off must be null."
  }

  # Core wiring: bronze/ notifications -> ingest.
  assert {
    condition = alltrue([
      aws_s3_bucket_notification.bronze.bucket == "elt-test-bronze",
      aws_s3_bucket_notification.bronze.lambda_function[0].filter_prefix == "bronze/",
      contains(aws_s3_bucket_notification.bronze.lambda_function[0].events, "s3:ObjectCreated:*"),
      aws_s3_bucket_notification.bronze.lambda_function[0].lambda_function_arn == output.ingest_lambda_arn,
      aws_lambda_permission.bronze_invokes_ingest.source_arn == "arn:aws:s3:::elt-test-bronze",
    ])
    error_message = "Bronze notifications must invoke ingest for s3:ObjectCreated:* under bronze/."
  }

  assert {
    condition     = output.queue_url == "https://sqs.us-east-1.amazonaws.com/123456789012/elt-test-events" && output.dlq_url == "https://sqs.us-east-1.amazonaws.com/123456789012/elt-test-events-dlq"
    error_message = "Queue outputs are not wired to the events queue and its DLQ."
  }

  assert {
    condition     = keys(output.iam_policies) == ["ingest", "transform"]
    error_message = "Only the two functions have roles when every feature is off."
  }

  # Without partition events the transform may not call EventBridge.
  assert {
    condition     = !strcontains(module.transform.role_policy_json, "events:PutEvents")
    error_message = "events:PutEvents granted although ge_emit_events_from_transform is off."
  }

  # IAM: every resource of the function roles is one of this stack's ARNs.
  assert {
    condition = alltrue(flatten([
      for s in jsondecode(module.ingest.role_policy_json).Statement : [
        for r in s.Resource : contains([
          "arn:aws:s3:::elt-test-bronze",
          "arn:aws:s3:::elt-test-bronze/bronze/*",
          "arn:aws:dynamodb:us-east-1:123456789012:table/elt-test-idempotency",
          "arn:aws:sqs:us-east-1:123456789012:elt-test-events",
          "arn:aws:sqs:us-east-1:123456789012:elt-test-ingest-dlq",
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/elt-test-ingest:*",
        ], r)
      ]
    ]))
    error_message = "The ingest role references resources outside this stack."
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(module.transform.role_policy_json).Statement : [
        for r in s.Resource : contains([
          "arn:aws:s3:::elt-test-bronze",
          "arn:aws:s3:::elt-test-bronze/bronze/*",
          "arn:aws:s3:::elt-test-silver",
          "arn:aws:s3:::elt-test-silver/silver/*",
          "arn:aws:s3:::elt-test-silver/quarantine/*",
          "arn:aws:dynamodb:us-east-1:123456789012:table/elt-test-idempotency",
          "arn:aws:sqs:us-east-1:123456789012:elt-test-events",
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/elt-test-transform:*",
        ], r)
      ]
    ]))
    error_message = "The transform role references resources outside this stack."
  }

  # Silver's ledger: the idempotency table, under the ledger's key prefixes only; retraction reads
  # and deletes only silver/ and quarantine/ files and lists only under those prefixes.
  assert {
    condition = alltrue([
      contains(jsondecode(module.transform.role_policy_json).Statement, {
        Sid       = "SilverLedger", Effect = "Allow",
        Action    = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        Resource  = ["arn:aws:dynamodb:us-east-1:123456789012:table/elt-test-idempotency"],
        Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["batch#*", "source#*", "lease#*"] } }
      }),
      contains(jsondecode(module.transform.role_policy_json).Statement, {
        Sid      = "RetractFromBatchFiles", Effect = "Allow", Action = ["s3:GetObject", "s3:DeleteObject"],
        Resource = ["arn:aws:s3:::elt-test-silver/silver/*", "arn:aws:s3:::elt-test-silver/quarantine/*"]
      }),
      contains(jsondecode(module.transform.role_policy_json).Statement, {
        Sid       = "ListSilverPartitions", Effect = "Allow", Action = ["s3:ListBucket"],
        Resource  = ["arn:aws:s3:::elt-test-silver"],
        Condition = { StringLikeIfExists = { "s3:prefix" = ["silver/*", "quarantine/*"] } }
      }),
      # Every DynamoDB statement of the transform is bounded by key prefixes.
      alltrue([
        for s in jsondecode(module.transform.role_policy_json).Statement :
        can(s.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]) if anytrue([for a in s.Action : startswith(a, "dynamodb:")])
      ]),
    ])
    error_message = "The transform's ledger and retraction statements are missing or not scoped to their prefixes."
  }

  # The ledger's settings, and batches of 100 units gathered for 5 s (above 10, Lambda requires a
  # window); the queue's visibility covers 6 function timeouts plus the window.
  assert {
    condition = alltrue([
      module.transform.environment_variables["IDEMPOTENCY_TABLE"] == module.idempotency_table.name,
      module.transform.environment_variables["BATCH_LEASE_SECONDS"] == "900",
      module.transform.environment_variables["BATCH_MAX_BYTES"] == "1342177280",
      module.transform_events.batch_size == 250,
      module.transform_events.maximum_batching_window_in_seconds == 5,
      module.events_queue[0].visibility_timeout_seconds == 6 * 120 + 5,
    ])
    error_message = "The transform's ledger settings or the mapping's batching defaults are not deployed."
  }
}

run "features_on" {
  command = apply

  variables {
    ops_enabled                   = true
    ops_schedule_enabled          = true
    glue_enabled                  = true
    glue_job_enabled              = true
    ge_enabled                    = true
    ge_workflow_enabled           = true
    ge_eventbridge_enabled        = true
    ge_emit_events_from_transform = true
    ge_quarantine_enabled         = true
    observability_enabled         = true
    athena_enabled                = true
    redshift_enabled              = true
    stream_ingest_enabled         = true
  }

  assert {
    condition = alltrue([
      length(module.redshift) == 1,
      length(module.stream_ingest) == 1,
      length(module.ops) == 1,
      length(module.glue_catalog) == 1,
      length(module.compaction_job) == 1,
      length(module.ge_validation) == 1,
      length(module.ge_gate) == 1,
      length(module.observability) == 1,
      length(module.athena) == 1,
      length(aws_glue_security_configuration.this) == 1,
    ])
    error_message = "A feature that is toggled on has no resources."
  }

  assert {
    condition = alltrue([for o in [
      output.ops_state_machine_arn, output.ge_state_machine_arn, output.glue_crawler_name,
      output.glue_database_name, output.glue_job_name, output.ge_job_name, output.dashboard_name,
      output.athena_workgroup, output.redshift_workgroup_name, output.redshift_database,
      output.redshift_external_schema, output.ingest_stream_name, output.ingest_delivery_stream_name,
    ] : o != null])
    error_message = "Outputs of features toggled on must be set."
  }

  assert {
    condition     = module.ops[0].schedule_rule_name != null && module.ge_gate[0].event_rule_name != null
    error_message = "ops_schedule_enabled / ge_eventbridge_enabled must create their rules."
  }

  assert {
    condition     = strcontains(module.transform.role_policy_json, "events:PutEvents")
    error_message = "ge_emit_events_from_transform must allow events:PutEvents."
  }

  # /tmp holds a unit's Parquet: sized from timeout and memory (transform.tf), here the defaults
  # (120 s, 1024 MB): 120 x 30 x 1024 / 1769 x 0.5 = 1042 MB.
  assert {
    condition     = module.transform.ephemeral_storage_mb == 1042
    error_message = "The transform's ephemeral storage does not follow its timeout and memory."
  }

  assert {
    condition     = output.glue_database_name == "elt_test_silver" && output.glue_crawler_name == "elt-test-silver"
    error_message = "Unexpected Glue names."
  }

  assert {
    condition     = length(output.iam_policies) == 13
    error_message = "Expected one policy per role: ingest, transform, crawler, compaction, ge-validation, ops (replay, progress, sfn, schedule), ge-gate (sfn, trigger), redshift, firehose."
  }

  # Firehose routes by record_type into bronze/ (which the ingest notification watches) and sends
  # what it cannot route outside it; its role reads only the stream and writes only those prefixes.
  assert {
    condition = alltrue([
      output.ingest_stream_name == "elt-test-stream",
      module.stream_ingest[0].prefix == "bronze/!{partitionKeyFromQuery:record_type}/stream/!{timestamp:yyyy/MM/dd/HH}/",
      !startswith(module.stream_ingest[0].error_output_prefix, local.bronze_prefix),
      strcontains(output.iam_policies["firehose"], "arn:aws:s3:::elt-test-bronze/bronze/*"),
      strcontains(output.iam_policies["firehose"], "arn:aws:s3:::elt-test-bronze/bronze-errors/*"),
      !strcontains(output.iam_policies["firehose"], "silver"),
    ])
    error_message = "Firehose's prefixes or its role are not scoped to bronze/ and the error prefix."
  }

  # The external schema maps the stack's Glue database with the Spectrum role, which reads only
  # that database's tables and silver/.
  assert {
    condition = alltrue([
      output.redshift_external_schema == "silver",
      module.redshift[0].workgroup_name == "elt-test",
      strcontains(output.iam_policies["redshift"], "arn:aws:glue:us-east-1:123456789012:table/elt_test_silver/*"),
      strcontains(output.iam_policies["redshift"], "arn:aws:s3:::elt-test-silver/silver/*"),
      !strcontains(output.iam_policies["redshift"], "quarantine"),
    ])
    error_message = "The Redshift external schema or its role is not scoped to the stack's silver."
  }

  # No wildcard actions, anywhere.
  assert {
    condition = alltrue(flatten([
      for role, policy in output.iam_policies : [
        for s in jsondecode(policy).Statement : [for a in s.Action : !strcontains(a, "*")]
      ]
    ]))
    error_message = "An IAM policy grants a wildcard action."
  }

  # Resources are this stack's: its buckets (a whole bucket or a named prefix) or ARNs in its
  # account and region with a specific name before any trailing wildcard. "*" only for APIs
  # without resource-level permissions (log delivery, PutMetricData with a namespace condition).
  assert {
    condition = alltrue(flatten([
      for role, policy in output.iam_policies : [
        for s in jsondecode(policy).Statement : [
          for r in s.Resource : (
            r == "*"
            ? alltrue([for a in s.Action : contains([
              "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
              "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
              "logs:DescribeResourcePolicies", "logs:DescribeLogGroups", "cloudwatch:PutMetricData",
            ], a)])
            : (
              can(regex("^arn:aws:s3:::elt-test-(bronze|silver)(/[a-z0-9._-]+/[^*]*\\*?)?$", r))
              || can(regex("^arn:aws:[a-z0-9-]+:us-east-1:123456789012:[^*]+\\*?(:\\*)?$", r))
            )
          )
        ]
      ]
    ]))
    error_message = "An IAM policy references a resource outside this stack, or a wildcard without a specific prefix."
  }

  assert {
    condition     = strcontains(output.iam_policies["ge-gate-sfn"], "arn:aws:s3:::elt-test-silver/quarantine/_ge_gate/*")
    error_message = "ge_quarantine_enabled must allow the gate to write quarantine markers."
  }

  # The replay task recomputes: it sends work units to the work queue (planned with ingest's unit
  # size), reads bronze objects and versions and the bucket's versioning; copies stay possible.
  assert {
    condition = alltrue([
      contains(jsondecode(output.iam_policies["ops-replay"]).Statement, {
        Sid      = "SendWorkUnits", Effect = "Allow", Action = ["sqs:SendMessage"],
        Resource = ["arn:aws:sqs:us-east-1:123456789012:elt-test-events"]
      }),
      contains(jsondecode(output.iam_policies["ops-replay"]).Statement, {
        Sid      = "ReadBronze", Effect = "Allow", Action = ["s3:GetObject", "s3:GetObjectVersion"],
        Resource = ["arn:aws:s3:::elt-test-bronze/bronze/*"]
      }),
      contains(jsondecode(output.iam_policies["ops-replay"]).Statement, {
        Sid      = "ReadBronzeVersioning", Effect = "Allow", Action = ["s3:GetBucketVersioning"],
        Resource = ["arn:aws:s3:::elt-test-bronze"]
      }),
      strcontains(output.iam_policies["ops-replay"], "arn:aws:s3:::elt-test-bronze/bronze/replay/*"),
      module.ops[0].function_environments["replay"]["QUEUE_URL"] == "https://sqs.us-east-1.amazonaws.com/123456789012/elt-test-events",
      module.ops[0].function_environments["replay"]["WORK_UNIT_BYTES"] == "134217728",
      !contains(keys(module.ops[0].function_environments["replay"]), "IDEMPOTENCY_TABLE"),
    ])
    error_message = "The ops replay task cannot send recomputing work units (queue, bronze reads, versioning, env)."
  }
}

run "existing_queue" {
  command = apply

  variables {
    existing_queue_url            = "https://sqs.us-east-1.amazonaws.com/123456789012/shared-events"
    existing_queue_arn            = "arn:aws:sqs:us-east-1:123456789012:shared-events"
    ops_enabled                   = false
    ops_schedule_enabled          = false
    glue_enabled                  = false
    glue_job_enabled              = false
    ge_enabled                    = false
    ge_workflow_enabled           = false
    ge_eventbridge_enabled        = false
    ge_emit_events_from_transform = false
    ge_quarantine_enabled         = false
    observability_enabled         = true
    athena_enabled                = false
  }

  assert {
    condition     = length(module.events_queue) == 0 && output.queue_url == var.existing_queue_url && output.dlq_url == null
    error_message = "An external queue must replace the stack's queue."
  }

  assert {
    condition     = strcontains(module.ingest.role_policy_json, var.existing_queue_arn) && strcontains(module.transform.role_policy_json, var.existing_queue_arn)
    error_message = "The functions must be granted the external queue."
  }
}

run "customer_managed_key" {
  command = apply

  variables {
    kms_key_arn                   = "arn:aws:kms:us-east-1:123456789012:key/elt-test"
    stream_ingest_enabled         = true
    ops_enabled                   = true
    ops_schedule_enabled          = true
    glue_enabled                  = true
    glue_job_enabled              = true
    ge_enabled                    = true
    ge_workflow_enabled           = true
    ge_eventbridge_enabled        = true
    ge_emit_events_from_transform = true
    ge_quarantine_enabled         = true
    observability_enabled         = true
    athena_enabled                = true
    redshift_enabled              = true
  }

  # Every role that touches the stack's data may use the key, with the actions its service needs;
  # the EventBridge roles only start executions.
  assert {
    condition = jsonencode({
      for role, policy in output.iam_policies : role => sort(flatten([
        for s in jsondecode(policy).Statement : s.Action if s.Sid == "UseDataKey" && s.Resource == [var.kms_key_arn]
      ]))
      }) == jsonencode({
      ingest          = ["kms:Decrypt", "kms:GenerateDataKey"]
      transform       = ["kms:Decrypt", "kms:GenerateDataKey"]
      crawler         = ["kms:Decrypt"]
      compaction      = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      ge-validation   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      ops-replay      = ["kms:Decrypt", "kms:GenerateDataKey"]
      ops-progress    = ["kms:Decrypt", "kms:GenerateDataKey"]
      ops-sfn         = ["kms:Decrypt", "kms:GenerateDataKey"]
      ops-schedule    = []
      ge-gate-sfn     = ["kms:Decrypt", "kms:GenerateDataKey"]
      ge-gate-trigger = []
      redshift        = ["kms:Decrypt"]
      firehose        = ["kms:Decrypt", "kms:GenerateDataKey"]
    })
    error_message = "The UseDataKey statements do not match the roles' needs."
  }

  # The standard statements of the function roles: their own logs, and ingest's DLQ.
  assert {
    condition = alltrue([
      contains(jsondecode(output.iam_policies["ingest"]).Statement, {
        Sid      = "DeadLetterFailedEvents", Effect = "Allow", Action = ["sqs:SendMessage"],
        Resource = ["arn:aws:sqs:us-east-1:123456789012:elt-test-ingest-dlq"]
      }),
      contains(jsondecode(output.iam_policies["transform"]).Statement, {
        Sid      = "WriteOwnLogs", Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/elt-test-transform:*"]
      }),
      !strcontains(output.iam_policies["transform"], "DeadLetterFailedEvents"),
    ])
    error_message = "The function roles lack their standard statements (or transform has a DLQ statement)."
  }
}

# The README's option for restricted accounts with every workflow on (dev and prod enable ops):
# the ops progress task reads the external queue's depth and has no DLQ to report.
run "existing_queue_with_every_feature" {
  command = apply

  variables {
    existing_queue_url            = "https://sqs.us-east-1.amazonaws.com/123456789012/shared-events"
    existing_queue_arn            = "arn:aws:sqs:us-east-1:123456789012:shared-events"
    ops_enabled                   = true
    ops_schedule_enabled          = true
    glue_enabled                  = true
    glue_job_enabled              = true
    ge_enabled                    = true
    ge_workflow_enabled           = true
    ge_eventbridge_enabled        = true
    ge_emit_events_from_transform = true
    ge_quarantine_enabled         = true
    observability_enabled         = true
    athena_enabled                = true
  }

  assert {
    condition     = length(module.ops) == 1 && length(module.events_queue) == 0 && output.dlq_url == null
    error_message = "The ops workflow must plan with an external queue."
  }

  assert {
    condition = [
      for s in jsondecode(output.iam_policies["ops-progress"]).Statement : s.Resource if s.Sid == "ReadQueueDepth"
    ] == [[var.existing_queue_arn]]
    error_message = "The progress task must read the external queue's depth, and only that queue's."
  }
}

# Restricted accounts: a customer managed key, a permissions boundary and a role name prefix.
run "customer_managed_key_with_permissions_boundary" {
  command = apply

  variables {
    kms_key_arn                   = "arn:aws:kms:us-east-1:123456789012:key/elt-test"
    iam_permissions_boundary_arn  = "arn:aws:iam::123456789012:policy/elt-boundary"
    iam_name_prefix               = "team-"
    ops_enabled                   = true
    ops_schedule_enabled          = true
    glue_enabled                  = true
    glue_job_enabled              = true
    ge_enabled                    = true
    ge_workflow_enabled           = true
    ge_eventbridge_enabled        = true
    ge_emit_events_from_transform = true
    ge_quarantine_enabled         = true
    observability_enabled         = true
    athena_enabled                = true
  }

  assert {
    condition     = length(output.iam_policies) == 11
    error_message = "Every role must plan with a key, a boundary and a name prefix."
  }

  assert {
    condition = alltrue([
      for role, policy in output.iam_policies : contains([
        "ops-schedule", "ge-gate-trigger"
      ], role) || strcontains(policy, var.kms_key_arn)
    ])
    error_message = "Every role that touches the stack's data must be granted the key."
  }

  # The boundary limits, it grants nothing: no policy names it.
  assert {
    condition     = alltrue([for role, policy in output.iam_policies : !strcontains(policy, "elt-boundary")])
    error_message = "A role policy references the permissions boundary."
  }
}

# Long names: every input within its own limit, the combination over AWS's (the artifacts bucket
# would be 36 + 11 + 12 + 1 + 9 = 69 > 63 characters). Rejected at plan time, in one place.
run "names_over_aws_limits" {
  command = plan

  variables {
    project     = "elt-platform-dat"
    environment = "production"
    name_suffix = "abcdefgh"
  }

  expect_failures = [var.name_suffix]
}

# The longest names that fit: planned without error.
run "long_names_within_aws_limits" {
  command = plan

  variables {
    project     = "elt-platform"
    environment = "staging"
    name_suffix = "ab12"
  }

  assert {
    condition     = length(output.bronze_bucket) <= 63
    error_message = "Bucket name over 63 characters."
  }
}

# Lambda rejects more than 10 messages per batch from a standard queue without a batching window.
run "batch_over_10_without_a_window" {
  command = plan

  variables {
    esm_batch_size              = 250
    esm_batching_window_seconds = 0
  }

  expect_failures = [var.esm_batching_window_seconds]
}

# A dead batch's units come back busy, once per visibility timeout, until its lease runs out: with
# a 30 s timeout (visibility 6 x 30 + 5 = 185 s) a 900 s lease takes 5 receives plus the first,
# and the unit would reach the DLQ (5 receives) before the takeover.
run "lease_longer_than_the_receives_allow" {
  command = plan

  variables {
    transform_timeout_seconds = 30
    transform_batch_max_bytes = 134217728
  }

  expect_failures = [var.transform_batch_lease_seconds]
}

# A byte budget the function cannot get through before its timeout (10 units of 128 MiB at
# 4.2 CPU-s each on 512 MB, 0.29 vCPU: 145 s > 60 s).
run "batch_budget_over_the_timeout" {
  command = plan

  variables {
    transform_memory_mb       = 512
    transform_timeout_seconds = 60
    queue_max_receive_count   = 10
  }

  expect_failures = [var.transform_batch_max_bytes]
}
