"""``ops deploy``/``rollback``/``manage`` on the applied EC2 demo stack: the host scripts through SSM.

SSM Run Command is checked against the emulator: which script and tag reach the instance, in which
directory, and what ops does with the exit code (the emulator's runtime table stands in for the
host). What deploy.sh itself does on the host is tested with real containers elsewhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.emulator import ContainerOutcome
from support.ops_runner import OpsRunner, new_tag, push_images, release_records, runner_for
from support.stacks import ENVIRONMENT, StackCycle

pytestmark = pytest.mark.xdist_group("infra-apply")


@pytest.fixture(scope="module")
def ops(ec2_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops installed in the applied EC2 project, pointed at the emulator."""
    return runner_for(ec2_stack, tmp_path_factory.mktemp("summary") / "step-summary.md")


def last_command(stack: StackCycle) -> dict[str, Any]:
    """The newest Run Command sent to the host."""
    commands = stack.emulator.client("ssm").list_commands(InstanceId=stack.outputs["instance_id"])["Commands"]
    return max(commands, key=lambda command: command["RequestedDateTime"])


def test_deploy_runs_the_deploy_script_with_the_tag_through_ssm(
    ec2_stack: StackCycle, ops: OpsRunner, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """AWS-RunShellScript on the instance: deploy.sh TAG in the app directory; output shown; release recorded."""
    tag = new_tag()
    push_images(ec2_stack, tag)
    container_runtime[f"deploy.sh {tag}"] = ContainerOutcome(0, ("web: ready through nginx", "deployed " + tag))
    result = ops.run("deploy", "--env", ENVIRONMENT, "--tag", tag)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    command = last_command(ec2_stack)
    assert command["DocumentName"] == "AWS-RunShellScript"
    assert command["InstanceIds"] == [ec2_stack.outputs["instance_id"]]
    assert command["Parameters"]["commands"] == [f"bash deploy/ec2/deploy.sh {tag}"]
    assert command["Parameters"]["workingDirectory"] == [ec2_stack.outputs["app_dir"]]
    assert "web: ready through nginx" in result.stdout
    record = release_records(ec2_stack)[-1]
    assert record["image_tag"] == tag and record["status"] == "succeeded" and record["target"] == "ec2-all-in-one"
    assert record["images"]["backend"] == f"{ec2_stack.outputs['ecr_repository_urls']['backend']}:{tag}"


def test_failed_host_deploy_is_reported_and_rollback_sends_the_previous_tag(
    ec2_stack: StackCycle, ops: OpsRunner, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """deploy.sh fails (it restored the previous tag itself): exit 1, one line; ops rollback sends the tag before."""
    good, bad = new_tag(), new_tag()
    for tag in (good, bad):
        push_images(ec2_stack, tag)
    assert ops.run("deploy", "--env", ENVIRONMENT, "--tag", good).returncode == 0
    container_runtime[f"deploy.sh {bad}"] = ContainerOutcome(1, ("readiness failed: restored the previous images",))
    result = ops.run("deploy", "--env", ENVIRONMENT, "--tag", bad)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "failed on the host (exit 1)" in result.stderr
    assert release_records(ec2_stack)[-1]["status"] == "rolled-back"

    newer = new_tag()
    push_images(ec2_stack, newer)
    assert ops.run("deploy", "--env", ENVIRONMENT, "--tag", newer).returncode == 0
    rollback = ops.run("rollback", "--env", ENVIRONMENT)
    assert rollback.returncode == 0, rollback.stderr
    assert last_command(ec2_stack)["Parameters"]["commands"] == [f"bash deploy/ec2/deploy.sh {good}"]
    record = release_records(ec2_stack)[-1]
    assert record["kind"] == "rollback" and record["image_tag"] == good and record["previous_image_tag"] == newer


def test_manage_runs_the_manage_script_on_the_host(
    ec2_stack: StackCycle, ops: OpsRunner, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """ops manage -- ARGS runs deploy/ec2/manage.sh ARGS on the host and returns its exit code."""
    container_runtime["manage.sh createsuperuser"] = ContainerOutcome(2, ("CommandError: missing --email",))
    result = ops.run("manage", "--env", ENVIRONMENT, "--", "createsuperuser", "--noinput")
    assert result.returncode == 2
    assert "CommandError: missing --email" in result.stdout
    assert last_command(ec2_stack)["Parameters"]["commands"] == ["bash deploy/ec2/manage.sh createsuperuser --noinput"]
