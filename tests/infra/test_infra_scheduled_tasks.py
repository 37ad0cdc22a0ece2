"""The periodic management commands of an ECS project without Celery, applied for real to the emulator.

Without Celery there is no beat: ``scheduled_tasks.tf`` gives each periodic command an EventBridge Scheduler
schedule that runs the one-off web family with a command override. The session's ECS stack has Celery (no
schedules); the session's upgraded ECS stack (conftest.py) is a project generated with ``use_celery=n``, its
whole demo stack applied from its tfvars. This module reads its schedules and their role back with boto3;
the fixture's teardown checks that destroy removes them.

``ops deploy`` and ``ops rollback`` point the schedules at their release's web revision; they run here
signed as the deploy role (its policy planned from the project's own bootstrap, judged by
support/iam_enforcement.py). moto stores schedules but never fires them. What Scheduler does at each
tick, RunTask with the schedule's ECS parameters and its input as the overrides, is replayed here with
exactly those values after the rollback, so the test sees which revision runs and which command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from subprocess import CompletedProcess
from typing import Any

import pytest
from support.emulator import ContainerOutcome, Emulator
from support.iam_enforcement import CallRecord, Principal, enforced, planned_deploy_principal, role_principal
from support.iam_policy import AuthorizationRequest, evaluate
from support.ops_runner import LoadBalancerStandIn, OpsRunner, new_tag, push_images, runner_for
from support.stacks import ENVIRONMENT, StackCycle
from support.upgrades import UpgradedStack

pytestmark = pytest.mark.xdist_group("infra-apply")

# An access key the emulator holds to the deploy role's policy (support/iam_enforcement.py), and one held
# to that policy without the statement that lets it point the schedules.
DEPLOY_KEY = "AKIAIAMTESTSCHEDULES1"
UNSCHEDULED_DEPLOY_KEY = "AKIAIAMTESTSCHEDULES2"
DEPLOY_SECRET = "iam-test-scheduled-deploy-secret"
SCHEDULES_STATEMENT = "PointManagementSchedules"

# Schedule name -> (the management command, its rate): purge as beat and the EC2 host's cron do; the retry
# sweep every 15 minutes rather than 5 (each run is a Fargate task billed for at least a minute).
EXPECTED_SCHEDULES = {
    "purge-stale-uploads": ("purge_stale_uploads", "rate(1 hour)"),
    "retry-unprocessed-uploads": ("retry_unprocessed_uploads", "rate(15 minutes)"),
}


@dataclass
class ScheduledStack:
    """The applied project without Celery, ops installed, and the schedules as the emulator returns them."""

    stack: StackCycle
    ops: OpsRunner
    schedules: dict[str, dict[str, Any]]

    @property
    def emulator(self) -> Emulator:
        return self.stack.emulator

    @property
    def names(self) -> dict[str, str]:
        return self.stack.environment_names


@pytest.fixture(scope="module")
def scheduled(upgraded_stacks: dict[str, UpgradedStack], tmp_path_factory: pytest.TempPathFactory) -> ScheduledStack:
    """The demo stack of an ECS project generated without Celery (the session's upgraded one: its schedules are
    created by the current Terraform's apply), ops installed, its schedules read back."""
    stack = upgraded_stacks["ecs-fargate"].cycle
    scheduler = stack.emulator.client("scheduler")
    group = stack.environment_names["scheduler_group"]
    listed = scheduler.list_schedules(GroupName=group)["Schedules"]
    schedules = {entry["Name"]: scheduler.get_schedule(GroupName=group, Name=entry["Name"]) for entry in listed}
    return ScheduledStack(stack, runner_for(stack, tmp_path_factory.mktemp("scheduled") / "summary.md"), schedules)


def family_arn(scheduled: ScheduledStack, family: str) -> str:
    """A task-definition family's ARN without a revision, in the stack's account and region."""
    cluster_arn = scheduled.emulator.client("ecs").describe_clusters(clusters=[scheduled.names["ecs_cluster"]])
    prefix = cluster_arn["clusters"][0]["clusterArn"].split(":cluster/")[0]
    return f"{prefix}:task-definition/{family}"


def test_each_periodic_command_has_its_schedule(scheduled: ScheduledStack) -> None:
    """Both commands, at their rates, in the environment's schedule group, enabled, at fixed times."""
    assert set(scheduled.schedules) == set(EXPECTED_SCHEDULES)
    for name, (command, rate) in EXPECTED_SCHEDULES.items():
        schedule = scheduled.schedules[name]
        assert schedule["GroupName"] == scheduled.names["scheduler_group"]
        assert schedule["ScheduleExpression"] == rate
        assert schedule["State"] == "ENABLED"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        overrides = json.loads(schedule["Target"]["Input"])
        assert overrides == {"containerOverrides": [{"name": "web", "command": ["python", "manage.py", command]}]}


def test_schedules_run_the_one_off_web_family_like_ops_manage(scheduled: ScheduledStack) -> None:
    """The family, subnets, security group and public-IP setting `ops manage` uses, on the services' capacity."""
    migration = scheduled.stack.outputs["migration_task"]
    ecs = scheduled.emulator.client("ecs")
    cluster = ecs.describe_clusters(clusters=[scheduled.names["ecs_cluster"]])["clusters"][0]
    app_service = ecs.describe_services(cluster=cluster["clusterName"], services=[scheduled.names["ecs_service_app"]])
    services_strategy = app_service["services"][0]["capacityProviderStrategy"]
    role_arn = scheduled.emulator.client("iam").get_role(RoleName=scheduled.names["iam_scheduler_role"])["Role"]["Arn"]
    for schedule in scheduled.schedules.values():
        target = schedule["Target"]
        parameters = target["EcsParameters"]
        assert target["Arn"] == cluster["clusterArn"]
        assert target["RoleArn"] == role_arn
        # Created on the family (its latest ACTIVE revision); each ops deploy or rollback then names its own.
        assert parameters["TaskDefinitionArn"] == family_arn(scheduled, migration["task_definition_family"])
        assert parameters["TaskCount"] == 1 and "LaunchType" not in parameters
        assert parameters["PropagateTags"] == "TASK_DEFINITION"
        assert (
            [(entry["capacityProvider"], entry["weight"]) for entry in parameters["CapacityProviderStrategy"]]
            == [(entry["capacityProvider"], entry["weight"]) for entry in services_strategy]
            == [("FARGATE_SPOT", 1)]
        )
        network = parameters["NetworkConfiguration"]["awsvpcConfiguration"]
        assert sorted(network["Subnets"]) == sorted(migration["subnet_ids"])
        assert network["SecurityGroups"] == migration["security_group_ids"]
        assert network["AssignPublicIp"] == ("ENABLED" if migration["assign_public_ip"] else "DISABLED") == "ENABLED"
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 300, "MaximumRetryAttempts": 3}


