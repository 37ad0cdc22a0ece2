"""Which IAM permissions each AWS API call needs: the authorization model the IAM tests enforce.

An HTTP request to the emulator becomes an :class:`ApiCall` (service, operation, parameters), and the
model turns it into the permission checks AWS makes for it, each an action on a resource ARN with its
request context. Written from AWS's Service Authorization Reference ("Actions, resources, and condition
keys for ..." per service) and the S3 API reference's "Permissions" sections, for exactly the calls the
generated backend, its worker and ``ops`` make; a call not listed raises :class:`UnmodelledCall`, so a
new AWS call in the product fails the IAM tests until its permission is modelled (and granted).

Checks that AWS makes beyond the action itself are modelled where our calls trigger them:

- S3 ``PutObject``/POST-form uploads with tags also need ``s3:PutObjectTagging``; ``CopyObject`` needs
  ``s3:GetObject`` on the source; ``DeleteObjects`` needs ``s3:DeleteObject`` on each key; ``HeadObject``
  is ``s3:GetObject``. Every S3 request carries ``aws:SecureTransport=true`` (all requests to AWS use TLS).
- ECS ``RegisterTaskDefinition`` passes its task and execution roles (``iam:PassRole`` with
  ``iam:PassedToService=ecs-tasks.amazonaws.com``); it and ``RunTask`` with tags (or propagated tags)
  need ``ecs:TagResource`` with ``ecs:CreateAction``; ``RunTask`` carries ``ecs:cluster``.
- SSM ``SendCommand`` is checked on the document and on each instance, with the instance's tags as
  ``aws:ResourceTag/...``.
- EventBridge Scheduler ``UpdateSchedule`` passes the schedule's target role (``iam:PassRole`` with
  ``iam:PassedToService=scheduler.amazonaws.com``).
- STS ``GetCallerIdentity`` needs no permission.

Not modelled (the tests cannot see these): KMS permissions for SSE-KMS objects (the buckets use the
AWS-managed ``aws/s3`` key, whose key policy grants its use through S3 to the account), service-linked
roles, session policies, permission boundaries and SCPs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree

from support.iam_policy import AuthorizationRequest

TLS = {"aws:SecureTransport": "true"}


class UnmodelledCall(LookupError):
    """An AWS call whose permissions this model does not know."""


@dataclass
class ApiCall:
    """One AWS API request as the emulator received it."""

    service: str  # the signing name: s3, ecs, elasticloadbalancing ...
    operation: str
    region: str
    account: str
    params: dict[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    # S3 only: the bucket and key the path names, and the request body (DeleteObjects lists its keys there).
    bucket: str = ""
    key: str = ""
    body: bytes = b""

    def arn(self, service: str, resource: str, *, account: bool = True, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"


# --- S3 ---------------------------------------------------------------------------------------------

_S3_BUCKET_GET = {
    "location": "GetBucketLocation",
    "versions": "ListObjectVersions",
    "uploads": "ListMultipartUploads",
    "tagging": "GetBucketTagging",
    "policy": "GetBucketPolicy",
    "versioning": "GetBucketVersioning",
    "acl": "GetBucketAcl",
    "cors": "GetBucketCors",
    "lifecycle": "GetBucketLifecycleConfiguration",
    "encryption": "GetBucketEncryption",
}


def s3_operation(method: str, bucket: str, key: str, query: Mapping[str, list[str]], headers: Mapping[str, str]) -> str:
    """The S3 API operation a REST request is (S3 API reference, by method, path and sub-resource)."""
    if not bucket:
        return "ListBuckets"
    if not key:
        if method == "HEAD":
            return "HeadBucket"
        if method == "GET":
            for sub, operation in _S3_BUCKET_GET.items():
                if sub in query:
                    return operation
            return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
        if method == "PUT" and not query:
            return "CreateBucket"
        if method == "DELETE" and not query:
            return "DeleteBucket"
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        if method == "POST" and headers.get("Content-Type", "").startswith("multipart/form-data"):
            return "PostObject"
        raise UnmodelledCall(f"S3 {method} on bucket with {sorted(query)}")
    if method in ("GET", "HEAD"):
        if "tagging" in query:
            return "GetObjectTagging"
        if "uploadId" in query:
            return "ListParts"
        return "HeadObject" if method == "HEAD" else "GetObject"
    if method == "PUT":
        if "tagging" in query:
            return "PutObjectTagging"
        if "uploadId" in query:
            return "UploadPartCopy" if "x-amz-copy-source" in _lower(headers) else "UploadPart"
        if query:
            raise UnmodelledCall(f"S3 PUT object with {sorted(query)}")
        return "CopyObject" if "x-amz-copy-source" in _lower(headers) else "PutObject"
    if method == "DELETE":
        if "tagging" in query:
            return "DeleteObjectTagging"
        if "uploadId" in query:
            return "AbortMultipartUpload"
        return "DeleteObject"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
    raise UnmodelledCall(f"S3 {method} on object with {sorted(query)}")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _object(call: ApiCall, key: str | None = None, bucket: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket or call.bucket}/{key if key is not None else call.key}"


def _s3_bucket_arn(call: ApiCall) -> str:
    return f"arn:aws:s3:::{call.bucket}"


def _s3_checks(call: ApiCall) -> list[AuthorizationRequest]:
    headers = _lower(call.headers)
    on_bucket = {
        "HeadBucket": "s3:ListBucket",
        "ListObjectVersions": "s3:ListBucketVersions",
        "ListMultipartUploads": "s3:ListBucketMultipartUploads",
        "GetBucketLocation": "s3:GetBucketLocation",
        "GetBucketTagging": "s3:GetBucketTagging",
        "GetBucketPolicy": "s3:GetBucketPolicy",
        "GetBucketVersioning": "s3:GetBucketVersioning",
        "GetBucketAcl": "s3:GetBucketAcl",
        "GetBucketCors": "s3:GetBucketCORS",
        "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
        "GetBucketEncryption": "s3:GetEncryptionConfiguration",
        "CreateBucket": "s3:CreateBucket",
        "DeleteBucket": "s3:DeleteBucket",
    }
    on_object = {
        "GetObject": "s3:GetObject",
        "HeadObject": "s3:GetObject",
        "GetObjectTagging": "s3:GetObjectTagging",
        "PutObjectTagging": "s3:PutObjectTagging",
        "DeleteObjectTagging": "s3:DeleteObjectTagging",
        "DeleteObject": "s3:DeleteObject",
        "ListParts": "s3:ListMultipartUploadParts",
        "AbortMultipartUpload": "s3:AbortMultipartUpload",
        "UploadPart": "s3:PutObject",
        "CreateMultipartUpload": "s3:PutObject",
        "CompleteMultipartUpload": "s3:PutObject",
    }
    operation = call.operation
    if operation == "ListBuckets":
        return [AuthorizationRequest("s3:ListAllMyBuckets", "*", TLS)]
    if operation in ("ListObjects", "ListObjectsV2"):
        # s3:prefix is the request's prefix, "" when it names none (the S3 user guide's examples allow
        # listing a bucket's root with s3:prefix "").
        context = {**TLS, "s3:prefix": call.params.get("prefix", "")}
        return [AuthorizationRequest("s3:ListBucket", _s3_bucket_arn(call), context)]
    if operation in on_bucket:
        return [AuthorizationRequest(on_bucket[operation], _s3_bucket_arn(call), TLS)]
    if operation in on_object:
        return [AuthorizationRequest(on_object[operation], _object(call), TLS)]
    if operation == "PutObject":
        checks = [AuthorizationRequest("s3:PutObject", _object(call), TLS)]
        if headers.get("x-amz-tagging"):
            checks.append(AuthorizationRequest("s3:PutObjectTagging", _object(call), TLS))
        return checks
    if operation in ("CopyObject", "UploadPartCopy"):
        source = unquote(headers["x-amz-copy-source"]).lstrip("/").split("?", 1)[0]
        source_bucket, source_key = source.split("/", 1)
        checks = [
            AuthorizationRequest("s3:GetObject", _object(call, source_key, source_bucket), TLS),
            AuthorizationRequest("s3:PutObject", _object(call), TLS),
        ]
        if headers.get("x-amz-tagging-directive", "").upper() == "REPLACE" or headers.get("x-amz-tagging"):
            checks.append(AuthorizationRequest("s3:PutObjectTagging", _object(call), TLS))
        return checks
    if operation == "PostObject":
        key = call.params["key"]
        checks = [AuthorizationRequest("s3:PutObject", _object(call, key), TLS)]
        if call.params.get("tagging"):
            checks.append(AuthorizationRequest("s3:PutObjectTagging", _object(call, key), TLS))
        if call.params.get("acl"):
            checks.append(AuthorizationRequest("s3:PutObjectAcl", _object(call, key), TLS))
        return checks
    if operation == "DeleteObjects":
        keys = [
            element.text or "" for element in ElementTree.fromstring(call.body).iter() if element.tag.endswith("Key")
        ]
        return [AuthorizationRequest("s3:DeleteObject", _object(call, key), TLS) for key in keys]
    raise UnmodelledCall(f"s3:{operation}")


# --- ECS, ECR, logs ---------------------------------------------------------------------------------


def _name(value: str) -> str:
    """A resource's name from its name or ARN."""
    return value.rsplit("/", 1)[-1]


