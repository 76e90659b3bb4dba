# ---------------------------------------------------------------------------------------------
# Identity and naming
# ---------------------------------------------------------------------------------------------

variable "project" {
  description = "Short project name, first part of every resource name."
  type        = string
  nullable    = false
  default     = "elt"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.project))
    error_message = "project must be 2-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (local, dev, prod), second part of every resource name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits."
  }
}

variable "name_suffix" {
  description = "Optional suffix that makes names unique when several stacks of one environment share an account (e.g. a developer's initials). Bucket names always end in <account>-<region>."
  type        = string
  nullable    = false
  default     = ""

  validation {
    condition     = can(regex("^[a-z0-9]{0,8}$", var.name_suffix))
    error_message = "name_suffix must be at most 8 lowercase letters or digits."
  }

  # Combined lengths (local.longest_names): each input is short enough alone, not every
  # combination with the account and region is.
  validation {
    condition = alltrue([
      for n in values(local.longest_names) :
      length("${n.prefix}${join("-", compact([var.project, var.environment, var.name_suffix]))}${n.suffix}") <= n.max
    ])
    error_message = "Names would exceed AWS's limits: ${join("; ", [
      for kind, n in local.longest_names : "${kind}: ${n.prefix}${join("-", compact([var.project, var.environment, var.name_suffix]))}${n.suffix}"
      if length("${n.prefix}${join("-", compact([var.project, var.environment, var.name_suffix]))}${n.suffix}") > n.max
    ])}. Shorten project, environment, name_suffix or iam_name_prefix."
  }
}

variable "tags" {
  description = "Extra tags on every resource (the envs set Project/Environment through provider default_tags)."
  type        = map(string)
  nullable    = false
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Repository inputs
# ---------------------------------------------------------------------------------------------

variable "artifacts_dir" {
  description = "Directory of the `make build` output: the Lambda zips (ingest.zip, transform.zip, workflows_replay.zip, workflows_progress.zip) and glue_libs.zip. null = <repo>/build."
  type        = string
  default     = null
}

variable "runtime_config_path" {
  description = "JSON file with the Lambda runtime and architecture shared with the build ({\"runtime\": ..., \"architecture\": ...}). null = <repo>/lambdas/runtime.json."
  type        = string
  default     = null
}

variable "glue_scripts_dir" {
  description = "Directory of the Glue job entry points (compact_silver.py, ge_validate_silver.py). null = <repo>/glue/jobs."
  type        = string
  default     = null
}

variable "glue_extra_py_files" {
  description = "Local paths of importable job logic (zip or .py) shipped to every Glue job as --extra-py-files."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "ops_definition_template_path" {
  description = "ASL template of the ops workflow. null = the workflow_ops module's definition.asl.json.tftpl."
  type        = string
  default     = null
}

variable "ge_definition_template_path" {
  description = "ASL template of the GE gate. null = the workflow_ge_gate module's definition.asl.json.tftpl."
  type        = string
  default     = null
}

# ---------------------------------------------------------------------------------------------
# Security
# ---------------------------------------------------------------------------------------------

variable "iam_name_prefix" {
  description = "Prefix of every IAM role name, for accounts that only allow roles with a given prefix."
  type        = string
  nullable    = false
  default     = ""
}

variable "iam_permissions_boundary_arn" {
  description = "Permissions boundary attached to every role, for accounts that require one."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for buckets, queues, table, logs and topics. null = AWS managed encryption everywhere."
  type        = string
  default     = null
}

# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets and workgroups (disposable environments only)."
  type        = bool
  nullable    = false
  default     = false
}

variable "bucket_versioning_enabled" {
  description = "Keep object versions in the buckets (bronze, silver and artifacts)."
  type        = bool
  nullable    = false
  default     = true
}

variable "bronze_transition_ia_days" {
  description = "Days after which bronze objects move to STANDARD_IA (0 = never)."
  type        = number
  nullable    = false
  default     = 30
}

variable "bronze_transition_archive_days" {
  description = "Days after which bronze objects move to GLACIER_IR, which still allows an immediate replay (0 = never)."
  type        = number
  nullable    = false
  default     = 90
}

variable "bronze_expiration_days" {
  description = "Days after which bronze objects are deleted (null = keep forever)."
  type        = number
  default     = null
}

variable "quarantine_expiration_days" {
  description = "Days after which quarantined records are deleted (null = keep)."
  type        = number
  default     = null
}

variable "athena_results_expiration_days" {
  description = "Days after which Athena query results are deleted."
  type        = number
  nullable    = false
  default     = 30
}

variable "bronze_eventbridge_enabled" {
  description = "Also send bronze bucket events to EventBridge (for consumers outside this stack)."
  type        = bool
  nullable    = false
  default     = false
}

variable "idempotency_pitr_enabled" {
  description = "Point-in-time recovery of the idempotency table."
  type        = bool
  nullable    = false
  default     = true
}

variable "idempotency_deletion_protection" {
  description = "Deletion protection of the idempotency table."
  type        = bool
  nullable    = false
  default     = false
}

# ---------------------------------------------------------------------------------------------
# Functions and queue
# ---------------------------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the functions' and state machines' log groups (Glue creates its own, without retention)."
  type        = number
  nullable    = false
  default     = 14
}

