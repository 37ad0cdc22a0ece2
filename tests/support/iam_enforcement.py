"""Enforce IAM policies in the emulator for chosen access keys, so the application runs under its real role.

Why not moto's own enforcement (``INITIAL_NO_AUTH_ACTION_COUNT``, checked in moto 5.2.5's
``moto/core/authorization.py`` and ``moto/iam/access_control.py``): it is one switch for the whole
process, so it would also refuse Terraform's and the other tests' calls in the session emulator; it
checks only S3 requests against a resource (every other service against ``*``, which no scoped
statement matches); any ``Condition`` in an identity policy turns a matching statement into a *deny*
(it evaluates identity policies with no request context); a presigned POST upload is not authorised at
all; ``DeleteObjects`` is checked on the bucket instead of each key, and a refusal there only reports
per-key errors; ``CopyObject`` never checks the source. It would prove little about these policies.

Instead this module wraps the emulator's WSGI application: a request signed with an access key
registered here (header, presigned query or POST form ``x-amz-credential``) is turned into the
permission checks AWS makes for it (``support/iam_requests.py``) and each is decided by an evaluator
written from the IAM documentation (``support/iam_policy.py``) against the role's own policy documents
(read from the applied stack, never copied) and, for S3, the bucket's policy. A refused request gets
AWS's ``AccessDenied`` error in the service's protocol before moto sees it, so the application's real
code meets the refusal exactly as on AWS. Requests with other keys (Terraform, the tests' own clients)
pass untouched. Every decision is recorded for the tests to assert on.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

from support.iam_policy import Decision, evaluate
from support.iam_requests import (
    ApiCall,
    UnmodelledCall,
    World,
    authorization_requests,
    parse_json_body,
    parse_query_body,
    s3_operation,
)

if TYPE_CHECKING:
    from support.stacks import StackCycle

ACCOUNT_ID = "123456789012"
# Services whose API is REST with JSON bodies (errors in x-amzn-ErrorType) among those ops calls.
REST_JSON_SERVICES = {"scheduler"}


@dataclass(frozen=True)
class Principal:
    """A role as the enforcement sees it: its ARN and the policy documents attached to it."""

    arn: str
    policies: tuple[Mapping[str, Any], ...]


@dataclass
class CallRecord:
    """One request of an enforced principal and how it was decided."""

    access_key: str
    call: str
    decisions: list[Decision] = field(default_factory=list)
    unmodelled: str = ""

    @property
    def allowed(self) -> bool:
        return not self.unmodelled and all(decision.allowed for decision in self.decisions)

    def __str__(self) -> str:
        if self.unmodelled:
            return f"{self.call}: UNMODELLED ({self.unmodelled})"
        checks = ", ".join(
            f"{d.request.action} on {d.request.resource} -> {d.effect.value} {list(d.statements)}"
            for d in self.decisions
        )
        return f"{self.call}: {checks or 'no permission needed'}"


@dataclass
class Enforcement:
    """The access keys under enforcement and the record of their calls."""

    principals: dict[str, Principal] = field(default_factory=dict)
    records: list[CallRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls_of(self, access_key: str) -> list[CallRecord]:
        with self.lock:
            return [record for record in self.records if record.access_key == access_key]


ENFORCEMENT = Enforcement()


@contextmanager
def enforced(access_key: str, principal: Principal) -> Iterator[list[CallRecord]]:
    """Enforce the principal's policies on requests signed with the key for the block; yields its call records."""
    install()
    with ENFORCEMENT.lock:
        ENFORCEMENT.principals[access_key] = principal
        ENFORCEMENT.records = [record for record in ENFORCEMENT.records if record.access_key != access_key]
    records: list[CallRecord] = []
    try:
        yield records
    finally:
        with ENFORCEMENT.lock:
            ENFORCEMENT.principals.pop(access_key, None)
        records.extend(ENFORCEMENT.calls_of(access_key))


def live_records(access_key: str) -> list[CallRecord]:
    """The records so far of a key under enforcement."""
    return ENFORCEMENT.calls_of(access_key)


# --- Reading the request --------------------------------------------------------------------------