def _cluster_name(call: ApiCall) -> str:
    return _name(call.params.get("cluster", "default"))


def _task_arn(call: ApiCall, task: str) -> str:
    return task if task.startswith("arn:") else call.arn("ecs", f"task/{_cluster_name(call)}/{task}")


def _task_definition_arn(call: ApiCall, reference: str, latest_revision: Callable[[str], int]) -> str:
    if reference.startswith("arn:"):
        return reference
    family, _, revision = reference.partition(":")
    return call.arn("ecs", f"task-definition/{family}:{revision or latest_revision(family)}")


@dataclass
class World:
    """What the model reads from the emulator's state: the latest revision of a task-definition family, and
    an instance's tags (for ``aws:ResourceTag`` conditions)."""

    latest_revision: Callable[[str], int]
    instance_tags: Callable[[str], dict[str, str]]


def _ecs_checks(call: ApiCall, world: World) -> list[AuthorizationRequest]:
    operation, params = call.operation, call.params
    on_anything = {"DescribeTaskDefinition", "ListTaskDefinitions"}
    if operation in on_anything:
        return [AuthorizationRequest(f"ecs:{operation}", "*")]
    if operation == "DescribeServices":
        return [
            AuthorizationRequest("ecs:DescribeServices", call.arn("ecs", f"service/{_cluster_name(call)}/{_name(s)}"))
            for s in params["services"]
        ]
    if operation == "UpdateService":
        service = call.arn("ecs", f"service/{_cluster_name(call)}/{_name(params['service'])}")
        return [AuthorizationRequest("ecs:UpdateService", service)]
    if operation in ("DescribeTasks", "StopTask"):
        tasks = params["tasks"] if operation == "DescribeTasks" else [params["task"]]
        return [AuthorizationRequest(f"ecs:{operation}", _task_arn(call, task)) for task in tasks]
    if operation == "RegisterTaskDefinition":
        family = params["family"]
        checks = [AuthorizationRequest("ecs:RegisterTaskDefinition", "*")]
        for role_field in ("taskRoleArn", "executionRoleArn"):
            if params.get(role_field):
                context = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
                checks.append(AuthorizationRequest("iam:PassRole", params[role_field], context))
        if params.get("tags"):
            created = call.arn("ecs", f"task-definition/{family}:{world.latest_revision(family) + 1}")
            checks.append(
                AuthorizationRequest("ecs:TagResource", created, {"ecs:CreateAction": "RegisterTaskDefinition"})
            )
        return checks
    if operation == "RunTask":
        cluster_arn = call.arn("ecs", f"cluster/{_cluster_name(call)}")
        definition = _task_definition_arn(call, params["taskDefinition"], world.latest_revision)
        checks = [AuthorizationRequest("ecs:RunTask", definition, {"ecs:cluster": cluster_arn})]
        overrides = params.get("overrides", {})
        for role_field in ("taskRoleArn", "executionRoleArn"):
            if overrides.get(role_field):
                context = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
                checks.append(AuthorizationRequest("iam:PassRole", overrides[role_field], context))
        if params.get("tags") or params.get("propagateTags") in ("TASK_DEFINITION", "SERVICE"):
            created = call.arn("ecs", f"task/{_cluster_name(call)}/new-task")
            checks.append(AuthorizationRequest("ecs:TagResource", created, {"ecs:CreateAction": "RunTask"}))
        return checks
    raise UnmodelledCall(f"ecs:{operation}")


