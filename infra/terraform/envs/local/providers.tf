# The local cloud: the AWS provider pointed at the embedded emulator (`make up`). Credentials are
# the emulator's fixed dummy values, not secrets.

variable "local_endpoint" {
  description = "URL of the local cloud (the emulator started by `make up`)."
  type        = string
  default     = "http://127.0.0.1:4599"
}

provider "aws" {
  #checkov:skip=CKV_AWS_41:Fixed dummy credentials of the local emulator; they grant nothing on AWS.
  region     = var.aws_region
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  # The emulator serves STS, so the account id (used in names and ARNs) is real to it.
  skip_requesting_account_id = false
  s3_use_path_style          = true

  endpoints {
    athena             = var.local_endpoint
    cloudwatch         = var.local_endpoint
    dynamodb           = var.local_endpoint
    events             = var.local_endpoint
    firehose           = var.local_endpoint
    glue               = var.local_endpoint
    iam                = var.local_endpoint
    kinesis            = var.local_endpoint
    kms                = var.local_endpoint
    lambda             = var.local_endpoint
    logs               = var.local_endpoint
    redshiftdata       = var.local_endpoint
    redshiftserverless = var.local_endpoint
    s3                 = var.local_endpoint
    sfn                = var.local_endpoint
    sns                = var.local_endpoint
    sqs                = var.local_endpoint
    sts                = var.local_endpoint
  }

  default_tags {
    tags = {
      Project     = coalesce(var.project, "elt")
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