def _credential(environ: Mapping[str, Any], query: Mapping[str, list[str]], form: Mapping[str, str]) -> str:
    """The SigV4 credential scope (key/date/region/service/aws4_request) the request is signed with.

    S3 also takes SigV2 (header ``AWS key:signature``, query or form ``AWSAccessKeyId``), which has no
    scope: those are S3 requests, whose permission checks do not depend on the region.
    """
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in authorization:
        return authorization.split("Credential=", 1)[1].split(",", 1)[0]
    if "X-Amz-Credential" in query:
        return query["X-Amz-Credential"][0]
    if form.get("x-amz-credential"):
        return form["x-amz-credential"]
    if authorization.startswith("AWS "):
        version2_key = authorization[4:].split(":", 1)[0]
    else:
        version2_key = query.get("AWSAccessKeyId", [""])[0] or form.get("awsaccesskeyid", "")
    return f"{version2_key}/-/us-east-1/s3/aws4_request" if version2_key else ""


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {name[5:].replace("_", "-").title(): value for name, value in environ.items() if name.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return headers


def _read_body(environ: dict[str, Any]) -> bytes:
    length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    body = (
        stream.read(int(length))
        if length.isdigit()
        else (stream.read() if environ.get("wsgi.input_terminated") else b"")
    )
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _form_fields(environ: Mapping[str, Any], body: bytes) -> dict[str, str]:
    """The text fields of a multipart POST form (a browser's presigned upload)."""
    from werkzeug.formparser import parse_form_data

    copy = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    _, form, _ = parse_form_data(copy)
    return {name.lower(): value for name, value in form.items()}


def _api_call(environ: Mapping[str, Any], body: bytes, credential: str, form: Mapping[str, str]) -> ApiCall:
    _, _, region, service, _ = credential.split("/")
    headers = _headers(environ)
    query_string = environ.get("QUERY_STRING", "")
    if service == "s3":
        path = environ.get("PATH_INFO", "/").lstrip("/")
        bucket, _, key = path.partition("/")
        query = parse_qs(query_string, keep_blank_values=True)
        operation = s3_operation(environ["REQUEST_METHOD"], bucket, key, query, headers)
        # A browser's POST carries its parameters in the form; every other request in the query string.
        params = dict(form) or {name: values[-1] for name, values in query.items()}
        return ApiCall(service, operation, region, ACCOUNT_ID, params, headers, bucket, key, body)
    target = headers.get("X-Amz-Target")
    if target:
        return ApiCall(service, target.rsplit(".", 1)[-1], region, ACCOUNT_ID, parse_json_body(body), headers)
    if service == "scheduler":
        return _scheduler_call(environ, body, region)
    params = parse_query_body(body, query_string)
    if "Action" in params:
        return ApiCall(service, params["Action"], region, ACCOUNT_ID, params, headers)
    raise UnmodelledCall(f"{service} {environ['REQUEST_METHOD']} {environ.get('PATH_INFO')} (REST protocol)")


def _scheduler_call(environ: Mapping[str, Any], body: bytes, region: str) -> ApiCall:
    """EventBridge Scheduler's REST routes ops uses: GET (GetSchedule) and PUT (UpdateSchedule) /schedules/NAME."""
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    operations = {"GET": "GetSchedule", "PUT": "UpdateSchedule"}
    if not path.startswith("/schedules/") or method not in operations:
        raise UnmodelledCall(f"scheduler {method} {path}")
    params = parse_json_body(body)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    group = params.get("GroupName") or query.get("groupName", ["default"])[0]
    params.update(Name=unquote(path.removeprefix("/schedules/")), GroupName=group)
    return ApiCall("scheduler", operations[method], region, ACCOUNT_ID, params, _headers(environ))


def _world(region: str) -> World:
    from moto.ec2.models import ec2_backends
    from moto.ecs.models import ecs_backends

    def latest_revision(family: str) -> int:
        revisions = ecs_backends[ACCOUNT_ID][region].task_definitions.get(family, {})
        return max(revisions, default=0)

    def instance_tags(instance_id: str) -> dict[str, str]:
        return dict(ec2_backends[ACCOUNT_ID][region].tags.get(instance_id, {}))

    return World(latest_revision=latest_revision, instance_tags=instance_tags)


def _bucket_policies(call: ApiCall) -> list[Mapping[str, Any]]:
    if call.service != "s3" or not call.bucket:
        return []
    from moto.s3.models import s3_backends

    bucket = s3_backends[ACCOUNT_ID]["aws"].buckets.get(call.bucket)
    return [json.loads(bucket.policy)] if bucket is not None and bucket.policy else []


# --- Refusing ---------------------------------------------------------------------------------------


def _denied(call: ApiCall | None, service: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    text = escape(message)
    if service == "s3":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>{text}</Message></Error>"
        )
        return "403 Forbidden", [("Content-Type", "application/xml")], body.encode()
    if call is not None and "X-Amz-Target" in call.headers:
        document = json.dumps({"__type": "AccessDeniedException", "message": message})
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", "AccessDeniedException")]
        return "400 Bad Request", headers, document.encode()
    if service in REST_JSON_SERVICES:
        document = json.dumps({"Message": message})
        return (
            "403 Forbidden",
            [("Content-Type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")],
            (document.encode()),
        )
    if service == "ec2":
        error = f"<Error><Code>UnauthorizedOperation</Code><Message>{text}</Message></Error>"
        body = f"<Response><Errors>{error}</Errors></Response>"
        return "403 Forbidden", [("Content-Type", "text/xml")], body.encode()
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        f"<Message>{text}</Message></Error><RequestId>iam-enforcement</RequestId></ErrorResponse>"
    )
    return "403 Forbidden", [("Content-Type", "text/xml")], body.encode()