variable "log_level" {
  description = "LOG_LEVEL of the functions."
  type        = string
  nullable    = false
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "ingest_memory_mb" {
  description = "Memory of the ingest function."
  type        = number
  nullable    = false
  default     = 512
}

variable "ingest_timeout_seconds" {
  description = "Timeout of the ingest function."
  type        = number
  nullable    = false
  default     = 300
}

variable "ingest_reserved_concurrency" {
  description = "Reserved concurrency of ingest (null = unreserved)."
  type        = number
  default     = null
}

variable "idempotency_ttl_seconds" {
  description = "How long idempotency records are kept (IDEMPOTENCY_TTL_SECONDS)."
  type        = number
  nullable    = false
  default     = 2592000
}

variable "work_unit_bytes" {
  description = "Target size of the byte ranges ingest plans per message (WORK_UNIT_BYTES); must fit the transform's memory and timeout. 128 MiB is the `make bench` sweep's choice (docs/performance.md, \"Work-unit size and Lambda sizing\")."
  type        = number
  nullable    = false
  default     = 134217728
}

variable "transform_memory_mb" {
  description = "Memory of the transform function."
  type        = number
  nullable    = false
  default     = 1024
}

variable "transform_timeout_seconds" {
  description = "Timeout of the transform function; the queue's visibility timeout is 6x this plus the batching window."
  type        = number
  nullable    = false
  default     = 120

  validation {
    condition     = var.transform_timeout_seconds <= 900
    error_message = "Lambda timeouts are at most 900 seconds."
  }
}

variable "transform_reserved_concurrency" {
  description = "Reserved concurrency of transform (null = unreserved; the mapping's maximum concurrency bounds it)."
  type        = number
  default     = null
}

variable "transform_layers" {
  description = "Layer ARNs of the transform (e.g. a pyarrow layer instead of bundling it)."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "transform_batch_lease_seconds" {
  description = "How long a transform batch stays OPEN before another invocation may take it over, abort it and delete its files (BATCH_LEASE_SECONDS). Must outlive the function by enough for a killed invocation's last requests to land."
  type        = number
  nullable    = false
  default     = 900

  validation {
    condition     = var.transform_batch_lease_seconds >= var.transform_timeout_seconds + 60
    error_message = "transform_batch_lease_seconds must be at least transform_timeout_seconds + 60 (the code requires at least 60)."
  }

  # A dead batch's units come back busy until its lease runs out, one receive per visibility
  # timeout (6 x timeout + window, modules/sqs_queue): ceil(lease / visibility) receives, plus the
  # first one that died, must leave the unit out of the DLQ. Defaults: 900 / (6 x 120 + 5) -> 2 + 1
  # = 3 <= 5; dev (90 s) 900 / 545 -> 3 <= 5. An external queue's visibility is its owner's.
  validation {
    condition = var.existing_queue_arn != null || (
      ceil(var.transform_batch_lease_seconds / (6 * var.transform_timeout_seconds + var.esm_batching_window_seconds)) + 1
      <= var.queue_max_receive_count
    )
    error_message = "A unit of a dead batch would reach the DLQ before the batch's lease runs out: ceil(transform_batch_lease_seconds / (6 x transform_timeout_seconds + esm_batching_window_seconds)) + 1 must not exceed queue_max_receive_count."
  }
}

variable "transform_batch_max_bytes" {
  description = "Bytes of work units one transform invocation takes from its SQS batch; the rest is handed back to the queue (BATCH_MAX_BYTES). 1280 MiB = 10 units of 128 MiB at 4.2 CPU-s each x 2 headroom fits the 90 s timeout at one vCPU (docs/performance.md, \"Work-unit size and Lambda sizing\")."
  type        = number
  nullable    = false
  default     = 1342177280

  # At the benchmarked 4.2 CPU-s per 128 MiB (bench sweep) and the vCPU share the memory buys
  # (1,769 MB = one vCPU), a full budget must at least fit the timeout (the sizing rule keeps 2x
  # headroom on top): dev 10 x 4.2 x 1 = 42 s <= 90 s; the defaults (1024 MB, 120 s) 72.6 s.
  validation {
    condition = var.transform_batch_max_bytes >= 1048576 && (
      var.transform_batch_max_bytes / 134217728 * 4.2 * max(1, 1769 / var.transform_memory_mb) <= var.transform_timeout_seconds
    )
    error_message = "transform_batch_max_bytes must be at least 1 MiB, and small enough that a full budget (4.2 CPU-s per 128 MiB at the memory's vCPU share) fits transform_timeout_seconds."
  }
}

# Many small objects are many small units, and one SQS batch is one transform batch: one silver
# file per partition per invocation, so the batch size divides the files and PUTs per object.
# 250: W2 (1,000 objects x 1,000 records, 24 partitions per object; bench/inprocess.py) lands in
# 4 batches x 24 = 96 files of ~10,400 rows (target >= 5,000; 100 would give 4,167), and ~5,200
# requests per 1M records (target 6,000). The payload stays far below Lambda's 6 MB (a work-unit
# message is ~0.7 KB: 250 x 0.7 = 175 KB). Time: each small unit costs one claim and one GET in
# sequence (~35 ms on AWS), ~9 s for 250, within the 90 s timeout. Large units do not stretch a
# batch past the timeout: the transform takes only transform_batch_max_bytes of a batch (1280 MiB
# = 10 units of 128 MiB ~ 42 CPU-s) and sends the rest back to the queue as new messages (so they
# do not use up receives and reach the DLQ without having failed).
# Lambda allows up to 10,000 for a standard queue; above 10 it requires a batching window >= 1 s.
variable "esm_batch_size" {
  description = "Messages (work units) per transform invocation; the transform writes one file per partition per invocation and takes at most transform_batch_max_bytes of them. 250: the W2 many-small-objects benchmark (docs/performance.md)."
  type        = number
  nullable    = false
  default     = 250

  validation {
    condition     = var.esm_batch_size >= 1 && var.esm_batch_size <= 10000
    error_message = "esm_batch_size must be between 1 and 10000 (Lambda's limit for a standard SQS queue)."
  }
}

# The window is what lets a batch grow past one receive (10 messages): at most 5 s of latency per
# unit when the queue is quiet, none under a backlog (the batch fills first). It is added to the
# queue's visibility timeout (6 x transform timeout + window, modules/sqs_queue): dev 6 x 90 + 5 =
# 545 s, prod 6 x 120 + 10 = 730 s.
variable "esm_batching_window_seconds" {
  description = "Seconds the event source mapping gathers messages before invoking (MaximumBatchingWindowInSeconds, 0-300; at least 1 when esm_batch_size > 10)."
  type        = number
  nullable    = false
  default     = 5

  validation {
    condition     = var.esm_batching_window_seconds >= 0 && var.esm_batching_window_seconds <= 300
    error_message = "esm_batching_window_seconds must be between 0 and 300."
  }

  validation {
    condition     = var.esm_batch_size <= 10 || var.esm_batching_window_seconds >= 1
    error_message = "Lambda requires esm_batching_window_seconds >= 1 when esm_batch_size is above 10."
  }
}

variable "esm_maximum_concurrency" {
  description = "Maximum concurrent transform invocations driven by the queue."
  type        = number
  nullable    = false
  default     = 10
}

variable "queue_max_receive_count" {
  description = "Receives before an events message goes to the DLQ (at least 5)."
  type        = number
  nullable    = false
  default     = 5
}

variable "dlq_retention_days" {
  description = "Retention of the dead-letter queues (max 14)."
  type        = number
  nullable    = false
  default     = 14

  validation {
    condition     = var.dlq_retention_days >= 1 && var.dlq_retention_days <= 14
    error_message = "dlq_retention_days must be between 1 and 14."
  }
}

variable "existing_queue_url" {
  description = "URL of an externally created events queue to use instead of creating one (with existing_queue_arn). Its visibility timeout and redrive are then the owner's responsibility."
  type        = string
  default     = null
}

variable "existing_queue_arn" {
  description = "ARN of the externally created events queue (with existing_queue_url)."
  type        = string
  default     = null

  validation {
    condition     = (var.existing_queue_arn == null) == (var.existing_queue_url == null)
    error_message = "Set both existing_queue_url and existing_queue_arn, or neither."
  }
}

variable "event_bus_name" {
  description = "Event bus of the \"silver partition ready\" events (EVENT_BUS_NAME)."
  type        = string
  nullable    = false
  default     = "default"
}

# ---------------------------------------------------------------------------------------------
# Feature toggles
# ---------------------------------------------------------------------------------------------

variable "ops_enabled" {
  description = "Ops workflow (replay/backfill -> poll silver -> report) and its task functions."
  type        = bool
  nullable    = false
  default     = false
}

variable "ops_schedule_enabled" {
  description = "Start the ops workflow on ops_schedule_expression."
  type        = bool
  nullable    = false
  default     = false

  validation {
    condition     = !var.ops_schedule_enabled || var.ops_enabled
    error_message = "ops_schedule_enabled requires ops_enabled."
  }
}

variable "ops_schedule_expression" {
  description = "Schedule of the ops workflow."
  type        = string
  nullable    = false
  default     = "rate(1 day)"
}

variable "glue_enabled" {
  description = "Glue Data Catalog database and the crawler over silver."
  type        = bool
  nullable    = false
  default     = true
}

variable "glue_crawler_schedule" {
  description = "Cron schedule of the crawler (null = on demand, e.g. make glue-crawler-start)."
  type        = string
  default     = null
}

variable "glue_table_prefix" {
  description = "Prefix of the table names the crawler creates."
  type        = string
  nullable    = false
  default     = ""
}

variable "glue_job_enabled" {
  description = "Compaction Glue job (glue/jobs/compact_silver.py)."
  type        = bool
  nullable    = false
  default     = false
}

variable "glue_job_workers" {
  description = "G.1X workers of the compaction job."
  type        = number
  nullable    = false
  default     = 2
}

variable "ge_enabled" {
  description = "Great Expectations validation Glue job (glue/jobs/ge_validate_silver.py)."
  type        = bool
  nullable    = false
  default     = false
}

variable "ge_workflow_enabled" {
  description = "GE gate state machine around the validation job."
  type        = bool
  nullable    = false
  default     = false

  validation {
    condition     = !var.ge_workflow_enabled || var.ge_enabled
    error_message = "ge_workflow_enabled requires ge_enabled (the gate runs the validation job)."
  }
}

variable "ge_eventbridge_enabled" {
  description = "Start the GE gate on every \"silver partition ready\" event."
  type        = bool
  nullable    = false
  default     = false

  validation {
    condition     = !var.ge_eventbridge_enabled || var.ge_workflow_enabled
    error_message = "ge_eventbridge_enabled requires ge_workflow_enabled."
  }
}

variable "ge_emit_events_from_transform" {
  description = "The transform emits a \"silver partition ready\" event per partition written (EMIT_PARTITION_EVENTS) and may call events:PutEvents."
  type        = bool
  nullable    = false
  default     = false
}

variable "partition_event_debounce_seconds" {
  description = "At most one \"silver partition ready\" event per partition per this many seconds; the GE gate waits as long before it validates, so writes in the window are covered (0 = an event per unit, no wait)."
  type        = number
  nullable    = false
  default     = 300

  validation {
    condition     = var.partition_event_debounce_seconds >= 0 && var.partition_event_debounce_seconds <= 86400
    error_message = "partition_event_debounce_seconds must be between 0 and 86400."
  }
}

variable "catalog_registration_enabled" {
  description = "The transform registers new silver partitions (and the dataset tables) in the Glue catalog itself: cheaper and immediate compared with a crawler run. Needs glue_enabled (the database)."
  type        = bool
  nullable    = false
  default     = false

  validation {
    condition     = !var.catalog_registration_enabled || var.glue_enabled
    error_message = "catalog_registration_enabled requires glue_enabled (it registers into the stack's Glue database)."
  }
}

variable "ge_quarantine_enabled" {
  description = "The GE gate writes a quarantine marker for partitions that fail validation."
  type        = bool
  nullable    = false
  default     = false

  validation {
    condition     = !var.ge_quarantine_enabled || var.ge_workflow_enabled
    error_message = "ge_quarantine_enabled requires ge_workflow_enabled."
  }
}

variable "ge_notification_email_addresses" {
  description = "Email addresses subscribed to the GE gate's failure notifications (each confirms its subscription once)."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "observability_enabled" {
  description = "CloudWatch dashboard, alarms and the alarm topic."
  type        = bool
  nullable    = false
  default     = true
}

variable "athena_enabled" {
  description = "Athena workgroup and the saved queries."
  type        = bool
  nullable    = false
  default     = true
}

variable "redshift_enabled" {
  description = "Redshift Serverless namespace and workgroup with an external schema over the silver tables (needs glue_enabled)."
  type        = bool
  nullable    = false
  default     = false
}

variable "redshift_base_capacity" {
  description = "Base capacity of the Redshift Serverless workgroup in RPUs (8 to 1024, in steps of 8)."
  type        = number
  nullable    = false
  default     = 8
}

variable "redshift_schema_name" {
  description = "Name of the Redshift external schema over the silver tables."
  type        = string
  nullable    = false
  default     = "silver"
}

variable "redshift_subnet_ids" {
  description = "Subnets of the Redshift workgroup's endpoint; empty = the default VPC's."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "redshift_security_group_ids" {
  description = "Security groups of the Redshift workgroup's endpoint; empty = the VPC's default group."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "stream_ingest_enabled" {
  description = "Streaming producer into bronze: a Kinesis Data Stream (on-demand) and a Firehose delivery stream writing gzip JSON Lines under bronze/<record_type>/stream/ (docs/producers.md)."
  type        = bool
  nullable    = false
  default     = false
}

variable "stream_buffering_size_mb" {
  description = "Firehose writes an object per dataset when this many MiB are buffered (AWS: 64-128 with dynamic partitioning)."
  type        = number
  nullable    = false
  default     = 64
}

variable "stream_buffering_interval_seconds" {
  description = "... or when this many seconds passed since the dataset's first buffered record (0-900)."
  type        = number
  nullable    = false
  default     = 300
}

# ---------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------

variable "alarm_email_addresses" {
  description = "Emails subscribed to the alarm topic."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "alarm_oldest_message_age_seconds" {
  description = "Alarm when the oldest events message is older than this many seconds."
  type        = number
  nullable    = false
  default     = 900
}

variable "alarm_no_silver_writes_hours" {
  description = "Alarm when nothing reached silver for this many hours (0 = no such alarm)."
  type        = number
  nullable    = false
  default     = 24
}