@dataclass
class RefusedPointing:
    """A third deploy by a role that may not update the schedules: what ops said, what runs afterwards."""

    result: CompletedProcess[str]
    web_revision: str
    services_before: dict[str, str]
    services_after: dict[str, str]
    schedule_revisions: dict[str, str]
    records: list[CallRecord]


@dataclass
class Releases:
    """Two deploys and a rollback to the first, made under the deploy role: the schedules after each step;
    then a deploy whose schedule update is refused."""

    tags: list[str]
    # The web family's revision each release runs, and each schedule's revision after each step.
    web_revisions: dict[str, str]
    schedule_revisions: dict[str, dict[str, str]]
    results: dict[str, CompletedProcess[str]]
    records: list[CallRecord]
    refused: RefusedPointing


def _schedule_revisions(scheduled: ScheduledStack) -> dict[str, str]:
    scheduler = scheduled.emulator.client("scheduler")
    group = scheduled.names["scheduler_group"]
    return {
        name: scheduler.get_schedule(GroupName=group, Name=name)["Target"]["EcsParameters"]["TaskDefinitionArn"]
        for name in EXPECTED_SCHEDULES
    }


def _service_revisions(scheduled: ScheduledStack) -> dict[str, str]:
    ecs = scheduled.emulator.client("ecs")
    cluster = scheduled.names["ecs_cluster"]
    arns = ecs.list_services(cluster=cluster)["serviceArns"]
    return {
        service["serviceName"]: service["taskDefinition"]
        for service in ecs.describe_services(cluster=cluster, services=arns)["services"]
    }


def _without_statement(principal: Principal, sid: str) -> Principal:
    """The principal with one statement (by Sid) taken out of its policies."""
    policies = tuple(
        {**policy, "Statement": [entry for entry in policy["Statement"] if entry.get("Sid") != sid]}
        for policy in principal.policies
    )
    assert policies != principal.policies, f"no statement {sid} in the deploy policy"
    return Principal(principal.arn, policies)


