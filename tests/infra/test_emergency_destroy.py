"""``ops destroy --emergency`` on an applied demo stack whose Terraform state is gone.

The module applies its own ECS stack (its own project name, so the shared stacks are untouched),
deletes the state object from the state bucket and the local ``.terraform``, and then runs the real
ops CLI against the emulator in the order a person would: a dry run, a wrong confirmation, a run
refused by deletion protection, the destroy itself, and a second destroy. Resources of another
environment and of another project whose name starts with this one's are made next to it and must
survive, as must the bootstrap stack. Each test checks one part of the recorded outcome.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support.aws_checks import bucket_exists, role_exists
from support.emulator import Emulator
from support.ops_runner import OpsRunner, push_images, runner_for
from support.stacks import ENVIRONMENT, StackCycle, generate_project, new_cycle

from djaws.naming import derive_names

PROJECT_NAME = "Fabrikam Emergency Drill"
# Starts with PROJECT_NAME's prefix: prefix matching on names would wrongly take its resources.
NEIGHBOUR_PROJECT = "Fabrikam Emergency Drill Two"
OTHER_ENVIRONMENT = "dev"
CONFIRMATION = f"destroy {ENVIRONMENT}"
# Kinds the demo ECS stack must show in the dry run, with how many of each at least.
EXPECTED_KINDS = {
    "ecs_service": 5,
    "ecs_cluster": 1,
    "task_definition": 5,
    "listener": 1,
    "load_balancer": 1,
    "target_group": 3,
    "rds_instance": 1,
    "cache_group": 1,
    "db_subnet_group": 1,
    "db_parameter_group": 1,
    "cache_subnet_group": 1,
    "ecr_repository": 2,
    "s3_bucket": 1,
    "log_group": 5,
    "alarm": 4,
    "dashboard": 1,
    "query_definition": 3,
    "budget": 1,
    "sns_topic": 1,
    "secret": 1,
    "iam_role": 2,
    "subnet": 4,
    "route_table": 2,
    "internet_gateway": 1,
    "security_group": 4,
    "vpc_endpoint": 1,
    "vpc": 1,
}


@dataclass
class Bystanders:
    """Resources of another environment and of a neighbouring project, made beside the stack."""

    log_groups: list[str] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    repositories: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    vpcs: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What each ops run printed and left behind."""

    stack: StackCycle
    bystanders: Bystanders
    tagged_before: list[str]
    runs: dict[str, Any] = field(default_factory=dict)
    tagged_after: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def environment_tagged(emulator: Emulator, prefix: str, environment: str) -> list[str]:
    """ARNs tagged with the project and environment, as the Resource Groups Tagging API lists them."""
    tagging = emulator.client("resourcegroupstaggingapi")
    filters = [{"Key": "Project", "Values": [prefix]}, {"Key": "Environment", "Values": [environment]}]
    return sorted(
        entry["ResourceARN"]
        for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters)
        for entry in page["ResourceTagMappingList"]
    )


def make_bystanders(emulator: Emulator) -> Bystanders:
    """Another environment of the project and a neighbouring project, each with a few resources.

    The project's GitHub roles stand in for the bootstrap's (it makes them only for a GitHub owner,
    and one OIDC provider per account is all the shared stacks' bootstrap may create).
    """
    bystanders = Bystanders()
    own = derive_names(PROJECT_NAME)
    iam = emulator.client("iam")
    for role in (own.shared()["iam_deploy_role"], own.shared()["iam_infra_role"]):
        if not role_exists(emulator, role):
            iam.create_role(
                RoleName=role,
                AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
                Tags=[{"Key": "Project", "Value": own.resource_prefix}],
            )
    for prefix, names, environment in (
        (own.resource_prefix, own.for_environment(OTHER_ENVIRONMENT), OTHER_ENVIRONMENT),
        (
            derive_names(NEIGHBOUR_PROJECT).resource_prefix,
            derive_names(NEIGHBOUR_PROJECT).for_environment(ENVIRONMENT),
            ENVIRONMENT,
        ),
    ):
        tags = [{"Key": "Project", "Value": prefix}, {"Key": "Environment", "Value": environment}]
        logs = emulator.client("logs")
        log_group = f"{names['log_group_prefix']}/web"
        logs.create_log_group(logGroupName=log_group, tags={tag["Key"]: tag["Value"] for tag in tags})
        emulator.client("s3").create_bucket(
            Bucket=names["media_bucket"], CreateBucketConfiguration={"LocationConstraint": emulator.region}
        )
        emulator.client("ecr").create_repository(repositoryName=names["ecr_backend"], tags=tags)
        alarm = f"{names['alb']}-5xx"
        emulator.client("cloudwatch").put_metric_alarm(
            AlarmName=alarm,
            MetricName="HTTPCode_ELB_5XX_Count",
            Namespace="AWS/ApplicationELB",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            Tags=tags,
        )
        ec2 = emulator.client("ec2")
        vpc = ec2.create_vpc(
            CidrBlock="10.99.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [*tags, {"Key": "Name", "Value": names["vpc"]}]}],
        )["Vpc"]["VpcId"]
        ec2.create_security_group(GroupName=names["security_group_app"], Description="bystander", VpcId=vpc)
        bystanders.log_groups.append(log_group)
        bystanders.buckets.append(names["media_bucket"])
        bystanders.repositories.append(names["ecr_backend"])
        bystanders.alarms.append(alarm)
        bystanders.vpcs.append(vpc)
    return bystanders


