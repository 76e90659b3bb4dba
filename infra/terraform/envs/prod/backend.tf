# State is LOCAL (envs/prod/terraform.tfstate) until a remote backend is configured, and
# `ENV=prod make tf-init` says so on every run. To keep it in S3 (recommended once more than one
# person applies): create a versioned, encrypted state bucket once, copy backend.hcl.example to
# backend.hcl with its name, uncomment the block below, then run `ENV=prod make tf-init` (it passes
# -backend-config=backend.hcl) and answer yes to migrate existing state. backend.hcl with the block
# still commented out stops tf-init (Terraform would ignore the file). See docs/aws.md.
#
# terraform {
#   backend "s3" {}
# }
