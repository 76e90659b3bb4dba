"""The authorization checks an API request needs, as AWS makes them: IAM action, resource ARN and
condition keys, read from moto's parsed request (a ``BaseResponse``).

Covered with real resources and conditions: every call our functions make, and the neighbours of
those calls — S3 objects and buckets (``s3:prefix``; CopyObject also needs s3:GetObject on its
source; DeleteObjects needs s3:DeleteObject on each key), SQS queues, DynamoDB tables and indexes
(``dynamodb:LeadingKeys`` from the partition key values of the request, per item of batch and
transaction calls), Glue catalog/database/table/job/crawler, EventBridge buses, CloudWatch
(``cloudwatch:namespace``), Lambda functions, Step Functions state machines and executions, SNS
topics, KMS keys and STS roles. Any other action is checked against the resource ``*``: a statement scoped to ARNs
does not grant it locally (stricter than AWS, never more lenient).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import xmltodict

from localcloud.extensions.iam_policies import Check

#: SigV4 signing names whose IAM prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch"}
#: API names (as moto reports them) whose IAM action differs, per IAM prefix.
IAM_ACTIONS = {
    "s3": {
        "ListObjects": "ListBucket",
        "ListObjectsV2": "ListBucket",
        "HeadBucket": "ListBucket",
        "HeadObject": "GetObject",
        "ListObjectVersions": "ListBucketVersions",
        "DeleteObjects": "DeleteObject",
    },
    "sqs": {
        "SendMessageBatch": "SendMessage",
        "DeleteMessageBatch": "DeleteMessage",
        "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    },
    "lambda": {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeFunction"},
}
#: DynamoDB transaction entries → the IAM action AWS checks for each.
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def checks(response: Any, signing_name: str, region: str, resource: str) -> list[Check]:
    prefix = IAM_PREFIX.get(signing_name, signing_name)
    api = response.data.get("Action") if prefix == "s3" else response._get_action()
    action = f"{prefix}:{IAM_ACTIONS.get(prefix, {}).get(api, api)}"
    arn = Arns(region, response.current_account)
    resolver = RESOLVERS.get(prefix)
    if resolver is None:
        return [Check(action, "*")]
    return resolver(response, action, arn, resource)


class Arns:
    def __init__(self, region: str, account: str) -> None:
        self.region, self.account = region, account

    def of(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        if resource.startswith("arn:"):
            return resource
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"


def _param(response: Any, name: str) -> Any:
    try:
        return response._get_param(name)
    except Exception:  # a parameter the operation's model does not have
        return None


# ---- S3 ----------------------------------------------------------------------------------------


def _s3(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    context: dict[str, list[str]] = {}
    prefix = (response.querystring or {}).get("prefix")
    if prefix is not None and action in {"s3:ListBucket", "s3:ListBucketVersions"}:
        context["s3:prefix"] = [prefix[0] if isinstance(prefix, list) else prefix]
    found = [Check(action, resource, context)]
    source = response.headers.get("x-amz-copy-source")
    if source and action == "s3:PutObject":  # CopyObject / UploadPartCopy read their source
        bucket_key = unquote(source.split("?versionId=")[0]).lstrip("/")
        found.append(Check("s3:GetObject", f"arn:aws:s3:::{bucket_key}"))
    if action == "s3:DeleteObject" and response.method == "POST":  # DeleteObjects: each key
        found = [Check(action, f"{resource}/{key}") for key in _deleted_keys(response.body)]
    return found


def _deleted_keys(body: Any) -> list[str]:
    parsed = xmltodict.parse(body, strip_whitespace=False) if body else {}
    objects = (parsed.get("Delete") or {}).get("Object") or []
    return [o["Key"] for o in (objects if isinstance(objects, list) else [objects])]


# ---- SQS ---------------------------------------------------------------------------------------


def _sqs(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    url = _param(response, "QueueUrl") or ""
    name = url.rstrip("/").rsplit("/", 1)[-1] if url else _param(response, "QueueName")
    return [Check(action, arn.of("sqs", name) if name else "*")]


# ---- DynamoDB ----------------------------------------------------------------------------------


def _hash_key(response: Any, table: str) -> str | None:
    from moto.dynamodb.models import dynamodb_backends

    try:
        return str(dynamodb_backends[response.current_account][response.region].get_table(table).hash_key_attr)
    except Exception:  # no such table: the operation itself fails with ResourceNotFound
        return None


def _scalar(value: Any) -> str | None:
    if isinstance(value, dict):
        for kind in ("S", "N", "B"):
            if kind in value:
                return str(value[kind])
    return None


def _item_key(response: Any, table: str, item: dict[str, Any] | None) -> list[str]:
    attribute = _hash_key(response, table)
    value = _scalar((item or {}).get(attribute)) if attribute else None
    return [value] if value is not None else []


def _query_key(response: Any, table: str, body: dict[str, Any]) -> list[str]:
    """The partition key value of a Query's KeyConditionExpression (or legacy KeyConditions)."""
    attribute = _hash_key(response, table)
    if attribute is None:
        return []
    legacy = (body.get("KeyConditions") or {}).get(attribute)
    if legacy:
        return [v for v in map(_scalar, legacy.get("AttributeValueList") or []) if v is not None]
    names = body.get("ExpressionAttributeNames") or {}
    values = body.get("ExpressionAttributeValues") or {}
    for name, placeholder in re.findall(r"([#\w.]+)\s*=\s*(:\w+)", body.get("KeyConditionExpression") or ""):
        if names.get(name, name) == attribute:
            value = _scalar(values.get(placeholder))
            return [value] if value is not None else []
    return []


