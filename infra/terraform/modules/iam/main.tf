# One role with one inline least-privilege policy. The policy is rendered with jsonencode (not a
# data source) so that its exact content is visible to plans and to `terraform test`.

locals {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [merge(
      {
        Sid       = "TrustService"
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = var.trusted_services }
      },
      var.source_account_id == null ? {} : {
        Condition = { StringEquals = { "aws:SourceAccount" = var.source_account_id } }
      },
    )]
  })

  # The data-key statement is the same for every role that reads or writes the stack's encrypted
  # data, so it is derived here from kms_key_arn instead of being written by each caller.
  kms_statements = var.kms_key_arn == null ? [] : [{
    sid        = "UseDataKey"
    effect     = "Allow"
    actions    = var.kms_actions
    resources  = [var.kms_key_arn]
    conditions = []
  }]

  statements = [
    for s in concat(var.policy_statements, local.kms_statements) : merge(
      {
        Sid      = s.sid
        Effect   = s.effect
        Action   = s.actions
        Resource = s.resources
      },
      length(s.conditions) == 0 ? {} : {
        Condition = {
          for test in distinct([for c in s.conditions : c.test]) :
          test => { for c in s.conditions : c.variable => c.values if c.test == test }
        }
      },
    )
  ]

  policy_json = jsonencode({
    Version   = "2012-10-17"
    Statement = local.statements
  })
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = var.description
  path                 = var.path
  assume_role_policy   = local.assume_role_policy
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  count = length(local.statements) > 0 ? 1 : 0

  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = local.policy_json
}

resource "aws_iam_role_policy_attachment" "managed" {
  count = length(var.managed_policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = var.managed_policy_arns[count.index]
}