@pytest.fixture(scope="module")
def releases(scheduled: ScheduledStack) -> Releases:
    """Deploy, deploy again, roll back to the first: ops signed as the deploy role its bootstrap renders.
    Then a third deploy signed as that role without its statement for the schedules."""
    principal = planned_deploy_principal(scheduled.stack)
    ops = scheduled.ops
    ecs = scheduled.emulator.client("ecs")
    web_family = scheduled.stack.outputs["migration_task"]["task_definition_family"]

    def web_revision() -> str:
        return ecs.describe_task_definition(taskDefinition=web_family)["taskDefinition"]["taskDefinitionArn"]

    tags = [new_tag(), new_tag()]
    web_revisions, schedule_revisions, results = {}, {}, {}
    try:
        with LoadBalancerStandIn().serving() as site:
            ops.extra_environment = {"AWS_ACCESS_KEY_ID": DEPLOY_KEY, "AWS_SECRET_ACCESS_KEY": DEPLOY_SECRET}
            with enforced(DEPLOY_KEY, principal) as records:
                for step, tag in zip(("deploy", "deploy again"), tags, strict=True):
                    push_images(scheduled.stack, tag)
                    results[step] = ops.run("deploy", "--env", ENVIRONMENT, "--tag", tag, "--url", site.url)
                    web_revisions[tag] = web_revision()
                    schedule_revisions[step] = _schedule_revisions(scheduled)
                arguments = ("rollback", "--env", ENVIRONMENT, "--to", tags[0][:10], "--url", site.url)
                results["rollback"] = ops.run(*arguments)
                schedule_revisions["rollback"] = _schedule_revisions(scheduled)
            unscheduled = _without_statement(principal, SCHEDULES_STATEMENT)
            ops.extra_environment = {
                "AWS_ACCESS_KEY_ID": UNSCHEDULED_DEPLOY_KEY,
                "AWS_SECRET_ACCESS_KEY": DEPLOY_SECRET,
            }
            services_before = _service_revisions(scheduled)
            with enforced(UNSCHEDULED_DEPLOY_KEY, unscheduled) as refused_records:
                third = new_tag()
                push_images(scheduled.stack, third)
                result = ops.run("deploy", "--env", ENVIRONMENT, "--tag", third, "--url", site.url)
            refused = RefusedPointing(
                result,
                web_revision(),
                services_before,
                _service_revisions(scheduled),
                _schedule_revisions(scheduled),
                refused_records,
            )
    finally:
        ops.extra_environment = {}
    return Releases(tags, web_revisions, schedule_revisions, results, records, refused)


def test_each_release_points_the_schedules_at_its_web_revision(releases: Releases) -> None:
    """After each deploy the schedules run that release's web revision; after the rollback, the first one's
    again. Every call ops made for it was allowed to the deploy role, the schedules' role passed to Scheduler."""
    failed = {name: result.stderr[-3000:] for name, result in releases.results.items() if result.returncode != 0}
    assert not failed, failed
    first, second = (releases.web_revisions[tag] for tag in releases.tags)
    assert first != second
    expected = {"deploy": first, "deploy again": second, "rollback": first}
    for step, revision in expected.items():
        assert releases.schedule_revisions[step] == dict.fromkeys(EXPECTED_SCHEDULES, revision), step
    assert [str(record) for record in releases.records if not record.allowed] == []
    updates = [record for record in releases.records if record.call == "scheduler:UpdateSchedule"]
    assert len(updates) == 3 * len(EXPECTED_SCHEDULES)
    passed = {decision.request.action: decision.request.context for record in updates for decision in record.decisions}
    assert passed["iam:PassRole"] == {"iam:PassedToService": "scheduler.amazonaws.com"}
    assert "schedule purge-stale-uploads now runs" in releases.results["rollback"].stdout


