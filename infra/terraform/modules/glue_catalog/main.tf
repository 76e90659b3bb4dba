# Glue Data Catalog database + a crawler over silver that maintains one table per dataset
# (silver/<record_type>/) with dt= partitions, so Athena can query silver directly.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  arn_suffix      = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  glue_arn_prefix = "arn:${data.aws_partition.current.partition}:glue:${local.arn_suffix}"
  crawler_logs    = "arn:${data.aws_partition.current.partition}:logs:${local.arn_suffix}:log-group:/aws-glue/crawlers*"

  # s3://bucket is level 1; each dataset folder directly below the silver prefix is a table.
  table_level = 2 + length(split("/", var.silver_prefix))
  incremental = var.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY"
}

resource "aws_glue_catalog_database" "this" {
  name        = var.database_name
  description = "Silver datasets of the ELT pipeline (tables maintained by ${var.crawler_name})."
}

module "role" {
  source = "../iam"

  role_name   = var.role_name
  description = "Glue crawler ${var.crawler_name}"
  # AWS documents Glue's trust as the plain service principal, with no aws:SourceAccount or
  # aws:SourceArn condition: Glue does not send those keys when it assumes the role, so with the
  # condition CreateCrawler fails ("Service is unable to assume role") and job runs do not start.
  # Only iam:PassRole to Glue lets a role be used, and this stack passes it only to its own jobs.
  trusted_services         = ["glue.amazonaws.com"]
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags

  policy_statements = [
    {
      sid       = "ReadSilver"
      actions   = ["s3:GetObject"]
      resources = ["${var.silver_bucket_arn}/${var.silver_prefix}/*"]
    },
    {
      # The crawler prerequisites (AWSGlueServiceRole, scoped down): the crawler looks up the
      # target bucket's region before it lists it.
      sid       = "LocateSilverBucket"
      actions   = ["s3:GetBucketLocation"]
      resources = [var.silver_bucket_arn]
    },
    {
      sid       = "ListSilver"
      actions   = ["s3:ListBucket"]
      resources = [var.silver_bucket_arn]
      conditions = [{
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${var.silver_prefix}/*"]
      }]
    },
    {
      sid = "MaintainTables"
      actions = [
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetTables",
        "glue:CreateTable",
        "glue:UpdateTable",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:BatchGetPartition",
        "glue:CreatePartition",
        "glue:BatchCreatePartition",
        "glue:UpdatePartition",
        "glue:BatchUpdatePartition",
      ]
      resources = [
        "${local.glue_arn_prefix}:catalog",
        aws_glue_catalog_database.this.arn,
        "${local.glue_arn_prefix}:table/${var.database_name}/*",
      ]
    },
    {
      # Glue names the crawler log group itself (suffixed by role and security configuration).
      sid       = "WriteCrawlerLogs"
      actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
      resources = [local.crawler_logs, "${local.crawler_logs}:*"]
    },
  ]
  # The crawler only reads silver.
  kms_key_arn = var.kms_key_arn
  kms_actions = ["kms:Decrypt"]
}

resource "aws_glue_crawler" "this" {
  name                   = var.crawler_name
  database_name          = aws_glue_catalog_database.this.name
  role                   = module.role.arn
  table_prefix           = var.table_prefix
  schedule               = var.schedule
  security_configuration = var.security_configuration_name
  tags                   = var.tags

  s3_target {
    path = "s3://${var.silver_bucket_name}/${var.silver_prefix}/"
    # Spark/Hadoop markers and checksum files are not data.
    exclusions = ["**/_SUCCESS", "**/_temporary/**", "**.crc"]
  }

  recrawl_policy {
    recrawl_behavior = var.recrawl_behavior
  }

  # Incremental crawls may only log schema changes (an AWS rule); full crawls apply them.
  schema_change_policy {
    update_behavior = local.incremental ? "LOG" : "UPDATE_IN_DATABASE"
    delete_behavior = "LOG"
  }

  configuration = jsonencode({
    Version = 1.0
    Grouping = {
      TableGroupingPolicy     = "CombineCompatibleSchemas"
      TableLevelConfiguration = local.table_level
    }
    CrawlerOutput = {
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
    }
  })
}