def _table_arn(arn: Arns, table: str, index: str | None = None) -> str:
    base = table if table.startswith("arn:") else arn.of("dynamodb", f"table/{table}")
    return f"{base}/index/{index}" if index else base


def _leading(keys: list[str]) -> dict[str, list[str]]:
    return {"dynamodb:leadingkeys": keys} if keys else {}


def _dynamodb(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    body = response.body if isinstance(response.body, dict) else json.loads(response.body or "{}")
    api = action.split(":", 1)[1]
    if api in {"TransactWriteItems", "TransactGetItems"}:
        return [_transact_item(response, arn, entry) for entry in body.get("TransactItems") or []]
    if api in {"BatchWriteItem", "BatchGetItem"}:
        return [
            _batch_table(response, action, arn, table, requests)
            for table, requests in (body.get("RequestItems") or {}).items()
        ]
    table = body.get("TableName")
    if not table:
        return [Check(action, "*")]
    if api == "Query":
        keys = _query_key(response, table, body)
    else:
        keys = _item_key(response, table, body.get("Key") or body.get("Item"))
    return [Check(action, _table_arn(arn, table, body.get("IndexName")), _leading(keys))]


def _transact_item(response: Any, arn: Arns, entry: dict[str, Any]) -> Check:
    kind, request = next(iter(entry.items()))
    table = request["TableName"]
    keys = _item_key(response, table, request.get("Key") or request.get("Item"))
    return Check(f"dynamodb:{TRANSACT_ACTIONS.get(kind, kind)}", _table_arn(arn, table), _leading(keys))


def _batch_table(response: Any, action: str, arn: Arns, table: str, requests: Any) -> Check:
    if isinstance(requests, dict):  # BatchGetItem: {"Keys": [...]}
        items = requests.get("Keys") or []
    else:  # BatchWriteItem: [{"PutRequest": {"Item"}} | {"DeleteRequest": {"Key"}}]
        items = [r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key") for r in requests]
    keys = [k for item in items for k in _item_key(response, table, item)]
    return Check(action, _table_arn(arn, table), _leading(keys))


# ---- Glue, EventBridge, CloudWatch, Lambda, Step Functions, KMS, STS ---------------------------


def _glue(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    job, crawler = _param(response, "JobName"), _param(response, "CrawlerName")
    if job or crawler:
        return [Check(action, arn.of("glue", f"job/{job}" if job else f"crawler/{crawler}"))]
    database = _param(response, "DatabaseName")
    table = _param(response, "TableName") or (_param(response, "TableInput") or {}).get("Name")
    name = _param(response, "Name")
    if database is None and name and action.endswith("Database"):
        database = name
    elif database and name and not table:
        table = name
    found = [Check(action, arn.of("glue", "catalog"))]
    if database:
        found.append(Check(action, arn.of("glue", f"database/{database}")))
    if database and table:
        found.append(Check(action, arn.of("glue", f"table/{database}/{table}")))
    return found


def _bus(arn: Arns, name: str | None) -> str:
    return arn.of("events", f"event-bus/{name or 'default'}")


def _events(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    if action == "events:PutEvents":
        buses = {_bus(arn, e.get("EventBusName")) for e in _param(response, "Entries") or []}
        return [Check(action, bus) for bus in sorted(buses)]
    rule = _param(response, "Rule") or (_param(response, "Name") if "Rule" in action else None)
    bus = _param(response, "EventBusName")
    if rule:
        suffix = f"{bus}/{rule}" if bus and bus != "default" else rule
        return [Check(action, arn.of("events", f"rule/{suffix}"))]
    return [Check(action, _bus(arn, bus))]


def _cloudwatch(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    namespace = _param(response, "Namespace")
    return [Check(action, "*", {"cloudwatch:namespace": [namespace]} if namespace else {})]


def _lambda(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    match = re.search(r"/functions/([^/]+)", unquote(response.path or ""))
    if match is None:
        return [Check(action, "*")]
    name = match.group(1)
    target = name if name.startswith("arn:") else arn.of("lambda", f"function:{name}")
    qualifier = (response.querystring or {}).get("Qualifier")
    if qualifier and target.count(":") == 6:
        target = f"{target}:{qualifier[0]}"
    return [Check(action, target)]


def _states(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    target = _param(response, "stateMachineArn") or _param(response, "executionArn") or "*"
    return [Check(action, target)]


def _kms(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    key = _param(response, "KeyId")
    return [Check(action, arn.of("kms", key if key.startswith("alias/") else f"key/{key}") if key else "*")]


def _sns(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    return [Check(action, _param(response, "TopicArn") or _param(response, "TargetArn") or "*")]


def _sts(response: Any, action: str, arn: Arns, resource: str) -> list[Check]:
    return [Check(action, _param(response, "RoleArn") or "*")]


RESOLVERS: dict[str, Callable[[Any, str, Arns, str], list[Check]]] = {
    "s3": _s3,
    "sqs": _sqs,
    "dynamodb": _dynamodb,
    "glue": _glue,
    "events": _events,
    "cloudwatch": _cloudwatch,
    "lambda": _lambda,
    "states": _states,
    "kms": _kms,
    "sns": _sns,
    "sts": _sts,
}
