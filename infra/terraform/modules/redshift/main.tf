# Redshift Serverless over silver: a namespace and workgroup, the role Spectrum reads silver with,
# and an external schema over the Glue database (one external table per record type).
#
# Why an external schema and not COPY loads: silver is recomputed in place by replays and an
# overwrite retracts the old version's rows, so a COPY-loaded table goes stale after every replay
# or overwrite unless every partition is reloaded. An external schema reads what silver holds now
# (its exactly-once guarantees carry over) and needs no load step to make idempotent; the cost is
# per TB scanned. The role can still read silver for users who want COPY into their own tables.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  glue_arn_prefix = "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"

  external_schema_sql = join(" ", [
    "CREATE EXTERNAL SCHEMA IF NOT EXISTS ${var.external_schema_name}",
    "FROM DATA CATALOG DATABASE '${var.glue_database_name}'",
    "IAM_ROLE '${module.spectrum_role.arn}'",
  ])
}

module "spectrum_role" {
  source = "../iam"

  role_name   = var.role_name
  description = "Redshift Spectrum: read the silver tables of the Glue catalog and their objects"
  # Redshift Serverless assumes the namespace's roles as either principal (as the console's
  # default role trusts them).
  trusted_services         = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
  permissions_boundary_arn = var.permissions_boundary_arn
  kms_key_arn              = var.kms_key_arn
  kms_actions              = ["kms:Decrypt"]
  tags                     = var.tags

  policy_statements = [
    {
      sid     = "ReadSilverCatalog"
      actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
      resources = [
        "${local.glue_arn_prefix}:catalog",
        "${local.glue_arn_prefix}:database/${var.glue_database_name}",
        "${local.glue_arn_prefix}:table/${var.glue_database_name}/*",
      ]
    },
    {
      sid       = "ReadSilverObjects"
      actions   = ["s3:GetObject"]
      resources = ["${var.silver_bucket_arn}/${var.silver_prefix}/*"]
    },
    {
      # Spectrum lists each partition's location; listings stay inside silver/.
      sid       = "ListSilverPrefix"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = [var.silver_bucket_arn]
      conditions = [{
        test     = "StringLikeIfExists"
        variable = "s3:prefix"
        values   = ["${var.silver_prefix}/*"]
      }]
    },
  ]
}

resource "aws_redshiftserverless_namespace" "this" {
  namespace_name = var.name
  db_name        = var.database_name
  admin_username = var.admin_username
  # AWS generates the admin password and keeps it in Secrets Manager: nothing secret in the state.
  manage_admin_password            = true
  admin_password_secret_kms_key_id = var.kms_key_arn
  kms_key_id                       = var.kms_key_arn
  default_iam_role_arn             = module.spectrum_role.arn
  iam_roles                        = [module.spectrum_role.arn]
  log_exports                      = var.log_exports
  tags                             = var.tags
}

resource "aws_redshiftserverless_workgroup" "this" {
  namespace_name       = aws_redshiftserverless_namespace.this.namespace_name
  workgroup_name       = var.name
  base_capacity        = var.base_capacity
  publicly_accessible  = false
  enhanced_vpc_routing = true
  subnet_ids           = length(var.subnet_ids) > 0 ? var.subnet_ids : null
  security_group_ids   = length(var.security_group_ids) > 0 ? var.security_group_ids : null
  tags                 = var.tags
}

# Run once through the Data API (IAM credentials of the caller; no password involved). IF NOT
# EXISTS keeps a re-run harmless; a change of the SQL replaces the resource, which runs it again.
resource "aws_redshiftdata_statement" "external_schema" {
  workgroup_name = aws_redshiftserverless_workgroup.this.workgroup_name
  database       = aws_redshiftserverless_namespace.this.db_name
  sql            = local.external_schema_sql
}
