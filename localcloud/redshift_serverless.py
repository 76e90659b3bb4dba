"""The Redshift Serverless control plane of the local cloud: namespaces and workgroups as the
provider creates and reads them (status AVAILABLE at once, an endpoint on 127.0.0.1, the managed
admin password as a Secrets Manager secret), with their tags. Nothing runs here: statements go
through the Data API to localcloud/redshift_runner.py.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localcloud.settings import ACCOUNT_ID

TARGET_PREFIX = "RedshiftServerless."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
#: The parameters a new workgroup has (GetWorkgroup lists them, as AWS does).
DEFAULT_CONFIG_PARAMETERS = {
    "auto_mv": "true",
    "datestyle": "ISO, MDY",
    "enable_case_sensitive_identifier": "false",
    "enable_user_activity_logging": "true",
    "query_group": "default",
    "require_ssl": "true",
    "search_path": "$user, public",
    "use_fips_ssl": "false",
    "max_query_execution_time": "14400",
}
DEFAULT_PORT = 5439


class ServerlessError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp)) + f".{int(timestamp % 1 * 1000):03d}Z"


@dataclass
class Namespace:
    name: str
    arn: str
    id: str
    admin_username: str
    db_name: str
    kms_key_id: str
    default_iam_role_arn: str | None
    iam_roles: list[str]
    log_exports: list[str]
    admin_secret_arn: str | None = None
    admin_secret_kms_key_id: str | None = None
    created: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "namespaceName": self.name,
            "namespaceArn": self.arn,
            "namespaceId": self.id,
            "adminUsername": self.admin_username,
            "dbName": self.db_name,
            "kmsKeyId": self.kms_key_id,
            # As GetNamespace lists them: the provider reads the ARN out of this form.
            "iamRoles": [f"IamRole(applyStatus=in-sync, iamRoleArn={arn})" for arn in self.iam_roles],
            "logExports": self.log_exports,
            "status": "AVAILABLE",
            "creationDate": _iso(self.created),
        }
        optional = {
            "defaultIamRoleArn": self.default_iam_role_arn,
            "adminPasswordSecretArn": self.admin_secret_arn,
            "adminPasswordSecretKmsKeyId": self.admin_secret_kms_key_id,
        }
        return found | {k: v for k, v in optional.items() if v}


@dataclass
class Workgroup:
    name: str
    arn: str
    id: str
    namespace_name: str
    base_capacity: int
    max_capacity: int | None
    enhanced_vpc_routing: bool
    publicly_accessible: bool
    subnet_ids: list[str]
    security_group_ids: list[str]
    config_parameters: dict[str, str]
    port: int = DEFAULT_PORT
    created: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "workgroupName": self.name,
            "workgroupArn": self.arn,
            "workgroupId": self.id,
            "namespaceName": self.namespace_name,
            "baseCapacity": self.base_capacity,
            "enhancedVpcRouting": self.enhanced_vpc_routing,
            "publiclyAccessible": self.publicly_accessible,
            "subnetIds": self.subnet_ids,
            "securityGroupIds": self.security_group_ids,
            "configParameters": [{"parameterKey": k, "parameterValue": v} for k, v in self.config_parameters.items()],
            "endpoint": {"address": "127.0.0.1", "port": self.port, "vpcEndpoints": []},
            "port": self.port,
            "status": "AVAILABLE",
            "creationDate": _iso(self.created),
        }
        if self.max_capacity:
            found["maxCapacity"] = self.max_capacity
        return found


@dataclass
class ServerlessBackend:
    """The namespaces, workgroups and tags of one local cloud (one account, one region)."""

    region: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    workgroups: dict[str, Workgroup] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    def arn(self, kind: str) -> tuple[str, str]:
        resource_id = str(uuid.uuid4())
        return f"arn:aws:redshift-serverless:{self.region}:{ACCOUNT_ID}:{kind}/{resource_id}", resource_id

    def namespace(self, name: str) -> Namespace:
        if name not in self.namespaces:
            raise ServerlessError("ResourceNotFoundException", f"Namespace {name} not found")
        return self.namespaces[name]

    def workgroup(self, name: str) -> Workgroup:
        if name not in self.workgroups:
            raise ServerlessError("ResourceNotFoundException", f"Workgroup {name} not found")
        return self.workgroups[name]

    def tag(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        arns = {n.arn for n in self.namespaces.values()} | {w.arn for w in self.workgroups.values()}
        if arn not in arns:
            raise ServerlessError("ResourceNotFoundException", f"Resource {arn} not found")
        self.tags.setdefault(arn, {}).update({t["key"]: t["value"] for t in tags or []})


# ---- the admin password, as AWS manages it -------------------------------------------------------


def _secrets_backend(region: str) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[ACCOUNT_ID][region]


def _create_admin_secret(region: str, namespace: str, username: str, kms_key_id: str | None) -> str:
    """A generated password in Secrets Manager, named as Redshift names it; returns the secret's ARN."""
    value = json.dumps({"username": username, "password": secrets.token_urlsafe(24)})
    backend = _secrets_backend(region)
    backend.create_secret(
        name=f"redshift!{namespace}-{username}",
        secret_string=value,
        secret_binary=None,
        description=f"Admin password of the Redshift Serverless namespace {namespace}",
        tags=[{"Key": "aws:redshift:namespace", "Value": namespace}],
        kms_key_id=kms_key_id,
        client_request_token=None,
        replica_regions=[],
        force_overwrite=False,
    )
    return str(backend.describe_secret(f"redshift!{namespace}-{username}").to_dict()["ARN"])


