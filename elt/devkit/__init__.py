"""The development kit: what tests, the bench and the chaos harness need to run the real handlers
in-process, and nothing the Lambdas import.

* ``events``  — AWS's own event shapes (JSON fixtures under ``events/``) and builders filling them;
* ``handlers`` — the Lambda context object and loading ``lambdas/<name>/app.py`` as Lambda would;
* ``stack``   — the pipeline's resources in a moto account and the environment Terraform gives
  the handlers.
* ``silver_audit`` — silver read through the S3 API as a reader gets it, and its duplicate counts.
"""
