provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = coalesce(var.project, "elt")
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