def _ecr_checks(call: ApiCall) -> list[AuthorizationRequest]:
    if call.operation == "GetAuthorizationToken":
        return [AuthorizationRequest("ecr:GetAuthorizationToken", "*")]
    if "repositoryName" in call.params:
        registry = call.params.get("registryId", call.account)
        repository = f"arn:aws:ecr:{call.region}:{registry}:repository/{call.params['repositoryName']}"
        return [AuthorizationRequest(f"ecr:{call.operation}", repository)]
    raise UnmodelledCall(f"ecr:{call.operation}")


def _logs_checks(call: ApiCall) -> list[AuthorizationRequest]:
    group = call.params.get("logGroupName") or _name(call.params.get("logGroupIdentifier", ""))
    group_arn = call.arn("logs", f"log-group:{group}")
    if call.operation == "FilterLogEvents":
        return [AuthorizationRequest("logs:FilterLogEvents", group_arn)]
    if call.operation == "GetLogEvents":
        stream = f"{group_arn}:log-stream:{call.params['logStreamName']}"
        return [AuthorizationRequest("logs:GetLogEvents", stream)]
    raise UnmodelledCall(f"logs:{call.operation}")


def _secretsmanager_checks(call: ApiCall) -> list[AuthorizationRequest]:
    # The secret's ARN is the resource (its name ends in "-" and six random characters); ops names secrets by ARN,
    # the form its Terraform outputs give. A bare name would need the secret's random suffix looked up first.
    secret = call.params.get("SecretId", "")
    if call.operation == "GetSecretValue" and secret.startswith("arn:"):
        return [AuthorizationRequest("secretsmanager:GetSecretValue", secret)]
    raise UnmodelledCall(f"secretsmanager:{call.operation} ({secret or 'no SecretId'})")


