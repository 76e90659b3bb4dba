terraform {
  # 1.10: the dev/prod S3 backend locks with use_lockfile (envs/<env>/backend.hcl.example).
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}
