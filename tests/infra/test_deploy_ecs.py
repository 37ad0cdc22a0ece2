"""``ops deploy``, ``rollback``, ``releases``, ``manage`` and ``outputs`` on the applied ECS demo stack.

ops runs for real as a subprocess against the emulator (support/ops_runner.py); the emulator's
container runtime (support/emulator.py) decides how one-off tasks exit and what they print, and a
loopback server stands in for the load balancer. Each test pushes the images it deploys under its
own tags, so the tests do not depend on each other. They need the applied stack, so they share the
"infra-apply" group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.emulator import ContainerOutcome
from support.ops_runner import (
    LoadBalancerStandIn,
    OpsRunner,
    deploy,
    new_tag,
    push_images,
    release_records,
    runner_for,
    runner_for_copy,
)
from support.stacks import ENVIRONMENT, StackCycle

pytestmark = pytest.mark.xdist_group("infra-apply")

MIGRATE = ["python", "manage.py", "migrate", "--noinput"]


@pytest.fixture(scope="module")
def ops(ecs_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops installed in the applied ECS project, pointed at the emulator."""
    return runner_for(ecs_stack, tmp_path_factory.mktemp("summary") / "step-summary.md")


def services(stack: StackCycle) -> dict[str, dict[str, Any]]:
    """The demo's services as ECS describes them, by key (the packed layout's one: app)."""
    names = stack.environment_names
    service_names = stack.outputs["ecs_service_names"]
    described = stack.emulator.client("ecs").describe_services(
        cluster=names["ecs_cluster"], services=list(service_names.values())
    )["services"]
    by_name = {name: key for key, name in service_names.items()}
    return {by_name[service["serviceName"]]: service for service in described}


def images_of(stack: StackCycle, task_definition: str) -> dict[str, str]:
    """Each container's image, by container name."""
    ecs = stack.emulator.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    return {container["name"]: container["image"] for container in definition["containerDefinitions"]}


def image_of(stack: StackCycle, task_definition: str, container: str = "web") -> str:
    return images_of(stack, task_definition)[container]


def one_off_task_arns(stack: StackCycle) -> set[str]:
    """Every one-off task ops started (running or stopped)."""
    ecs = stack.emulator.client("ecs")
    cluster = stack.environment_names["ecs_cluster"]
    return {
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs.list_tasks(cluster=cluster, startedBy="ops", desiredStatus=status)["taskArns"]
    }


def new_one_off_task(stack: StackCycle, known: set[str]) -> dict[str, Any]:
    """The one task ops started since ``known`` was taken."""
    started = one_off_task_arns(stack) - known
    assert len(started) == 1, started
    cluster = stack.environment_names["ecs_cluster"]
    return dict(stack.emulator.client("ecs").describe_tasks(cluster=cluster, tasks=list(started))["tasks"][0])


