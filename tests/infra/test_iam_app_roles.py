"""The app's roles, as the stacks applied them, against every S3 call the backend and its worker really make.

The generated backend's production processes (granian for HTTP, the Celery worker) run on PostgreSQL and
Redis as in ``tests/template/test_backend_processes.py``, with files in the applied stack's own media
bucket in the session emulator, signed with an access key the emulator holds to one role's policies:
the ECS task role (every ECS container runs with it) or the EC2 host's instance role (every compose
service on the host gets its credentials). The policies are read back from the applied stack's IAM,
inline and attached; the bucket's own policy (TLS only) takes part as on AWS. support/iam_enforcement.py
says how each request is judged and why not by moto's own enforcement; a refused request gets S3's
``AccessDenied``, so the backend meets a missing permission exactly where it would on AWS.

A client goes through the whole file flow: the presigned POST upload (signed by the role, carrying the
pending tag), completion (HEAD, copy without the tag, delete of the incoming object), the worker's read,
the presigned download, deletion, and the readiness check's bucket probe. Then the same credentials try
what the role must not do. Not covered here: the task role's Secrets Manager read of the rotating
database password (the processes use a plain ``DATABASE_URL``), ECS Exec channels and the host's
CloudWatch agent, ECR pulls and log writes (the container runtime's, not the app's).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from support.backend import create_database
from support.commands import web_command, worker_command
from support.iam_enforcement import CallRecord, Principal, enforced, role_principal
from support.iam_policy import AuthorizationRequest, evaluate
from support.processes import background
from support.projects import run, uv_environment
from support.services import Services, free_port, wait_for_port
from support.stacks import StackCycle

pytestmark = [pytest.mark.xdist_group("infra-apply"), pytest.mark.services]

CONTENT = b"id,name\n1,Ada\n2,Grace\n"
PROCESSING_WAIT_SECONDS = 60
READINESS_TOKEN = "iam-" + uuid.uuid4().hex


@dataclass(frozen=True)
class AppRole:
    """One target's app role and the bucket it is for."""

    target: str
    principal: Principal
    bucket: str
    access_key: str
    stack: StackCycle


def _app_role(stack: StackCycle, role_key: str, target: str) -> AppRole:
    names = stack.environment_names
    principal = role_principal(stack.emulator.client("iam"), names[role_key])
    access_key = f"AKIAIAMTEST{target.upper():0<9}"[:20]
    return AppRole(target, principal, names["media_bucket"], access_key, stack)


@pytest.fixture(params=["ecs", "ec2"])
def app_role(request: pytest.FixtureRequest) -> AppRole:
    """The ECS task role or the EC2 instance role, with its stack's media bucket."""
    if request.param == "ecs":
        return _app_role(request.getfixturevalue("ecs_stack"), "iam_task_role", "ecs")
    return _app_role(request.getfixturevalue("ec2_stack"), "iam_instance_role", "ec2")


def _environment(role: AppRole, services: Services, web_port: int) -> dict[str, str]:
    return {
        **uv_environment(),
        "ENVIRONMENT": "prod",
        "SECRET_KEY": "iam-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SERVED_OVER_HTTPS": "false",
        "DATABASE_URL": create_database(services.database_url, prefix="iam"),
        "DB_REQUIRE_SSL": "false",
        "REDIS_URL": services.redis_url,
        "AWS_STORAGE_BUCKET_NAME": role.bucket,
        "AWS_S3_ENDPOINT_URL": role.stack.emulator.endpoint,
        "AWS_REGION": role.stack.emulator.region,
        "AWS_ACCESS_KEY_ID": role.access_key,
        "AWS_SECRET_ACCESS_KEY": "iam-test-app-role-secret",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(web_port),
        "READINESS_TOKEN": READINESS_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }


def _wait_for_status(api: str, headers: dict[str, str], file_id: str, wanted: str) -> dict[str, Any]:
    """Poll the file until the worker has recorded its result (or the wait runs out)."""
    deadline = time.monotonic() + PROCESSING_WAIT_SECONDS
    while True:
        described = requests.get(f"{api}/files/{file_id}/", headers=headers, timeout=10).json()
        if described["status"] == wanted or time.monotonic() > deadline:
            return dict(described)
        time.sleep(0.2)


@dataclass
class FlowResult:
    """What the client saw and every S3 call the processes made."""

    records: list[CallRecord]
    steps: dict[str, Any]