def test_a_refused_schedule_update_leaves_the_release_live_and_says_so(releases: Releases) -> None:
    """When the schedules cannot be pointed, the verified release stays on every service, the schedules keep
    the revision they ran, and ops exits 1 with one line that says both."""
    refused = releases.refused
    assert refused.result.returncode == 1, refused.result.stderr[-3000:]
    errors = [line for line in refused.result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, refused.result.stderr
    assert "is live, but its periodic commands still run an earlier revision" in errors[0], errors
    assert "AccessDenied" in errors[0], errors
    assert set(refused.services_after) == set(refused.services_before)
    moved = {name for name in refused.services_after if refused.services_after[name] != refused.services_before[name]}
    assert moved == set(refused.services_before), (refused.services_before, refused.services_after)
    first = releases.web_revisions[releases.tags[0]]
    assert refused.web_revision != first
    assert refused.schedule_revisions == dict.fromkeys(EXPECTED_SCHEDULES, first)
    # Everything else the deploy did was allowed; only the schedule update was refused.
    denied = {record.call for record in refused.records if not record.allowed}
    assert denied == {"scheduler:GetSchedule"}, denied


def test_the_deploy_role_points_no_other_schedule(scheduled: ScheduledStack) -> None:
    """The same policy refuses another group's schedules and passing any other role to Scheduler."""
    principal = planned_deploy_principal(scheduled.stack)
    group = scheduled.names["scheduler_group"]
    scheduler_arn = f"arn:aws:scheduler:{scheduled.stack.outputs['aws_region']}:123456789012:schedule"
    role = scheduled.emulator.client("iam").get_role(RoleName=scheduled.names["iam_scheduler_role"])["Role"]["Arn"]
    to_scheduler = {"iam:PassedToService": "scheduler.amazonaws.com"}

    def allowed(action: str, resource: str, context: dict[str, str] | None = None) -> bool:
        request = AuthorizationRequest(action, resource, context or {})
        return evaluate(request, principal.policies, principal_arn=principal.arn).allowed

    assert allowed("scheduler:UpdateSchedule", f"{scheduler_arn}/{group}/purge-stale-uploads")
    assert not allowed("scheduler:UpdateSchedule", f"{scheduler_arn}/default/purge-stale-uploads")
    assert not allowed("scheduler:DeleteSchedule", f"{scheduler_arn}/{group}/purge-stale-uploads")
    assert not allowed("scheduler:CreateSchedule", f"{scheduler_arn}/{group}/another")
    assert allowed("iam:PassRole", role, to_scheduler)
    assert not allowed("iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    assert not allowed("iam:PassRole", role.rsplit("/", 1)[0] + "/another-role", to_scheduler)


def test_a_tick_runs_the_command_in_the_release_rolled_back_to(
    scheduled: ScheduledStack, releases: Releases, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """Scheduler's RunTask, replayed with each schedule's own parameters after the rollback: the first
    release's web revision starts, with the schedule's command, and logs what the command printed."""
    container_runtime["purge_stale_uploads"] = ContainerOutcome(0, ("purged 3 stale uploads",))
    container_runtime["retry_unprocessed_uploads"] = ContainerOutcome(0, ("requeued 1 upload",))
    ecs, logs = scheduled.emulator.client("ecs"), scheduled.emulator.client("logs")
    scheduler, group = scheduled.emulator.client("scheduler"), scheduled.names["scheduler_group"]
    for name, (command, _) in EXPECTED_SCHEDULES.items():
        target = scheduler.get_schedule(GroupName=group, Name=name)["Target"]
        parameters = target["EcsParameters"]
        network = parameters["NetworkConfiguration"]["awsvpcConfiguration"]
        started = ecs.run_task(
            cluster=target["Arn"],
            taskDefinition=parameters["TaskDefinitionArn"],
            count=parameters["TaskCount"],
            capacityProviderStrategy=parameters["CapacityProviderStrategy"],
            # Scheduler spells these fields in PascalCase; RunTask in camelCase.
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": network["Subnets"],
                    "securityGroups": network["SecurityGroups"],
                    "assignPublicIp": network["AssignPublicIp"],
                }
            },
            overrides=json.loads(target["Input"]),
            propagateTags=parameters["PropagateTags"],
        )
        assert started["failures"] == [], started["failures"]
        task = started["tasks"][0]
        assert task["taskDefinitionArn"] == releases.web_revisions[releases.tags[0]]
        definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
        web = next(container for container in definition["containerDefinitions"] if container["name"] == "web")
        assert web["image"].endswith(f":{releases.tags[0]}"), web["image"]
        # Each DescribeTasks moves the emulator's task one state on; it stops within a few.
        described = [ecs.describe_tasks(cluster=target["Arn"], tasks=[task["taskArn"]])["tasks"][0] for _ in range(6)]
        stopped = described[-1]
        assert stopped["lastStatus"] == "STOPPED", [entry["lastStatus"] for entry in described]
        assert [container["exitCode"] for container in stopped["containers"] if container["name"] == "web"] == [0]
        options = web["logConfiguration"]["options"]
        stream = f"{options['awslogs-stream-prefix']}/web/{task['taskArn'].rsplit('/', 1)[-1]}"
        events = logs.get_log_events(logGroupName=options["awslogs-group"], logStreamName=stream)["events"]
        assert [event["message"] for event in events] == list(container_runtime[command].output)


def scheduler_role(scheduled: ScheduledStack) -> Principal:
    """The scheduler role's policies as the stack applied them."""
    return role_principal(scheduled.emulator.client("iam"), scheduled.names["iam_scheduler_role"])


def test_only_eventbridge_scheduler_of_this_account_assumes_the_role(scheduled: ScheduledStack) -> None:
    role = scheduled.emulator.client("iam").get_role(RoleName=scheduled.names["iam_scheduler_role"])["Role"]
    account = role["Arn"].split(":")[4]
    document = role["AssumeRolePolicyDocument"]
    trust = json.loads(document) if isinstance(document, str) else document
    assert [statement["Principal"] for statement in trust["Statement"]] == [{"Service": "scheduler.amazonaws.com"}]
    condition = trust["Statement"][0]["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": account}
    assert condition["ArnLike"]["aws:SourceArn"].endswith(f":schedule/{scheduled.names['scheduler_group']}/*")


def test_the_scheduler_role_runs_only_the_web_family_in_its_cluster(scheduled: ScheduledStack) -> None:
    """RunTask of the web family's revisions in this cluster, nothing else; PassRole of the task's roles to ECS."""
    principal = scheduler_role(scheduled)
    ecs, iam = scheduled.emulator.client("ecs"), scheduled.emulator.client("iam")
    cluster_arn = ecs.describe_clusters(clusters=[scheduled.names["ecs_cluster"]])["clusters"][0]["clusterArn"]
    web_family = family_arn(scheduled, scheduled.stack.outputs["migration_task"]["task_definition_family"])
    app_family = family_arn(scheduled, scheduled.names["ecs_service_app"])
    other_cluster = cluster_arn.rsplit("/", 1)[0] + "/another-cluster"

    def allowed(action: str, resource: str, **context: str) -> bool:
        request = AuthorizationRequest(action, resource, context)
        return evaluate(request, principal.policies, principal_arn=principal.arn).allowed

    assert allowed("ecs:RunTask", f"{web_family}:7", **{"ecs:cluster": cluster_arn})
    assert allowed("ecs:RunTask", web_family, **{"ecs:cluster": cluster_arn})
    assert not allowed("ecs:RunTask", f"{app_family}:1", **{"ecs:cluster": cluster_arn})
    assert not allowed("ecs:RunTask", f"{web_family}-copy:1", **{"ecs:cluster": cluster_arn})
    assert not allowed("ecs:RunTask", f"{web_family}:7", **{"ecs:cluster": other_cluster})
    assert not allowed("ecs:StopTask", f"{web_family}:7", **{"ecs:cluster": cluster_arn})
    task_roles = [
        iam.get_role(RoleName=scheduled.names[key])["Role"]["Arn"] for key in ("iam_execution_role", "iam_task_role")
    ]
    for role_arn in task_roles:
        assert allowed("iam:PassRole", role_arn, **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})
        assert not allowed("iam:PassRole", role_arn, **{"iam:PassedToService": "ec2.amazonaws.com"})
    assert not allowed("iam:PassRole", principal.arn, **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    task_arn = cluster_arn.replace(":cluster/", ":task/") + "/0123456789abcdef"
    assert allowed("ecs:TagResource", task_arn, **{"ecs:CreateAction": "RunTask"})
    assert not allowed("ecs:TagResource", task_arn)


def test_the_emergency_destroy_finds_the_schedule_group_and_its_role(scheduled: ScheduledStack) -> None:
    """Without Terraform state, `ops destroy --emergency` still knows the schedules (by the names in names.json)."""
    run = scheduled.ops.run("destroy", "--env", ENVIRONMENT, "--emergency", "--dry-run")
    assert run.returncode == 0, run.stderr
    rows = [line.split() for line in run.stdout.splitlines()]
    assert ["schedule_group", scheduled.names["scheduler_group"]] in [row[:2] for row in rows], run.stdout
    assert ["iam_role", scheduled.names["iam_scheduler_role"]] in [row[:2] for row in rows], run.stdout
    assert "nothing deleted" in run.stdout and not [row for row in rows if row[:1] == ["unknown"]], run.stdout
