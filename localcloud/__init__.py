"""The local cloud: an embedded AWS emulator (moto server) plus a runtime that executes what
Terraform deployed to it — Lambda functions from their zips, S3/SQS/EventBridge triggers, Step
Functions executions and Glue runs — on one machine, without Docker or an AWS account."""