def lose_state(stack: StackCycle) -> None:
    """Every version of the state object gone from the bucket, and the local .terraform with it."""
    s3 = stack.emulator.client("s3")
    bucket = stack.names.shared()["state_bucket"]
    versions = s3.list_object_versions(Bucket=bucket, Prefix=stack.state_key)
    for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])
    shutil.rmtree(stack.stack.directory / ".terraform")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix=stack.state_key)


def add_data_worth_keeping(stack: StackCycle) -> None:
    """What makes a careless destroy fail: images in ECR, versioned objects, deletion protection, a task."""
    push_images(stack, "v1")
    names, s3 = stack.environment_names, stack.emulator.client("s3")
    s3.put_bucket_versioning(Bucket=names["media_bucket"], VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=names["media_bucket"], Key="media/report.pdf", Body=body)
    s3.delete_object(Bucket=names["media_bucket"], Key="media/report.pdf")
    stack.emulator.client("rds").modify_db_instance(
        DBInstanceIdentifier=names["rds_instance"], DeletionProtection=True, ApplyImmediately=True
    )
    migration = stack.outputs["migration_task"]
    stack.emulator.client("ecs").run_task(
        cluster=names["ecs_cluster"],
        taskDefinition=names["ecs_service_web"],
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": migration["subnet_ids"],
                "securityGroups": migration["security_group_ids"],
            }
        },
    )


def timed(outcome: Outcome, label: str, ops: OpsRunner, *arguments: str) -> None:
    """Run ops, record its result and how long it took."""
    started = time.monotonic()
    outcome.runs[label] = ops.run("destroy", "--env", ENVIRONMENT, "--emergency", *arguments, timeout=900)
    outcome.seconds[label] = time.monotonic() - started
    prefix = outcome.stack.names.resource_prefix
    outcome.tagged_after[label] = environment_tagged(outcome.stack.emulator, prefix, ENVIRONMENT)


def widest_layout(tfvars: Path) -> None:
    """One service per process and ElastiCache instead of the demo's packed task: the most kinds to find."""
    text = re.sub(r'(?m)^task_layout(\s*)= "packed"$', r'task_layout\1= "per-process"', tfvars.read_text())
    text = re.sub(r'(?m)^redis(\s*)= "container"$', r'redis\1= "elasticache"', text)
    assert '"per-process"' in text and '"elasticache"' in text, text
    tfvars.write_text(text)


@pytest.fixture(scope="module")
def outcome(
    emulator: Emulator, terraform_cli_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Outcome]:
    """The whole drill, once: apply, lose the state, then every ops run the tests look at."""
    root = tmp_path_factory.mktemp("emergency")
    stack = new_cycle(PROJECT_NAME, "ecs-fargate", root, emulator, terraform_cli_config)
    widest_layout(stack.project / "infra" / "terraform" / "ecs-fargate" / "envs" / f"{ENVIRONMENT}.tfvars")
    started = time.monotonic()
    stack.run_to_applied()
    applied_seconds = time.monotonic() - started
    bystanders = make_bystanders(emulator)
    add_data_worth_keeping(stack)
    lose_state(stack)
    ops = runner_for(stack, root / "summary.md")
    result = Outcome(stack, bystanders, environment_tagged(emulator, stack.names.resource_prefix, ENVIRONMENT))
    result.seconds["apply"] = applied_seconds
    timed(result, "dry-run", ops, "--dry-run")
    timed(
        result, "wrong-confirmation", ops, "--confirm", f"destroy {OTHER_ENVIRONMENT}", "--disable-deletion-protection"
    )
    timed(result, "protected", ops, "--confirm", CONFIRMATION)
    # The emulator deletes at once; a short timeout turns a wait that never ends into a failure, not a hang.
    timed(result, "destroy", ops, "--confirm", CONFIRMATION, "--disable-deletion-protection", "--timeout", "120")
    timed(result, "again", ops, "--confirm", CONFIRMATION)
    print(f"emergency drill seconds: {json.dumps({k: round(v, 1) for k, v in result.seconds.items()})}")
    yield result