def _run_file_flow(role: AppRole, python: Path, backend: Path, services: Services, logs: Path) -> FlowResult:
    binaries = python.parent
    web_port = free_port()
    environment = _environment(role, services, web_port)
    run([str(python), "manage.py", "migrate", "--noinput"], backend, env=environment)
    steps: dict[str, Any] = {}
    with enforced(role.access_key, role.principal) as records, ExitStack() as stack:
        processes = {
            name: stack.enter_context(background(command, backend, environment, logs / f"{name}.log"))
            for name, command in {"web": web_command(binaries), "worker": worker_command(binaries)}.items()
        }
        wait_for_port(web_port)
        api = f"http://127.0.0.1:{web_port}/api"
        ready = requests.get(f"{api}/health/ready/", headers={"X-Readiness-Token": READINESS_TOKEN}, timeout=10)
        steps["ready"] = (ready.status_code, ready.json()["components"]["storage"])

        credentials = {"email": f"iam-{role.target}@example.com", "password": "correct-horse-battery-staple"}
        assert requests.post(f"{api}/auth/register/", json=credentials, timeout=10).status_code == 201
        tokens = requests.post(f"{api}/auth/token/", json=credentials, timeout=10).json()
        headers = {"Authorization": f"Bearer {tokens['access']}"}
        upload = {"filename": "people.csv", "content_type": "text/csv", "size": len(CONTENT)}
        ticket = requests.post(f"{api}/files/uploads/", headers=headers, json=upload, timeout=10).json()
        form = ticket["upload"]
        posted = requests.post(form["url"], data=form["fields"], files={"file": ("people.csv", CONTENT)}, timeout=10)
        steps["upload"] = posted.status_code
        file_id = ticket["file"]["id"]
        steps["complete"] = requests.post(f"{api}/files/{file_id}/complete/", headers=headers, timeout=10).status_code
        steps["processed"] = _wait_for_status(api, headers, file_id, "processed")
        download = requests.get(f"{api}/files/{file_id}/download/", headers=headers, timeout=10).json()
        steps["download"] = requests.get(download["url"], timeout=10).content
        steps["delete"] = requests.delete(f"{api}/files/{file_id}/", headers=headers, timeout=10).status_code
        for name, process in processes.items():
            assert process.poll() is None, f"{name} exited: {(logs / f'{name}.log').read_text()[-3000:]}"
    return FlowResult(records, steps)


@pytest.fixture
def flow(
    app_role: AppRole,
    generated_projects: dict[str, Path],
    installed_backends: dict[str, Path],
    services: Services,
    tmp_path: Path,
) -> FlowResult:
    """The whole file flow of the default project's backend, signed as the role."""
    python = installed_backends["default"]
    return _run_file_flow(app_role, python, generated_projects["default"] / "backend", services, tmp_path)


def test_the_file_flow_works_under_the_role_with_every_call_allowed(app_role: AppRole, flow: FlowResult) -> None:
    """Upload, completion, processing, download, deletion and readiness all succeed, and every S3 call
    the web process, the browser's form post and the worker made was allowed by the role's policies."""
    report = "\n".join(str(record) for record in flow.records)
    steps = flow.steps
    assert (steps["ready"][0], steps["ready"][1]["detail"]) == (200, f"s3://{app_role.bucket}"), report
    assert steps["upload"] in (200, 201, 204) and steps["complete"] == 200, (steps, report)
    assert steps["processed"]["status"] == "processed", (steps["processed"], report)
    assert steps["download"] == CONTENT and steps["delete"] == 204, (steps, report)
    assert [str(record) for record in flow.records if not record.allowed] == [], report
    operations = {record.call.split()[0] for record in flow.records}
    expected = {"s3:HeadBucket", "s3:PostObject", "s3:HeadObject", "s3:CopyObject", "s3:GetObject", "s3:DeleteObjects"}
    assert expected <= operations, report
    # Least privilege: every S3 action the role grants is one this flow needed (the EC2 host's own
    # scripts read and write objects and list the bucket, which the flow needs too).
    needed = {decision.request.action for record in flow.records for decision in record.decisions}
    assert granted_actions(app_role.principal, "s3:") == needed, report
    # Nothing is left in the bucket under the deleted file's keys.
    s3 = app_role.stack.emulator.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=app_role.bucket).get("Contents", [])]
    assert not [key for key in keys if key.startswith(("incoming/", "uploads/"))], keys


