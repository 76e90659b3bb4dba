"""Step Functions on the local cloud: the ASL runs on moto's interpreter and its tasks reach the
local Lambda workers, the local Glue runner, S3 (aws-sdk integration) and SNS."""

from __future__ import annotations

import json

from localcloud.settings import ACCOUNT_ID
from tests.e2e.conftest import LocalStack, needs_java
from tests.e2e.test_glue_local import put_partition

pytestmark = needs_java

MARKER = "e2e/sfn-marker.json"


def probe_role(stack: LocalStack) -> str:
    """The probe's role: Step Functions may assume it, and it may make the probe's task calls only
    (the local cloud authorizes each task call against it, as AWS does)."""
    out, prefix = stack.outputs, f"arn:aws:{{}}:us-east-1:{ACCOUNT_ID}"
    statements = [
        ("lambda:InvokeFunction", f"{prefix.format('lambda')}:function:{out['ingest_lambda']}"),
        ("glue:StartJobRun", f"{prefix.format('glue')}:job/{out['glue_job_name']}"),
        ("glue:GetJobRun", f"{prefix.format('glue')}:job/{out['glue_job_name']}"),
        ("s3:PutObject", f"arn:aws:s3:::{out['silver_bucket']}/{MARKER}"),
        ("sns:Publish", out["alarm_topic_arn"]),
    ]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource} for action, resource in statements],
    }
    service = {"Service": "states.amazonaws.com"}
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": service, "Action": "sts:AssumeRole"}],
    }
    iam = stack.client("iam")
    role = iam.create_role(RoleName="e2e-probe", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="e2e-probe", PolicyName="probe", PolicyDocument=json.dumps(policy))
    return str(role)


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
        name="e2e-probe", definition=json.dumps(definition), roleArn=probe_role(local_stack)
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
