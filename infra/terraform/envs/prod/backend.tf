# State is local until a remote backend is configured. To keep it in S3 (recommended for a shared
# prod): create a versioned, encrypted state bucket once, copy backend.hcl.example to backend.hcl
# with its name, uncomment the block below, then run `ENV=prod make tf-init` (it passes
# -backend-config=backend.hcl when that file exists) and answer yes to migrate existing state.
#
# terraform {
#   backend "s3" {}
# }
