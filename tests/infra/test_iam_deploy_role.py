"""The deploy role's policy, as the bootstrap stack applied it, against every AWS call ``ops`` really makes.

ops runs as in the deploy tests (a subprocess against the session emulator, support/ops_runner.py)
but signs with an access key that the emulator holds to the deploy role's own policy document, read
back from the applied bootstrap stack's IAM (support/iam_enforcement.py explains why moto's own IAM
enforcement cannot judge these policies). Each request becomes the permission checks AWS makes for it
(support/iam_requests.py: resources, ``iam:PassRole``, tag-on-create, ``ecs:cluster``, instance tags),
decided by an evaluator written from the IAM documentation (support/iam_policy.py). A refused call gets
``AccessDenied`` as on AWS, so ops fails exactly where a missing permission would fail it in CI.

What the emulator cannot show: pushing images (``docker push`` is stood in for by the tests' own ECR
client), and calls ops makes only on the EC2 target or for stg/prod (the demo stack's bootstrap has
one deploy role; those statements are left to the Terraform tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from subprocess import CompletedProcess

import boto3
import pytest
from botocore.exceptions import ClientError
from support.emulator import ContainerOutcome
from support.iam_enforcement import CallRecord, Principal, enforced, role_principal
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
    runtime.clear()
    try:
        yield DeployRun(principal, results, records)
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
    """Deleting a service, writing Terraform state, passing any other role, running a task on another
    cluster, and commands to a host that is not the project's are refused; describing a service is not."""
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