def table_kinds(stdout: str) -> dict[str, int]:
    """How many resources of each kind the dry-run table lists."""
    counts: dict[str, int] = {}
    for line in stdout.splitlines()[1:]:
        if re.match(r"^\d+ resources of ", line):
            return counts
        kind = line.split()[0]
        counts[kind] = counts.get(kind, 0) + 1
    raise AssertionError(f"no summary line after the table:\n{stdout}")


def test_dry_run_lists_every_kind_and_deletes_nothing(outcome: Outcome) -> None:
    """The dry run finds the stack's resources by name, tag and VPC, and changes nothing."""
    run = outcome.runs["dry-run"]
    assert run.returncode == 0, run.stderr
    counts = table_kinds(run.stdout)
    short = {
        kind: (counts.get(kind, 0), least) for kind, least in EXPECTED_KINDS.items() if counts.get(kind, 0) < least
    }
    assert short == {}, run.stdout
    assert run.stderr == "", run.stderr
    assert "unknown" not in counts, run.stdout
    assert f"{sum(counts.values())} resources of" in run.stdout and "nothing deleted" in run.stdout
    assert outcome.tagged_after["dry-run"] == outcome.tagged_before


@pytest.mark.parametrize("target", ["ecs-fargate", "ec2-all-in-one"])
def test_every_terraform_resource_type_is_handled(
    target: str, emulator: Emulator, terraform_cli_config: Path, tmp_path: Path
) -> None:
    """Every resource type a target's Terraform declares is one the emergency destroy deletes.

    ops compares the project's Terraform with its table of handled types and warns about any other,
    so a type added to the template without teaching the destroy fails here; the second half shows
    the warning is real by adding a type it does not know.
    """
    project = generate_project("Fabrikam Guard Check", target, tmp_path / "guard")
    ops = OpsRunner(project, emulator, terraform_cli_config, tmp_path / "summary.md")
    ops.sync()
    clean = ops.run("destroy", "--env", ENVIRONMENT, "--emergency", "--dry-run")
    assert clean.returncode == 0, clean.stderr
    assert "warning" not in clean.stderr, clean.stderr
    assert "nothing of fabrikam-guard-check demo found" in clean.stdout
    (project / "infra" / "terraform" / target / "queue.tf").write_text(
        'resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n'
    )
    flagged = ops.run("destroy", "--env", ENVIRONMENT, "--emergency", "--dry-run")
    assert flagged.returncode == 0
    assert "the Terraform creates aws_sqs_queue, which the emergency destroy does not know" in flagged.stderr


def test_wrong_confirmation_deletes_nothing(outcome: Outcome) -> None:
    run = outcome.runs["wrong-confirmation"]
    assert run.returncode == 2
    assert f'the confirmation must read "{CONFIRMATION}"' in run.stderr
    assert outcome.tagged_after["wrong-confirmation"] == outcome.tagged_before


def test_deletion_protection_refuses_before_anything_is_deleted(outcome: Outcome) -> None:
    run = outcome.runs["protected"]
    rds_instance = outcome.stack.environment_names["rds_instance"]
    assert run.returncode == 2
    assert f"deletion protection is on for RDS instance {rds_instance}" in run.stderr
    assert "--disable-deletion-protection" in run.stderr
    assert outcome.tagged_after["protected"] == outcome.tagged_before