def _scheduler_checks(call: ApiCall) -> list[AuthorizationRequest]:
    schedule = call.arn("scheduler", f"schedule/{call.params['GroupName']}/{call.params['Name']}")
    if call.operation == "GetSchedule":
        return [AuthorizationRequest("scheduler:GetSchedule", schedule)]
    if call.operation == "UpdateSchedule":
        # The schedule's target role is passed to Scheduler (a dependent action of UpdateSchedule).
        role = (call.params.get("Target") or {}).get("RoleArn", "")
        return [
            AuthorizationRequest("scheduler:UpdateSchedule", schedule),
            AuthorizationRequest("iam:PassRole", role, {"iam:PassedToService": "scheduler.amazonaws.com"}),
        ]
    raise UnmodelledCall(f"scheduler:{call.operation}")


# --- Query-protocol services --------------------------------------------------------------------------


def _indexed(params: Mapping[str, Any], prefix: str) -> list[str]:
    """``Prefix.member.1``/``Prefix.1`` ... values of a query-protocol list parameter, in order."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\.member)?\.(\d+)$")
    found = sorted((int(match.group(2)), value) for name, value in params.items() if (match := pattern.match(name)))
    return [value for _, value in found]


def _rds_checks(call: ApiCall) -> list[AuthorizationRequest]:
    params = call.params
    instance = params.get("DBInstanceIdentifier")
    db_arn = call.arn("rds", f"db:{instance}") if instance else call.arn("rds", "db:*")
    if call.operation == "DescribeDBInstances":
        return [AuthorizationRequest("rds:DescribeDBInstances", db_arn)]
    if call.operation == "DescribeDBSnapshots":
        if params.get("DBSnapshotIdentifier"):
            return [
                AuthorizationRequest(
                    "rds:DescribeDBSnapshots", call.arn("rds", f"snapshot:{params['DBSnapshotIdentifier']}")
                )
            ]
        return [AuthorizationRequest("rds:DescribeDBSnapshots", db_arn)]
    if call.operation == "DescribeDBInstanceAutomatedBackups":
        return [AuthorizationRequest("rds:DescribeDBInstanceAutomatedBackups", db_arn)]
    if call.operation == "CreateDBSnapshot":
        snapshot = call.arn("rds", f"snapshot:{params['DBSnapshotIdentifier']}")
        checks = [
            AuthorizationRequest("rds:CreateDBSnapshot", db_arn),
            AuthorizationRequest("rds:CreateDBSnapshot", snapshot),
        ]
        if _indexed(params, "Tags") or any(name.startswith("Tags.") for name in params):
            checks.append(AuthorizationRequest("rds:AddTagsToResource", snapshot))
        return checks
    raise UnmodelledCall(f"rds:{call.operation}")


def _ssm_checks(call: ApiCall, world: World) -> list[AuthorizationRequest]:
    if call.operation == "GetCommandInvocation":
        return [AuthorizationRequest("ssm:GetCommandInvocation", "*")]
    if call.operation == "SendCommand":
        document = call.params["DocumentName"]
        document_arn = (
            document
            if document.startswith("arn:")
            else call.arn("ssm", f"document/{document}", account=not document.startswith("AWS-"))
        )
        checks = [AuthorizationRequest("ssm:SendCommand", document_arn)]
        if call.params.get("Targets"):
            raise UnmodelledCall("ssm:SendCommand with Targets")
        for instance in call.params.get("InstanceIds", []):
            tags = {f"aws:ResourceTag/{name}": value for name, value in world.instance_tags(instance).items()}
            checks.append(AuthorizationRequest("ssm:SendCommand", call.arn("ec2", f"instance/{instance}"), tags))
        return checks
    raise UnmodelledCall(f"ssm:{call.operation}")


_ON_ANY_RESOURCE = {
    # Actions the Service Authorization Reference lists without a resource type: authorised on "*".
    ("ec2", "DescribeInstances"),
    ("elasticloadbalancing", "DescribeTargetHealth"),
    ("elasticloadbalancing", "DescribeTargetGroups"),
    ("elasticloadbalancing", "DescribeLoadBalancers"),
    ("application-autoscaling", "DescribeScalableTargets"),
    ("application-autoscaling", "RegisterScalableTarget"),
}


def authorization_requests(call: ApiCall, world: World) -> list[AuthorizationRequest]:
    """Every permission check AWS makes for the call (empty for calls that need none)."""
    if (call.service, call.operation) == ("sts", "GetCallerIdentity"):
        return []
    if (call.service, call.operation) in _ON_ANY_RESOURCE:
        return [AuthorizationRequest(f"{call.service}:{call.operation}", "*")]
    if call.service == "s3":
        return _s3_checks(call)
    if call.service == "ecs":
        return _ecs_checks(call, world)
    if call.service == "ecr":
        return _ecr_checks(call)
    if call.service == "logs":
        return _logs_checks(call)
    if call.service == "rds":
        return _rds_checks(call)
    if call.service == "ssm":
        return _ssm_checks(call, world)
    if call.service == "secretsmanager":
        return _secretsmanager_checks(call)
    if call.service == "scheduler":
        return _scheduler_checks(call)
    raise UnmodelledCall(f"{call.service}:{call.operation}")


def parse_json_body(body: bytes) -> dict[str, Any]:
    return json.loads(body or b"{}")


def parse_query_body(body: bytes, query: str) -> dict[str, str]:
    merged = {
        **parse_qs(query, keep_blank_values=True),
        **parse_qs(body.decode(errors="replace"), keep_blank_values=True),
    }
    return {name: values[0] for name, values in merged.items()}