@pytest.fixture
def role_client(app_role: AppRole) -> Iterator[Any]:
    """An S3 client signing with the role's key, under enforcement."""
    client = boto3.client(
        "s3",
        endpoint_url=app_role.stack.emulator.endpoint,
        region_name=app_role.stack.emulator.region,
        aws_access_key_id=app_role.access_key,
        aws_secret_access_key="iam-test-app-role-secret",
    )
    with enforced(app_role.access_key, app_role.principal):
        yield client


def granted_actions(principal: Principal, prefix: str) -> set[str]:
    """The actions with the prefix that the principal's policies allow."""
    return {
        action
        for policy in principal.policies
        for statement in _as_list(policy["Statement"])
        if statement["Effect"] == "Allow"
        for action in _as_list(statement.get("Action", []))
        if action.lower().startswith(prefix)
    }


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _decide(principal: Principal, action: str, resource: str = "*") -> bool:
    return evaluate(AuthorizationRequest(action, resource), principal.policies, principal_arn=principal.arn).allowed


# What the SSM agent calls with the role it runs under, from the Systems Manager User Guide ("Verify or add
# instance permissions for Session Manager", "SSM Agent ... ec2messages"), all authorised on "*": the
# session channels (ECS Exec in a task, Session Manager on the host) and, on the host, Run Command's
# message channel and the agent's registration.
SESSION_CHANNEL_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
HOST_AGENT_ACTIONS = (
    "ssm:UpdateInstanceInformation",
    "ec2messages:GetMessages",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:SendReply",
)


def test_the_ssm_agent_may_open_its_channels_and_nothing_more(app_role: AppRole) -> None:
    """ECS Exec (``ops exec`` on ECS) and Session Manager/Run Command (``ops exec``, ``ops deploy`` on EC2)
    work only if the agent beside the app may open its channels with the app's role; the same role may
    not start sessions or send commands itself, nor exec into other tasks."""
    principal = app_role.principal
    needed = SESSION_CHANNEL_ACTIONS + (HOST_AGENT_ACTIONS if app_role.target == "ec2" else ())
    assert {action: _decide(principal, action) for action in needed} == dict.fromkeys(needed, True)
    region, account = app_role.stack.emulator.region, "123456789012"
    cluster = app_role.stack.environment_names["ecs_cluster"]
    refused = {
        "ssm:SendCommand": f"arn:aws:ec2:{region}:{account}:instance/i-0123456789abcdef0",
        "ssm:StartSession": f"arn:aws:ec2:{region}:{account}:instance/i-0123456789abcdef0",
        "ecs:ExecuteCommand": f"arn:aws:ecs:{region}:{account}:task/{cluster}/x",
        "iam:PassRole": app_role.principal.arn,
    }
    assert {action: _decide(principal, action, resource) for action, resource in refused.items()} == dict.fromkeys(
        refused, False
    )
    if app_role.target == "ecs":
        # The task role opens session channels only: nothing of Run Command's or the host agent's.
        assert not any(_decide(principal, action) for action in HOST_AGENT_ACTIONS)
        assert granted_actions(principal, "ssmmessages:") == set(SESSION_CHANNEL_ACTIONS)


def _code(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_the_role_is_refused_outside_its_bucket_objects(app_role: AppRole, role_client: Any) -> None:
    """The same credentials cannot read Terraform state, write to another bucket, delete the media bucket,
    change its policy, or list every bucket; writing an object of its own bucket works (the control)."""
    state_bucket = app_role.stack.names.shared()["state_bucket"]
    role_client.put_object(Bucket=app_role.bucket, Key="uploads/iam-control.txt", Body=b"ok")
    role_client.delete_object(Bucket=app_role.bucket, Key="uploads/iam-control.txt")
    refused = {
        "read state": lambda: role_client.get_object(Bucket=state_bucket, Key=app_role.stack.state_key),
        "write another bucket": lambda: role_client.put_object(Bucket=state_bucket, Key="x", Body=b"x"),
        "delete the bucket": lambda: role_client.delete_bucket(Bucket=app_role.bucket),
        "read the bucket policy": lambda: role_client.get_bucket_policy(Bucket=app_role.bucket),
        "list buckets": lambda: role_client.list_buckets(),
    }
    assert {name: _code(call) for name, call in refused.items()} == dict.fromkeys(refused, "AccessDenied")
    assert app_role.stack.emulator.client("s3").head_bucket(Bucket=app_role.bucket)