def test_destroy_leaves_nothing_of_the_environment(outcome: Outcome) -> None:
    """Nothing tagged or named for the environment is left, by the Tagging API and per service."""
    run = outcome.runs["destroy"]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    emulator, names = outcome.stack.emulator, outcome.stack.environment_names
    leftovers = [
        arn
        for arn in outcome.tagged_after["destroy"]
        if ":snapshot:" not in arn and ":secretsmanager:" not in arn and not arn.startswith("arn:aws:ecs:")
    ]
    assert leftovers == []
    ecs = emulator.client("ecs")
    assert {cluster["status"] for cluster in ecs.describe_clusters(clusters=[names["ecs_cluster"]])["clusters"]} <= {
        "INACTIVE"
    }
    assert not ecs.list_tasks(cluster=names["ecs_cluster"], desiredStatus="RUNNING")["taskArns"]
    assert not emulator.client("rds").describe_db_instances()["DBInstances"] or all(
        instance["DBInstanceIdentifier"] != names["rds_instance"]
        for instance in emulator.client("rds").describe_db_instances()["DBInstances"]
    )
    groups = emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"]
    assert names["elasticache_group"] not in {group["ReplicationGroupId"] for group in groups}
    balancers = emulator.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert names["alb"] not in {balancer["LoadBalancerName"] for balancer in balancers}
    assert not bucket_exists(emulator, names["media_bucket"])
    repositories = {entry["repositoryName"] for entry in emulator.client("ecr").describe_repositories()["repositories"]}
    assert not {names["ecr_backend"], names["ecr_frontend"]} & repositories
    log_groups = emulator.client("logs").describe_log_groups(logGroupNamePrefix=names["log_group_prefix"] + "/")
    assert log_groups["logGroups"] == []
    assert not role_exists(emulator, names["iam_execution_role"]) and not role_exists(emulator, names["iam_task_role"])
    vpcs = emulator.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [names["vpc"]]}])["Vpcs"]
    assert vpcs == []
    dashboards = emulator.client("cloudwatch").list_dashboards(DashboardNamePrefix=names["dashboard"])
    assert dashboards["DashboardEntries"] == []
    topics = [topic["TopicArn"] for topic in emulator.client("sns").list_topics()["Topics"]]
    assert not [arn for arn in topics if arn.endswith(f":{names['alarm_topic']}")]


def test_database_keeps_a_final_snapshot(outcome: Outcome) -> None:
    names = outcome.stack.environment_names
    snapshots = outcome.stack.emulator.client("rds").describe_db_snapshots(DBInstanceIdentifier=names["rds_instance"])
    final = [s["DBSnapshotIdentifier"] for s in snapshots["DBSnapshots"] if s["SnapshotType"] == "manual"]
    assert len(final) == 1 and final[0].startswith(f"{names['rds_instance']}-final-")
    assert f"kept: RDS final snapshot {final[0]}" in outcome.runs["destroy"].stdout


def test_secrets_are_scheduled_for_deletion_not_erased(outcome: Outcome) -> None:
    """By default a secret keeps the shortest recovery window; the run says so."""
    secret = outcome.stack.environment_names["secret_django_key"]
    described = outcome.stack.emulator.client("secretsmanager").describe_secret(SecretId=secret)
    assert described.get("DeletedDate") is not None
    assert f"scheduled: secret {secret} is deleted in 7 days" in outcome.runs["destroy"].stdout


def test_other_environments_projects_and_bootstrap_survive(outcome: Outcome) -> None:
    emulator, bystanders, shared = outcome.stack.emulator, outcome.bystanders, outcome.stack.names.shared()
    logs = emulator.client("logs")
    for log_group in bystanders.log_groups:
        assert logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"], log_group
    for bucket in bystanders.buckets:
        assert bucket_exists(emulator, bucket), bucket
    repositories = {entry["repositoryName"] for entry in emulator.client("ecr").describe_repositories()["repositories"]}
    assert set(bystanders.repositories) <= repositories
    alarms = emulator.client("cloudwatch").describe_alarms(AlarmNames=bystanders.alarms)["MetricAlarms"]
    assert len(alarms) == len(bystanders.alarms)
    vpcs = {vpc["VpcId"] for vpc in emulator.client("ec2").describe_vpcs()["Vpcs"]}
    assert set(bystanders.vpcs) <= vpcs
    assert bucket_exists(emulator, shared["state_bucket"])
    assert role_exists(emulator, shared["iam_deploy_role"]) and role_exists(emulator, shared["iam_infra_role"])


def test_second_run_finds_nothing_and_succeeds(outcome: Outcome) -> None:
    run = outcome.runs["again"]
    assert run.returncode == 0, run.stderr
    assert f"nothing of {outcome.stack.names.resource_prefix} {ENVIRONMENT} found" in run.stdout
