# Redshift Serverless over silver (off by default): an external schema over the Glue database, so
# seed systems query silver where it is, never a copy that replays and overwrites leave stale
# (modules/redshift says why). Needs the Glue catalog (glue_enabled), whose database it maps.

module "redshift" {
  source = "../redshift"
  count  = var.redshift_enabled ? 1 : 0

  name                     = local.name
  base_capacity            = var.redshift_base_capacity
  subnet_ids               = var.redshift_subnet_ids
  security_group_ids       = var.redshift_security_group_ids
  external_schema_name     = var.redshift_schema_name
  glue_database_name       = one(module.glue_catalog[*].database_name)
  silver_bucket_arn        = module.silver_bucket.arn
  silver_prefix            = local.silver_prefix
  role_name                = "${local.role_prefix}-redshift"
  permissions_boundary_arn = var.iam_permissions_boundary_arn
  kms_key_arn              = var.kms_key_arn
  tags                     = var.tags
}
