# Athena workgroup with an enforced, encrypted result location, and the saved queries users run.

resource "aws_athena_workgroup" "this" {
  name          = var.workgroup_name
  description   = "Queries over the silver tables of the ELT pipeline"
  state         = "ENABLED"
  force_destroy = var.force_destroy
  tags          = var.tags

  configuration {
    # Clients cannot override the result location or its encryption.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    result_configuration {
      output_location = var.output_location

      encryption_configuration {
        encryption_option = var.kms_key_arn == null ? "SSE_S3" : "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each = var.named_queries

  name        = each.key
  description = each.value.description
  workgroup   = aws_athena_workgroup.this.id
  database    = var.database_name
  query       = each.value.query
}