def _decide(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """None to pass the request on; a response to refuse it."""
    if not ENFORCEMENT.principals:
        return None
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    body = b""
    form: dict[str, str] = {}
    if environ.get("REQUEST_METHOD") == "POST" and environ.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        body = _read_body(environ)
        form = _form_fields(environ, body)
    credential = _credential(environ, query, form)
    access_key = credential.split("/", 1)[0]
    principal = ENFORCEMENT.principals.get(access_key)
    if principal is None:
        return None
    if not body:
        body = _read_body(environ)
    service = credential.split("/")[3]
    call: ApiCall | None = None
    record = CallRecord(access_key, f"{service} {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}")
    try:
        call = _api_call(environ, body, credential, form)
        record.call = f"{service}:{call.operation}" + (
            f" {call.bucket}/{call.key or form.get('key', '')}" if call.bucket else ""
        )
        requests = authorization_requests(call, _world(call.region))
        record.decisions = [
            evaluate(request, principal.policies, principal_arn=principal.arn, resource_policies=_bucket_policies(call))
            for request in requests
        ]
    except UnmodelledCall as error:
        record.unmodelled = str(error)
    with ENFORCEMENT.lock:
        ENFORCEMENT.records.append(record)
    if record.allowed:
        return None
    refused = next((d for d in record.decisions if not d.allowed), None)
    reason = (
        f"{principal.arn} is not authorized to perform: {refused.request.action} "
        f"on resource: {refused.request.resource}"
        if refused
        else f"no IAM model for {record.unmodelled}"
    )
    return _denied(call, service, reason)


_installed = False


def install() -> None:
    """Wrap moto's WSGI dispatcher once per process (the emulator serves in this process)."""
    global _installed
    if _installed:
        return
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatch = DomainDispatcherApplication.__call__

    def enforcing_dispatch(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        refusal = _decide(environ)
        if refusal is None:
            return dispatch(self, environ, start_response)
        status, headers, body = refusal
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    DomainDispatcherApplication.__call__ = enforcing_dispatch  # type: ignore[method-assign]
    _installed = True


def role_principal(iam: Any, role_name: str) -> Principal:
    """The role's inline and attached policy documents, read from the IAM the stack was applied to."""
    role = iam.get_role(RoleName=role_name)["Role"]
    documents: list[Mapping[str, Any]] = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        documents.append(_document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]))
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
        documents.append(_document(version["PolicyVersion"]["Document"]))
    return Principal(arn=role["Arn"], policies=tuple(documents))


def planned_deploy_principal(stack: StackCycle) -> Principal:
    """The deploy role's policy as the stack's own bootstrap renders it with a GitHub owner.

    A stack generated without one has no GitHub roles; planning the same bootstrap with ``github_owner``
    set gives the document Terraform would create for it.
    """
    plan = stack.bootstrap_stack.plan_json("-var", "github_owner=acme-corp")
    resources = plan["planned_values"]["root_module"]["resources"]
    [policy] = [entry["values"]["policy"] for entry in resources if entry["address"] == "aws_iam_role_policy.deploy[0]"]
    role = stack.names.shared()["iam_deploy_role"]
    return Principal(f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", (json.loads(policy),))


def _document(document: Any) -> Mapping[str, Any]:
    return json.loads(document) if isinstance(document, str) else document
