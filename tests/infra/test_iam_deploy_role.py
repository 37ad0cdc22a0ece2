"""The deploy role's policy, as the bootstrap stack applied it, against every AWS call ``ops`` really makes.

ops runs as in the deploy tests (a subprocess against the session emulator, support/ops_runner.py)
but signs with an access key that the emulator holds to the deploy role's own policy document, read
back from the applied bootstrap stack's IAM (support/iam_enforcement.py explains why moto's own IAM
enforcement cannot judge these policies). Each request becomes the permission checks AWS makes for it
(support/iam_requests.py: resources, ``iam:PassRole``, tag-on-create, ``ecs:cluster``, instance tags),
decided by an evaluator written from the IAM documentation (support/iam_policy.py). A refused call gets
``AccessDenied`` as on AWS, so ops fails exactly where a missing permission would fail it in CI.

The same for the EC2 target's commands (deploy, rollback, manage, status, logs, backup, backups through
SSM Run Command and the media bucket's dumps), with the policy the EC2 project's bootstrap renders for
its deploy role. Image pushes are registry requests, not API calls: a real push client (podman) pushes
to a real registry behind a front that judges each request as ECR does (support/ecr_registry.py).
Not shown: calls ops makes only for stg/prod (resuming suspended scaling targets), left to the
Terraform tests.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from support.ecr_registry import ecr_registry
from support.emulator import ContainerOutcome
from support.iam_enforcement import CallRecord, Principal, enforced, planned_deploy_principal, role_principal
from support.iam_policy import AuthorizationRequest, evaluate
from support.ops_runner import LoadBalancerStandIn, new_tag, push_images, runner_for
from support.stacks import ENVIRONMENT, StackCycle

pytestmark = pytest.mark.xdist_group("infra-apply")

# An access key the emulator knows nothing else about: every request signed with it is the deploy role's.
DEPLOY_KEY = "AKIAIAMTESTDEPLOY001"
DEPLOY_SECRET = "iam-test-deploy-role-secret"


@dataclass
class DeployRun:
    """What ops did under the deploy role: each command's result and every AWS call it made."""

    principal: Principal
    results: dict[str, CompletedProcess[str]]
    records: list[CallRecord]
    # The deploy whose readiness check failed (exit 1 is its success).
    failed_readiness: CompletedProcess[str] | None = None


