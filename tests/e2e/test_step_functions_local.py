"""Step Functions on the local cloud: the ASL runs on moto's interpreter and its tasks reach the
local Lambda workers, the local Glue runner, S3 (aws-sdk integration) and SNS."""

from __future__ import annotations

import json

from tests.e2e.conftest import LocalStack, needs_java
from tests.e2e.test_glue_local import put_partition

pytestmark = needs_java

MARKER = "e2e/sfn-marker.json"


def test_lambda_glue_sync_s3_and_sns_tasks(local_stack: LocalStack) -> None:
    dt, out = "2024-06-01", local_stack.outputs
    put_partition(local_stack, dt, files=3, rows=4)
    definition = {
        "StartAt": "Ping",
        "States": {
            "Ping": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": out["ingest_lambda"], "Payload": {"Event": "s3:TestEvent"}},
                "ResultSelector": {"ingest.$": "$.Payload"},
                "ResultPath": "$.ping",
                "Next": "Compact",
            },
            "Compact": {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Parameters": {
                    "JobName": out["glue_job_name"],
                    "Arguments": {"--RECORD_TYPE": "shipments", "--DT": dt},
                },
                "ResultSelector": {"state.$": "$.JobRunState"},
                "ResultPath": "$.compact",
                "Next": "Marker",
            },
            "Marker": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {
                    "Bucket": out["silver_bucket"],
                    "Key": "e2e/sfn-marker.json",
                    "Body.$": "States.JsonToString($)",
                },
                "ResultPath": None,
                "Next": "Notify",
            },
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": out["alarm_topic_arn"], "Message": "probe finished"},
                "ResultPath": None,
                "End": True,
            },
        },
    }
    sfn = local_stack.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="e2e-probe", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/e2e-probe"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    done = local_stack.wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d,
        timeout=300,
        what="the probe execution",
    )
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["ping"]["ingest"]["ignored"] == 1
    assert output["compact"]["state"] == "SUCCEEDED"
    marker = local_stack.client("s3").get_object(Bucket=out["silver_bucket"], Key=MARKER)["Body"].read()
    assert json.loads(marker)["compact"]["state"] == "SUCCEEDED"