def test_deploy_moves_every_service_to_sha_images_after_migrating(
    ecs_stack: StackCycle, ops: OpsRunner, site: LoadBalancerStandIn, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """Happy path: revisions with the SHA images, migration task with its override, services moved, recorded."""
    container_runtime["migrate"] = ContainerOutcome(0, ("Applying accounts.0001_initial... OK",))
    before, known_tasks = services(ecs_stack), one_off_task_arns(ecs_stack)
    tag = new_tag()
    push_images(ecs_stack, tag)
    result = ops.run("deploy", "--env", ENVIRONMENT, "--tag", tag, "--url", site.url)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    after = services(ecs_stack)
    urls = ecs_stack.outputs["ecr_repository_urls"]
    configured = ecs_stack.outputs["service_desired_counts"]
    assert set(after) == set(configured) == {"app"}
    for key, service in after.items():
        assert service["taskDefinition"] != before[key]["taskDefinition"], key
        assert service["desiredCount"] == configured[key] == 1, key
    # Every process of the packed task on the new tag; Redis keeps its public image.
    containers = images_of(ecs_stack, after["app"]["taskDefinition"])
    for process in ("web", "websocket", "frontend", "worker", "beat"):
        assert containers[process] == f"{urls['frontend' if process == 'frontend' else 'backend']}:{tag}", process
    assert containers["redis"].startswith("public.ecr.aws/docker/library/redis:")
    record = release_records(ecs_stack)[-1]
    # Migrations ran in a task of the web-only family, never of the packed one (no second beat).
    task = new_one_off_task(ecs_stack, known_tasks)
    assert task["taskDefinitionArn"] == record["revisions"]["web"]
    assert set(images_of(ecs_stack, task["taskDefinitionArn"])) == {"web", "redis"}
    assert image_of(ecs_stack, task["taskDefinitionArn"]) == f"{urls['backend']}:{tag}"
    assert task["overrides"]["containerOverrides"] == [{"name": "web", "command": MIGRATE}]
    assert task["lastStatus"] == "STOPPED" and task["containers"][0]["exitCode"] == 0

    assert record["sha"] == tag and record["status"] == "succeeded" and record["kind"] == "deploy"
    assert record["revisions"]["app"] == after["app"]["taskDefinition"] and set(record["revisions"]) == {"app", "web"}
    assert record["migration"] == {"exit_code": 0, "output_tail": ["Applying accounts.0001_initial... OK"]}
    assert record["actor"] == "deploy-test" and record["finished_at"]
    assert record["id"] in result.stdout and "succeeded" in result.stdout
    assert {"/api/health/ready/", "/"} <= set(site.requests)
    summary = ops.summary_file.read_text()
    assert tag in summary and f"{urls['backend']}:{tag}" in summary and "AWS calls" in summary
    assert "Applying accounts.0001_initial... OK" in summary


def test_failing_migration_changes_no_service(
    ecs_stack: StackCycle, ops: OpsRunner, site: LoadBalancerStandIn, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """Migrations exit non-zero: every service stays where it was; one line says so; the release is recorded."""
    deploy(ecs_stack, ops, site)
    before = services(ecs_stack)
    container_runtime["migrate"] = ContainerOutcome(1, ("django.db.utils.OperationalError: lock timeout",))
    tag = new_tag()
    push_images(ecs_stack, tag)
    result = ops.run("deploy", "--env", ENVIRONMENT, "--tag", tag, "--url", site.url)

    assert result.returncode == 1
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1 and "migrations failed (exit 1)" in error_lines[0], result.stderr
    assert "OperationalError" in error_lines[0]
    after = services(ecs_stack)
    for key in before:
        assert after[key]["taskDefinition"] == before[key]["taskDefinition"], key
    record = release_records(ecs_stack)[-1]
    assert record["sha"] == tag and record["status"] == "failed" and record["migration"]["exit_code"] == 1


def test_failing_readiness_puts_every_service_back(
    ecs_stack: StackCycle, ops: OpsRunner, site: LoadBalancerStandIn
) -> None:
    """Services moved, then /api/health/ready/ answers 503: all back on their revisions and counts, and the error
    says why readiness failed (asked with the environment's readiness token from Secrets Manager)."""
    deploy(ecs_stack, ops, site)
    before = services(ecs_stack)
    site.statuses["/api/health/ready/"] = 503
    secrets = ecs_stack.emulator.client("secretsmanager")
    site.readiness_token = secrets.get_secret_value(SecretId=ecs_stack.environment_names["secret_readiness_token"])[
        "SecretString"
    ]
    # The readiness view's answer to a request carrying the token (backend/apps/core/health.py).
    site.detailed["/api/health/ready/"] = {
        "status": "error",
        "components": {
            "database": {"status": "ok", "detail": "postgresql", "duration_ms": 1.2},
            "cache": {
                "status": "error",
                "detail": "Error 111 connecting to redis:6379.\nConnection refused.",
                "duration_ms": 3.4,
            },
        },
    }
    tag = new_tag()
    push_images(ecs_stack, tag)
    result = ops.run("deploy", "--env", ENVIRONMENT, "--tag", tag, "--url", site.url)

    assert result.returncode == 1
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1, result.stderr
    assert "readiness check failed" in error_lines[0] and "503" in error_lines[0]
    assert "(cache: Error 111 connecting to redis:6379. Connection refused.)" in error_lines[0]
    assert "database" not in error_lines[0] and site.detailed_requests == ["/api/health/ready/"]
    assert "back on its previous revision" in error_lines[0]
    after = services(ecs_stack)
    for key in before:
        assert after[key]["taskDefinition"] == before[key]["taskDefinition"], key
        assert after[key]["desiredCount"] == before[key]["desiredCount"], key
        assert len(after[key]["deployments"]) == 1, key
    record = release_records(ecs_stack)[-1]
    assert record["sha"] == tag and record["status"] == "rolled-back" and "readiness" in record["error"]


def test_second_deploy_builds_on_the_latest_revision_of_each_family(
    ecs_stack: StackCycle, ops: OpsRunner, site: LoadBalancerStandIn
) -> None:
    """A later deploy gets new revisions again (immutable tags) and keeps settings Terraform registered since."""
    first = deploy(ecs_stack, ops, site)
    # What Terraform does on a settings change while it ignores the service's task definition.
    ecs = ecs_stack.emulator.client("ecs")
    family = ecs_stack.outputs["ecs_task_definition_families"]["app"]
    latest = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    containers = [dict(container) for container in latest["containerDefinitions"]]
    web_container = next(container for container in containers if container["name"] == "web")
    web_container["environment"] = [*web_container["environment"], {"name": "NEW_SETTING", "value": "from-terraform"}]
    keys = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities", "cpu", "memory")
    ecs.register_task_definition(**{key: latest[key] for key in keys}, containerDefinitions=containers)

    second = deploy(ecs_stack, ops, site)
    app = ecs.describe_task_definition(taskDefinition=services(ecs_stack)["app"]["taskDefinition"])["taskDefinition"]
    web = next(container for container in app["containerDefinitions"] if container["name"] == "web")
    assert web["image"].endswith(f":{second}")
    assert {"name": "NEW_SETTING", "value": "from-terraform"} in web["environment"]
    repository = ecs_stack.environment_names["ecr_backend"]
    for tag in (first, second):
        assert ecs_stack.emulator.client("ecr").describe_images(
            repositoryName=repository, imageIds=[{"imageTag": tag}]
        )["imageDetails"]


def test_rollback_to_a_named_release(ecs_stack: StackCycle, ops: OpsRunner, site: LoadBalancerStandIn) -> None:
    """ops rollback --to SHA: every service on that release's revisions, a deregistered one re-registered."""
    first = deploy(ecs_stack, ops, site)
    restored = release_records(ecs_stack)[-1]
    deploy(ecs_stack, ops, site)
    ecs = ecs_stack.emulator.client("ecs")
    ecs.deregister_task_definition(taskDefinition=restored["revisions"]["app"])

    result = ops.run("rollback", "--env", ENVIRONMENT, "--to", first[:10], "--url", site.url)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    after = services(ecs_stack)
    # The deregistered revision was registered again, identical: every process back on the first tag.
    assert after["app"]["taskDefinition"] != restored["revisions"]["app"]
    assert image_of(ecs_stack, after["app"]["taskDefinition"], "worker").endswith(f":{first}")
    assert len(after["app"]["deployments"]) == 1 and after["app"]["desiredCount"] == 1
    record = release_records(ecs_stack)[-1]
    assert record["kind"] == "rollback" and record["status"] == "succeeded"
    assert record["restores"] == restored["id"] and record["sha"] == first

    listed = ops.run("releases", "--env", ENVIRONMENT, "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["id"] == record["id"]


def test_manage_runs_a_one_off_task_and_returns_its_exit_code(
    ecs_stack: StackCycle, ops: OpsRunner, site: LoadBalancerStandIn, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """ops manage -- ARGS: a one-off task of the running web revision; its log lines and exit code."""
    deploy(ecs_stack, ops, site)
    container_runtime["showmigrations"] = ContainerOutcome(3, ("accounts", " [X] 0001_initial"))
    known_tasks = one_off_task_arns(ecs_stack)
    result = ops.run("manage", "--env", ENVIRONMENT, "--", "showmigrations", "accounts")
    assert result.returncode == 3, result.stderr
    assert "[X] 0001_initial" in result.stdout
    task = new_one_off_task(ecs_stack, known_tasks)
    assert task["overrides"]["containerOverrides"][0]["command"] == [
        "python",
        "manage.py",
        "showmigrations",
        "accounts",
    ]
    # The running release's web-only revision (the packed layout has no web service to read it from).
    assert task["taskDefinitionArn"] == release_records(ecs_stack)[-1]["revisions"]["web"]


def test_outputs_of_an_environment_without_infrastructure_exit_3(
    ecs_stack: StackCycle, ops: OpsRunner, tmp_path: Path
) -> None:
    """ops outputs for an environment never applied: exit 3 and one line (CI turns it into a notice)."""
    other = runner_for_copy(ops, tmp_path)
    result = other.run("outputs", "--env", "dev")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "no infrastructure" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    applied = other.run("outputs", "--env", ENVIRONMENT)
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["ecs_cluster_name"] == ecs_stack.environment_names["ecs_cluster"]