def _delete_manual_snapshots(stack: StackCycle) -> None:
    rds = stack.emulator.client("rds")
    source = stack.environment_names["rds_instance"]
    for snapshot in rds.describe_db_snapshots(DBInstanceIdentifier=source, SnapshotType="manual")["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


@pytest.fixture(scope="module")
def deploy_run(ecs_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployRun]:
    """Every ops command the deploy role exists for, on the applied ECS demo, signed as the deploy role."""
    principal = role_principal(ecs_stack.emulator.client("iam"), ecs_stack.names.shared()["iam_deploy_role"])
    ops = runner_for(ecs_stack, tmp_path_factory.mktemp("iam-summary") / "step-summary.md")
    ops.extra_environment = {"AWS_ACCESS_KEY_ID": DEPLOY_KEY, "AWS_SECRET_ACCESS_KEY": DEPLOY_SECRET}
    runtime = ecs_stack.emulator.runtime.outcomes
    runtime["migrate"] = ContainerOutcome(0, ("Applying accounts.0001_initial... OK",))
    runtime["showmigrations"] = ContainerOutcome(0, ("accounts", " [X] 0001_initial"))
    results: dict[str, CompletedProcess[str]] = {}
    with LoadBalancerStandIn().serving() as site, enforced(DEPLOY_KEY, principal) as records:
        first = new_tag()
        push_images(ecs_stack, first)  # docker push's stand-in, signed by the tests' own key
        results["deploy"] = ops.run("deploy", "--env", ENVIRONMENT, "--tag", first, "--url", site.url)
        second = new_tag()
        push_images(ecs_stack, second)
        results["deploy again"] = ops.run("deploy", "--env", ENVIRONMENT, "--tag", second, "--url", site.url)
        results["releases"] = ops.run("releases", "--env", ENVIRONMENT, "--json")
        results["rollback"] = ops.run("rollback", "--env", ENVIRONMENT, "--to", first[:10], "--url", site.url)
        results["manage"] = ops.run("manage", "--env", ENVIRONMENT, "--", "showmigrations", "accounts")
        results["status"] = ops.run("status", "--env", ENVIRONMENT, "--json")
        results["logs"] = ops.run("logs", "web", "--env", ENVIRONMENT, "--since", "1h")
        results["backup"] = ops.run("backup", "--env", ENVIRONMENT)
        results["backups"] = ops.run("backups", "--env", ENVIRONMENT)
        # A release whose readiness fails: ops reads the readiness token to say why, then puts services back.
        site.statuses["/api/health/ready/"] = 503
        site.readiness_token = ecs_stack.emulator.client("secretsmanager").get_secret_value(
            SecretId=ecs_stack.environment_names["secret_readiness_token"]
        )["SecretString"]
        site.detailed["/api/health/ready/"] = {
            "status": "error",
            "components": {"cache": {"status": "error", "detail": "Error 111 connecting", "duration_ms": 2.0}},
        }
        third = new_tag()
        push_images(ecs_stack, third)
        failing = ops.run("deploy", "--env", ENVIRONMENT, "--tag", third, "--url", site.url)
    runtime.clear()
    try:
        yield DeployRun(principal, results, records, failing)
    finally:
        _delete_manual_snapshots(ecs_stack)


def _report(run: DeployRun) -> str:
    return "\n".join(str(record) for record in run.records)


def test_every_ops_command_succeeds_under_the_deploy_role(deploy_run: DeployRun) -> None:
    """Each command exits 0 signed as the deploy role, and no call it made was refused or left unjudged."""
    refused = [str(record) for record in deploy_run.records if not record.allowed]
    assert refused == [], _report(deploy_run)
    failed = {name: (r.returncode, r.stderr[-3000:]) for name, r in deploy_run.results.items() if r.returncode != 0}
    assert not failed, "\n".join(f"ops {name} exited {code}:\n{stderr}" for name, (code, stderr) in failed.items())


def test_a_failed_readiness_check_reads_the_token_under_the_deploy_role(deploy_run: DeployRun) -> None:
    """The deploy that fails readiness reads the environment's readiness token (allowed) and reverts."""
    result = deploy_run.failed_readiness
    assert result is not None and result.returncode == 1, result
    assert "readiness check failed" in result.stderr and "back on its previous revision" in result.stderr
    reads = [record for record in deploy_run.records if record.call.startswith("secretsmanager:GetSecretValue")]
    assert reads and all(record.allowed for record in reads), _report(deploy_run)
    # Allowed means the token was read: with it, the backend's answer named the failing component.
    assert "(cache: Error 111 connecting)" in result.stderr, result.stderr


def test_the_calls_include_the_checks_aws_makes_beyond_the_action(deploy_run: DeployRun, ecs_stack: StackCycle) -> None:
    """Registering revisions passes both task roles to ECS; one-off tasks run on the environment's cluster;
    release records are written under the project's prefix; state is read, never written."""
    decisions = [decision for record in deploy_run.records for decision in record.decisions]
    names = ecs_stack.environment_names
    passed = {d.request.resource for d in decisions if d.request.action == "iam:PassRole"}
    assert {role.rsplit("/", 1)[-1] for role in passed} == {names["iam_execution_role"], names["iam_task_role"]}
    run_tasks = [d.request for d in decisions if d.request.action == "ecs:RunTask"]
    assert run_tasks and all(r.context["ecs:cluster"].endswith(f":cluster/{names['ecs_cluster']}") for r in run_tasks)
    writes = {d.request.resource for d in decisions if d.request.action == "s3:PutObject"}
    state_bucket = ecs_stack.names.shared()["state_bucket"]
    assert writes and all(
        re.fullmatch(rf"arn:aws:s3:::{state_bucket}/{ecs_stack.names.resource_prefix}/demo/releases/.+", w)
        for w in writes
    ), writes
    actions = {d.request.action for d in decisions}
    assert {"ecs:RegisterTaskDefinition", "ecs:UpdateService", "ecs:DescribeTasks", "s3:GetObject"} <= actions
    assert {"rds:CreateDBSnapshot", "logs:FilterLogEvents"} <= actions, sorted(actions)


@pytest.fixture
def deploy_clients(ecs_stack: StackCycle, deploy_run: DeployRun) -> Iterator[dict[str, object]]:
    """boto3 clients signing as the deploy role, under enforcement for the test."""
    session = boto3.Session(
        aws_access_key_id=DEPLOY_KEY, aws_secret_access_key=DEPLOY_SECRET, region_name=ecs_stack.emulator.region
    )
    endpoint = ecs_stack.emulator.endpoint
    with enforced(DEPLOY_KEY, deploy_run.principal):
        yield {name: session.client(name, endpoint_url=endpoint) for name in ("ecs", "s3", "ssm")}


def _refused(call: object) -> str:
    with pytest.raises(ClientError) as raised:
        call()  # type: ignore[operator]
    return str(raised.value.response["Error"]["Code"])


def test_the_deploy_role_is_refused_what_ops_does_not_need(
    ecs_stack: StackCycle, deploy_clients: dict[str, object], deploy_run: DeployRun
) -> None:
    """Deleting a service, writing Terraform state, listing the state bucket beyond the project's prefix,
    passing any other role, running a task on another cluster, and commands to a host that is not the
    project's are refused; describing a service is not."""
    ecs, s3, ssm = deploy_clients["ecs"], deploy_clients["s3"], deploy_clients["ssm"]
    names = ecs_stack.environment_names
    cluster = names["ecs_cluster"]
    # One of the services ops moved (the task layout decides which exist).
    web = next(
        d.request.resource.rsplit("/", 1)[-1]
        for record in deploy_run.records
        for d in record.decisions
        if d.request.action == "ecs:UpdateService"
    )
    assert ecs.describe_services(cluster=cluster, services=[web])["services"]  # type: ignore[attr-defined]

    assert _refused(lambda: ecs.delete_service(cluster=cluster, service=web, force=True)) == "AccessDeniedException"  # type: ignore[attr-defined]
    state_key = ecs_stack.state_key
    state_bucket = ecs_stack.names.shared()["state_bucket"]
    assert _refused(lambda: s3.put_object(Bucket=state_bucket, Key=state_key, Body=b"{}")) == "AccessDenied"  # type: ignore[attr-defined]
    for elsewhere in ({}, {"Prefix": "another-project/"}):
        listing = lambda: s3.list_objects_v2(Bucket=state_bucket, **elsewhere)  # type: ignore[attr-defined]  # noqa: B023, E731
        assert _refused(listing) == "AccessDenied", elsewhere
    deploy_role_arn = deploy_run.principal.arn
    escalate = {
        "family": web,
        "taskRoleArn": deploy_role_arn,
        "containerDefinitions": [{"name": "web", "image": "busybox"}],
    }
    assert _refused(lambda: ecs.register_task_definition(**escalate)) == "AccessDeniedException"  # type: ignore[attr-defined]
    assert _refused(lambda: ecs.run_task(cluster="another-cluster", taskDefinition=web)) == (  # type: ignore[attr-defined]
        "AccessDeniedException"
    )
    untagged = lambda: ssm.send_command(InstanceIds=["i-0123456789abcdef0"], DocumentName="AWS-RunShellScript")  # type: ignore[attr-defined]  # noqa: E731
    assert _refused(untagged) == "AccessDeniedException"
    # The state itself stays untouched by the refused write.
    body = ecs_stack.emulator.client("s3").get_object(Bucket=state_bucket, Key=state_key)["Body"].read()
    assert body != b"{}"


def test_conditions_in_the_deploy_policy_decide(deploy_run: DeployRun, ecs_stack: StackCycle) -> None:
    """The same action on the same resource flips with the condition's context: PassRole only to ECS tasks,
    TagResource only while creating, SendCommand only to hosts tagged with the project."""
    policies = deploy_run.principal.policies
    arn = deploy_run.principal.arn
    names = ecs_stack.environment_names
    task_role = next(
        d.request.resource for r in deploy_run.records for d in r.decisions if d.request.action == "iam:PassRole"
    )

    def allowed(action: str, resource: str, context: dict[str, str] | None = None) -> bool:
        return evaluate(AuthorizationRequest(action, resource, context or {}), policies, principal_arn=arn).allowed

    assert allowed("iam:PassRole", task_role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    assert not allowed("iam:PassRole", task_role, {"iam:PassedToService": "ec2.amazonaws.com"})
    assert not allowed("iam:PassRole", task_role)
    region, account = ecs_stack.emulator.region, "123456789012"
    definition = f"arn:aws:ecs:{region}:{account}:task-definition/{names['ecs_service_web']}:1"
    assert allowed("ecs:TagResource", definition, {"ecs:CreateAction": "RegisterTaskDefinition"})
    assert not allowed("ecs:TagResource", definition)
    instance = f"arn:aws:ec2:{region}:{account}:instance/i-0123456789abcdef0"
    project = ecs_stack.names.resource_prefix
    assert allowed("ssm:SendCommand", instance, {"aws:ResourceTag/Project": project})
    assert not allowed("ssm:SendCommand", instance, {"aws:ResourceTag/Project": project + "-other"})


# --- EC2: the host's commands through SSM ----------------------------------------------------------

EC2_DEPLOY_KEY = "AKIAIAMTESTDEPLOYEC2"


@pytest.fixture(scope="module")
def ec2_deploy_run(ec2_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> DeployRun:
    """The ops commands the deploy role exists for, on the applied EC2 demo, signed as its deploy role."""
    principal = planned_deploy_principal(ec2_stack)
    ops = runner_for(ec2_stack, tmp_path_factory.mktemp("iam-ec2-summary") / "step-summary.md")
    ops.extra_environment = {"AWS_ACCESS_KEY_ID": EC2_DEPLOY_KEY, "AWS_SECRET_ACCESS_KEY": DEPLOY_SECRET}
    location = ec2_stack.outputs["database_backups"]
    dump = f"{location['prefix']}2026-01-02T030405Z.dump"
    report = {"uri": f"s3://{location['bucket']}/{dump}", "key": dump, "bytes": 2048}
    runtime = ec2_stack.emulator.runtime.outcomes
    runtime["backup-db.sh"] = ContainerOutcome(0, ("pg_dump: done", json.dumps(report)))
    runtime["manage.sh"] = ContainerOutcome(0, ("accounts", " [X] 0001_initial"))
    results: dict[str, CompletedProcess[str]] = {}
    try:
        with enforced(EC2_DEPLOY_KEY, principal) as records:
            first, second = new_tag(), new_tag()
            push_images(ec2_stack, first)
            results["deploy"] = ops.run("deploy", "--env", ENVIRONMENT, "--tag", first)
            push_images(ec2_stack, second)
            results["deploy again"] = ops.run("deploy", "--env", ENVIRONMENT, "--tag", second)
            results["rollback"] = ops.run("rollback", "--env", ENVIRONMENT)
            results["manage"] = ops.run("manage", "--env", ENVIRONMENT, "--", "showmigrations", "accounts")
            results["logs"] = ops.run("logs", "web", "--env", ENVIRONMENT, "--since", "1h")
            results["backup"] = ops.run("backup", "--env", ENVIRONMENT)
            results["backups"] = ops.run("backups", "--env", ENVIRONMENT)
            # status.sh prints nothing here (no host behind SSM): ops says so; its calls are judged all the same.
            results["status"] = ops.run("status", "--env", ENVIRONMENT)
    finally:
        runtime.clear()
    return DeployRun(principal, results, records)


def test_every_ec2_ops_command_is_allowed_under_the_deploy_role(
    ec2_deploy_run: DeployRun, ec2_stack: StackCycle
) -> None:
    """Deploys, rollback, manage, logs, backup and backups exit 0 signed as the deploy role; every call of
    theirs (and of status) was allowed; the host commands were checked on the document and on the
    instance with its Project tag, as AWS checks SendCommand."""
    run = ec2_deploy_run
    assert [str(record) for record in run.records if not record.allowed] == [], _report(run)
    failed = {
        name: (result.returncode, result.stderr[-3000:])
        for name, result in run.results.items()
        if result.returncode != 0 and name != "status"
    }
    assert not failed, failed
    assert "AccessDenied" not in run.results["status"].stderr, run.results["status"].stderr
    decisions = [decision.request for record in run.records for decision in record.decisions]
    instance = ec2_stack.outputs["instance_id"]
    sends = {
        (request.resource.rsplit(":", 1)[-1], request.context.get("aws:ResourceTag/Project"))
        for request in decisions
        if request.action == "ssm:SendCommand"
    }
    assert sends == {("document/AWS-RunShellScript", None), (f"instance/{instance}", ec2_stack.names.resource_prefix)}
    actions = {request.action for request in decisions}
    assert {"ssm:GetCommandInvocation", "s3:ListBucket", "s3:PutObject", "logs:FilterLogEvents"} <= actions, actions


def test_the_ec2_deploy_role_is_refused_next_to_what_it_does(ec2_deploy_run: DeployRun, ec2_stack: StackCycle) -> None:
    """Another SSM document on the project's host, a user's file in the media bucket or the listing of
    those files, and writing a dump (the host makes them, not the deploy) are refused; reading the dumps'
    listing is not."""
    session = boto3.Session(
        aws_access_key_id=EC2_DEPLOY_KEY, aws_secret_access_key=DEPLOY_SECRET, region_name=ec2_stack.emulator.region
    )
    ssm = session.client("ssm", endpoint_url=ec2_stack.emulator.endpoint)
    s3 = session.client("s3", endpoint_url=ec2_stack.emulator.endpoint)
    location = ec2_stack.outputs["database_backups"]
    instance = ec2_stack.outputs["instance_id"]
    with enforced(EC2_DEPLOY_KEY, ec2_deploy_run.principal):
        listed = s3.list_objects_v2(Bucket=location["bucket"], Prefix=location["prefix"])
        assert listed["ResponseMetadata"]["HTTPStatusCode"] == 200
        powershell = lambda: ssm.send_command(InstanceIds=[instance], DocumentName="AWS-RunPowerShellScript")  # noqa: E731
        assert _refused(powershell) == "AccessDeniedException"
        user_file = lambda: s3.get_object(Bucket=location["bucket"], Key="uploads/1/a/people.csv")  # noqa: E731
        assert _refused(user_file) == "AccessDenied"
        for elsewhere in ({}, {"Prefix": "uploads/"}):
            listing = lambda: s3.list_objects_v2(Bucket=location["bucket"], **elsewhere)  # noqa: B023, E731
            assert _refused(listing) == "AccessDenied", elsewhere
        dump = lambda: s3.put_object(Bucket=location["bucket"], Key=f"{location['prefix']}x.dump", Body=b"x")  # noqa: E731
        assert _refused(dump) == "AccessDenied"


# --- Image pushes: the registry requests of the deploy workflow -------------------------------------


def _podman(*arguments: str, auth_file: Path) -> CompletedProcess[str]:
    environment = {**os.environ, "REGISTRY_AUTH_FILE": str(auth_file)}
    return subprocess.run(
        ["podman", *arguments], capture_output=True, text=True, env=environment, timeout=300, check=False
    )


def test_the_deploy_role_pushes_the_projects_images_and_nothing_else(
    ecs_stack: StackCycle, deploy_run: DeployRun, tmp_path: Path
) -> None:
    """As the deploy workflow: an ECR token (amazon-ecr-login), a look for the tag (buildx imagetools
    inspect), then a real push client's requests to a real registry, each judged as ECR judges it: all
    allowed on the project's repositories; the same push to another repository, and deleting an image,
    are refused."""
    principal = deploy_run.principal
    names = ecs_stack.environment_names
    session = boto3.Session(
        aws_access_key_id=DEPLOY_KEY, aws_secret_access_key=DEPLOY_SECRET, region_name=ecs_stack.emulator.region
    )
    ecr = session.client("ecr", endpoint_url=ecs_stack.emulator.endpoint)
    with enforced(DEPLOY_KEY, principal) as api_calls:
        token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    assert [str(call) for call in api_calls if not call.allowed] == []

    image = f"localhost/iam-push-{uuid.uuid4().hex[:8]}:1"
    layer = tmp_path / "layer.tar"
    with tarfile.open(layer, "w") as archive:
        entry = tarfile.TarInfo("hello.txt")
        entry.size = 6
        archive.addfile(entry, io.BytesIO(b"hello\n"))
    auth = tmp_path / "auth.json"
    with ecr_registry(ecs_stack.emulator.region, tmp_path) as registry:
        registry.admit(token, principal)
        assert _podman("import", str(layer), image, auth_file=auth).returncode == 0
        try:
            user, password = base64.b64decode(token).decode().split(":", 1)
            login = _podman("login", "--tls-verify=false", "-u", user, "-p", password, registry.host, auth_file=auth)
            assert login.returncode == 0, login.stderr
            tag = new_tag()
            pushed: dict[str, CompletedProcess[str]] = {}
            for repository in (names["ecr_backend"], names["ecr_frontend"]):
                reference = f"{registry.host}/{repository}:{tag}"
                # buildx imagetools inspect: is the tag there yet?
                look = requests.head(
                    f"http://{registry.host}/v2/{repository}/manifests/{tag}", auth=(user, password), timeout=10
                )
                assert look.status_code == 404
                pushed[repository] = _podman("push", "--tls-verify=false", image, reference, auth_file=auth)
            allowed_requests = list(registry.requests)
            elsewhere = f"{registry.host}/{names['ecr_backend']}-other:{tag}"
            refused_push = _podman("push", "--tls-verify=false", image, elsewhere, auth_file=auth)
            removal = requests.delete(
                f"http://{registry.host}/v2/{names['ecr_backend']}/manifests/{tag}", auth=(user, password), timeout=10
            )
        finally:
            _podman("rmi", "--force", image, auth_file=auth)
    report = "\n".join(str(request) for request in registry.requests)
    assert {repository: result.returncode for repository, result in pushed.items()} == dict.fromkeys(pushed, 0), (
        {repository: result.stderr[-2000:] for repository, result in pushed.items()},
        report,
    )
    assert all(request.allowed for request in allowed_requests), report
    actions = {request.decision.request.action for request in allowed_requests if request.decision}
    assert {
        "ecr:BatchGetImage",
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
    } <= actions, report
    assert refused_push.returncode != 0 and "403" in refused_push.stderr, refused_push.stderr
    assert removal.status_code == 403 and removal.json()["errors"][0]["code"] == "DENIED"