def _delete_admin_secret(region: str, arn: str) -> None:
    _secrets_backend(region).delete_secret(arn, recovery_window_in_days=None, force_delete_without_recovery=True)


# ---- operations ------------------------------------------------------------------------------------


def _create_namespace(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    name = p["namespaceName"]
    if name in backend.namespaces:
        raise ServerlessError("ConflictException", f"Namespace {name} already exists")
    if p.get("manageAdminPassword") and p.get("adminUserPassword"):
        raise ServerlessError("ValidationException", "You can't use adminUserPassword if manageAdminPassword is true")
    arn, namespace_id = backend.arn("namespace")
    username = p.get("adminUsername") or "admin"
    namespace = Namespace(
        name=name,
        arn=arn,
        id=namespace_id,
        admin_username=username,
        db_name=p.get("dbName") or "dev",
        kms_key_id=p.get("kmsKeyId") or "AWS_OWNED_KMS_KEY",
        default_iam_role_arn=p.get("defaultIamRoleArn"),
        iam_roles=list(p.get("iamRoles") or []),
        log_exports=list(p.get("logExports") or []),
    )
    if p.get("manageAdminPassword"):
        kms = p.get("adminPasswordSecretKmsKeyId")
        namespace.admin_secret_arn = _create_admin_secret(backend.region, name, username, kms)
        namespace.admin_secret_kms_key_id = kms or "AWS_OWNED_KMS_KEY"
    backend.namespaces[name] = namespace
    backend.tag(arn, p.get("tags"))
    return {"namespace": namespace.as_dict()}


_NAMESPACE_UPDATES = {
    "adminUsername": "admin_username",
    "kmsKeyId": "kms_key_id",
    "defaultIamRoleArn": "default_iam_role_arn",
    "iamRoles": "iam_roles",
    "logExports": "log_exports",
}


def _update_namespace(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    namespace = backend.namespace(p["namespaceName"])
    for key, attribute in _NAMESPACE_UPDATES.items():
        if key in p:
            setattr(namespace, attribute, p[key])
    if p.get("manageAdminPassword") and not namespace.admin_secret_arn:
        kms = p.get("adminPasswordSecretKmsKeyId")
        namespace.admin_secret_arn = _create_admin_secret(backend.region, namespace.name, namespace.admin_username, kms)
        namespace.admin_secret_kms_key_id = kms or "AWS_OWNED_KMS_KEY"
    return {"namespace": namespace.as_dict()}


def _delete_namespace(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    namespace = backend.namespace(p["namespaceName"])
    users = [w.name for w in backend.workgroups.values() if w.namespace_name == namespace.name]
    if users:
        raise ServerlessError("ConflictException", f"Namespace {namespace.name} has workgroups: {', '.join(users)}")
    del backend.namespaces[namespace.name]
    backend.tags.pop(namespace.arn, None)
    if namespace.admin_secret_arn:
        _delete_admin_secret(backend.region, namespace.admin_secret_arn)
    return {"namespace": namespace.as_dict() | {"status": "DELETING"}}


def _capacity(p: dict[str, Any], default: int) -> int:
    capacity = int(p.get("baseCapacity") or default)
    if not 8 <= capacity <= 1024 or capacity % 8:
        raise ServerlessError("ValidationException", f"baseCapacity must be 8 to 1024 in steps of 8, was {capacity}")
    return capacity


def _create_workgroup(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    name = p["workgroupName"]
    if name in backend.workgroups:
        raise ServerlessError("ConflictException", f"Workgroup {name} already exists")
    backend.namespace(p["namespaceName"])
    arn, workgroup_id = backend.arn("workgroup")
    parameters = {c["parameterKey"]: c["parameterValue"] for c in p.get("configParameters") or []}
    workgroup = Workgroup(
        name=name,
        arn=arn,
        id=workgroup_id,
        namespace_name=p["namespaceName"],
        base_capacity=_capacity(p, 128),
        max_capacity=p.get("maxCapacity"),
        enhanced_vpc_routing=bool(p.get("enhancedVpcRouting")),
        publicly_accessible=bool(p.get("publiclyAccessible")),
        subnet_ids=list(p.get("subnetIds") or []),
        security_group_ids=list(p.get("securityGroupIds") or []),
        config_parameters=DEFAULT_CONFIG_PARAMETERS | parameters,
        port=int(p.get("port") or DEFAULT_PORT),
    )
    backend.workgroups[name] = workgroup
    backend.tag(arn, p.get("tags"))
    return {"workgroup": workgroup.as_dict()}


_WORKGROUP_UPDATES = {
    "maxCapacity": "max_capacity",
    "enhancedVpcRouting": "enhanced_vpc_routing",
    "publiclyAccessible": "publicly_accessible",
    "subnetIds": "subnet_ids",
    "securityGroupIds": "security_group_ids",
    "port": "port",
}


def _update_workgroup(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    workgroup = backend.workgroup(p["workgroupName"])
    if "baseCapacity" in p:
        workgroup.base_capacity = _capacity(p, workgroup.base_capacity)
    for key, attribute in _WORKGROUP_UPDATES.items():
        if key in p:
            setattr(workgroup, attribute, p[key])
    for parameter in p.get("configParameters") or []:
        workgroup.config_parameters[parameter["parameterKey"]] = parameter["parameterValue"]
    return {"workgroup": workgroup.as_dict()}


def _delete_workgroup(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    workgroup = backend.workgroup(p["workgroupName"])
    del backend.workgroups[workgroup.name]
    backend.tags.pop(workgroup.arn, None)
    return {"workgroup": workgroup.as_dict() | {"status": "DELETING"}}


def _untag(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    backend.tag(p["resourceArn"], [])
    for key in p.get("tagKeys") or []:
        backend.tags[p["resourceArn"]].pop(key, None)
    return {}


def _list_tags(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    backend.tag(p["resourceArn"], [])
    return {"tags": [{"key": k, "value": v} for k, v in backend.tags[p["resourceArn"]].items()]}


def _tag(backend: ServerlessBackend, p: dict[str, Any]) -> dict[str, Any]:
    backend.tag(p["resourceArn"], p.get("tags"))
    return {}


OPERATIONS: dict[str, Callable[[ServerlessBackend, dict[str, Any]], dict[str, Any]]] = {
    "CreateNamespace": _create_namespace,
    "GetNamespace": lambda b, p: {"namespace": b.namespace(p["namespaceName"]).as_dict()},
    "UpdateNamespace": _update_namespace,
    "DeleteNamespace": _delete_namespace,
    "ListNamespaces": lambda b, p: {"namespaces": [n.as_dict() for n in b.namespaces.values()]},
    "CreateWorkgroup": _create_workgroup,
    "GetWorkgroup": lambda b, p: {"workgroup": b.workgroup(p["workgroupName"]).as_dict()},
    "UpdateWorkgroup": _update_workgroup,
    "DeleteWorkgroup": _delete_workgroup,
    "ListWorkgroups": lambda b, p: {"workgroups": [w.as_dict() for w in b.workgroups.values()]},
    "TagResource": _tag,
    "UntagResource": _untag,
    "ListTagsForResource": _list_tags,
}


def handle(backend: ServerlessBackend, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of one Redshift Serverless request."""
    handler = OPERATIONS.get(operation)
    if handler is None:
        error = ServerlessError("UnknownOperationException", f"{operation} is not emulated by the local cloud")
        return error.status, {"__type": error.code, "message": error.message}
    try:
        with backend.lock:
            return 200, handler(backend, params)
    except ServerlessError as error:
        return error.status, {"__type": error.code, "message": error.message}
    except KeyError as missing:
        return 400, {"__type": "ValidationException", "message": f"Missing required parameter {missing}"}
