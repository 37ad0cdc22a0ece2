"""``ops exec`` and ``ops cleanup`` on the applied ECS and EC2 demo stacks.

exec: the interactive session itself needs AWS's Session Manager and cannot run here. What ops
decides can: which task or host it picks (from the emulator, whose services run tasks after a
deploy) and the exact command line it hands to the AWS CLI, which a stand-in ``aws`` on the PATH
records. The stack's side is checked in the emulator: ECS Exec on for every service, and the task
role allowed to open the session's channels.

cleanup: deploy/ec2/cleanup.sh runs here for real against a stand-in ``docker`` and ``journalctl``
that record every call (the images, their ages and which ones containers use come from a file), and
its output is what the emulator's Run Command returns when ``ops cleanup`` sends it to the host.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.emulator import ContainerOutcome
from support.ops_runner import LoadBalancerStandIn, OpsRunner, deploy, runner_for
from support.stacks import ENVIRONMENT, StackCycle

pytestmark = pytest.mark.xdist_group("infra-apply")

REGION = "ap-northeast-2"
EXEC_CHANNEL_ACTIONS = {
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
}
# Records its arguments, NUL-separated, and ends as a session the user closed would.
FAKE_AWS = """#!/bin/bash
printf '%s\\0' "$@" > "$FAKE_AWS_ARGV"
"""
# docker as cleanup.sh sees it. $FAKE_IMAGES lines: "REFERENCE CREATED in-use|unused".
FAKE_DOCKER = """#!/bin/bash
echo "docker $*" >> "$FAKE_CALLS"
case "$1 $2" in
    "image ls") cut -d' ' -f1 "$FAKE_IMAGES" ;;
    "image inspect") awk -v ref="$5" '$1 == ref { print $2 }' "$FAKE_IMAGES" ;;
    "image rm") awk -v ref="$3" '$1 == ref && $3 == "in-use" { refused = 1 } END { exit refused }' "$FAKE_IMAGES" ;;
    "info --format") echo "$FAKE_DOCKER_ROOT" ;;
esac
"""
FAKE_JOURNALCTL = """#!/bin/bash
echo "journalctl $*" >> "$FAKE_CALLS"
"""
CURRENT, PREVIOUS = "c" * 40, "b" * 40


def stand_ins(directory: Path, **scripts: str) -> Path:
    """A directory of executable stand-ins, named by keyword (underscores become dashes)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        path = directory / name.replace("_", "-")
        path.write_text(text)
        path.chmod(0o755)
    return directory


@pytest.fixture(scope="module")
def ecs_ops(ecs_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops in the applied ECS project, with a recording ``aws`` and a session-manager-plugin on the PATH."""
    return with_session_stand_ins(
        runner_for(ecs_stack, tmp_path_factory.mktemp("summary") / "summary.md"), tmp_path_factory
    )


@pytest.fixture(scope="module")
def ec2_ops(ec2_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops in the applied EC2 project, with the same stand-ins."""
    return with_session_stand_ins(
        runner_for(ec2_stack, tmp_path_factory.mktemp("summary") / "summary.md"), tmp_path_factory
    )


def with_session_stand_ins(ops: OpsRunner, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    directory = tmp_path_factory.mktemp("session")
    bin_dir = stand_ins(directory / "bin", aws=FAKE_AWS, session_manager_plugin="#!/bin/sh\n")
    # AWS_CLI names the stand-in: PATH order alone is not enough where uv is a pyenv shim (it puts
    # the Python installation's bin, with its own aws, first).
    return dataclasses.replace(
        ops,
        extra_environment={
            "AWS_CLI": str(bin_dir / "aws"),
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "FAKE_AWS_ARGV": str(directory / "argv"),
        },
    )


def exec_run(ops: OpsRunner, *arguments: str) -> tuple[subprocess.CompletedProcess[str], list[str] | None]:
    """Run ``ops exec``: how it ended, and the arguments the stand-in aws got (None when it was not started)."""
    argv_file = Path(ops.extra_environment["FAKE_AWS_ARGV"])
    argv_file.unlink(missing_ok=True)
    result = ops.run("exec", *arguments)
    return result, argv_file.read_text().split("\0")[:-1] if argv_file.exists() else None


def handed_over(ops: OpsRunner, *arguments: str) -> list[str] | None:
    """Run ``ops exec``, which must succeed; the arguments the stand-in aws got."""
    result, argv = exec_run(ops, *arguments)
    assert result.returncode == 0, result.stdout + result.stderr
    return argv


def running_tasks(stack: StackCycle, process: str) -> list[str]:
    """The RUNNING tasks of the service whose task runs the process (the demo's one packed service)."""
    ecs = stack.emulator.client("ecs")
    key = next(key for key, containers in stack.outputs["service_containers"].items() if process in containers)
    service = stack.outputs["ecs_service_names"][key]
    return ecs.list_tasks(cluster=stack.outputs["ecs_cluster_name"], serviceName=service, desiredStatus="RUNNING")[
        "taskArns"
    ]


# --- ECS Exec --------------------------------------------------------------------------------------


def test_the_stack_turns_ecs_exec_on_and_lets_the_task_role_open_channels(ecs_stack: StackCycle) -> None:
    ecs, iam = ecs_stack.emulator.client("ecs"), ecs_stack.emulator.client("iam")
    services = ecs.describe_services(
        cluster=ecs_stack.outputs["ecs_cluster_name"], services=list(ecs_stack.outputs["ecs_service_names"].values())
    )["services"]
    assert services and all(service["enableExecuteCommand"] for service in services)
    role = ecs_stack.outputs["task_role_arn"].rsplit("/", 1)[-1]
    document = iam.get_role_policy(RoleName=role, PolicyName="ecs-exec")["PolicyDocument"]
    statements = document["Statement"]
    assert [set(statement["Action"]) for statement in statements] == [EXEC_CHANNEL_ACTIONS]
    assert statements[0]["Effect"] == "Allow" and statements[0]["Resource"] == "*"


def test_exec_hands_the_running_task_to_aws_ecs_execute_command(
    ecs_stack: StackCycle, ecs_ops: OpsRunner, site: LoadBalancerStandIn
) -> None:
    """After two deploys: the one RUNNING web task (not the first deploy's, now stopped), its web container."""
    deploy(ecs_stack, ecs_ops, site)
    first = set(running_tasks(ecs_stack, "web"))
    deploy(ecs_stack, ecs_ops, site)
    [task] = running_tasks(ecs_stack, "web")
    assert task not in first
    cluster = ecs_stack.outputs["ecs_cluster_name"]
    base = ["ecs", "execute-command", "--region", REGION, "--cluster", cluster]
    assert handed_over(ecs_ops, "--env", ENVIRONMENT) == [
        *base,
        *("--task", task, "--container", "web", "--interactive", "--command", "/bin/sh"),
    ]
    [worker_task] = running_tasks(ecs_stack, "worker")
    assert handed_over(ecs_ops, "worker", "--env", ENVIRONMENT, "--command", "python manage.py shell") == [
        *base,
        *("--task", worker_task, "--container", "worker", "--interactive", "--command", "python manage.py shell"),
    ]


def test_exec_without_a_running_task_is_one_line(
    ecs_stack: StackCycle, ecs_ops: OpsRunner, site: LoadBalancerStandIn, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """The worker's tasks keep crashing: exit 1, one line, no session started."""
    deploy(ecs_stack, ecs_ops, site)
    ecs = ecs_stack.emulator.client("ecs")
    key = next(key for key, containers in ecs_stack.outputs["service_containers"].items() if "worker" in containers)
    worker = {
        "cluster": ecs_stack.outputs["ecs_cluster_name"],
        "service": ecs_stack.outputs["ecs_service_names"][key],
    }
    container_runtime["config.worker"] = ContainerOutcome(1)
    ecs.update_service(**worker, forceNewDeployment=True)
    try:
        assert running_tasks(ecs_stack, "worker") == []
        result, argv = exec_run(ecs_ops, "worker", "--env", ENVIRONMENT)
    finally:
        container_runtime.clear()
        ecs.update_service(**worker, forceNewDeployment=True)
    assert result.returncode == 1 and argv is None
    assert result.stderr.strip().splitlines() == [
        f"ops exec: no running worker task in {ENVIRONMENT}: `ops status --env {ENVIRONMENT}` shows why"
    ]


def test_exec_refuses_an_unknown_service_and_a_missing_plugin(ecs_stack: StackCycle, ecs_ops: OpsRunner) -> None:
    unknown = ecs_ops.run("exec", "nginx", "--env", ENVIRONMENT)
    assert unknown.returncode == 2
    # The processes (containers) of the environment, whichever services run them.
    services = ", ".join(sorted({name for names in ecs_stack.outputs["service_containers"].values() for name in names}))
    assert unknown.stderr.strip().splitlines() == [f"ops exec: unknown service 'nginx'; {ENVIRONMENT} has {services}"]
    path = [Path(entry) for entry in os.environ["PATH"].split(os.pathsep)]
    path = [entry for entry in path if not (entry / "session-manager-plugin").exists()]
    without_plugin = dataclasses.replace(
        ecs_ops, extra_environment={**ecs_ops.extra_environment, "PATH": os.pathsep.join(map(str, path))}
    )
    result = without_plugin.run("exec", "--env", ENVIRONMENT)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "ops exec: session-manager-plugin not found: the AWS CLI needs it for the session; install it, https://"
        )
    )


# --- Session Manager on the EC2 host ---------------------------------------------------------------


def test_exec_on_ec2_starts_a_session_on_the_host_or_in_a_service(ec2_stack: StackCycle, ec2_ops: OpsRunner) -> None:
    instance, app_dir = ec2_stack.outputs["instance_id"], ec2_stack.outputs["app_dir"]
    session = ["ssm", "start-session", "--region", REGION, "--target", instance]
    assert handed_over(ec2_ops, "--env", ENVIRONMENT) == session
    in_web = (
        f"sudo docker compose --project-directory {app_dir} -f {app_dir}/docker-compose.prod.yml "
        "exec web python manage.py shell"
    )
    assert handed_over(ec2_ops, "web", "--env", ENVIRONMENT, "--command", "python manage.py shell") == [
        *session,
        *("--document-name", "AWS-StartInteractiveCommand", "--parameters", json.dumps({"command": [in_web]})),
    ]


def test_exec_on_a_stopped_host_is_one_line(ec2_stack: StackCycle, ec2_ops: OpsRunner) -> None:
    ec2, instance = ec2_stack.emulator.client("ec2"), ec2_stack.outputs["instance_id"]
    ec2.stop_instances(InstanceIds=[instance])
    try:
        result, started = exec_run(ec2_ops, "--env", ENVIRONMENT)
    finally:
        ec2.start_instances(InstanceIds=[instance])
    assert result.returncode == 1 and started is None
    assert result.stderr.strip().splitlines() == [
        f"ops exec: host {instance} is stopped, not running: start it (aws ec2 start-instances --instance-ids "
        f"{instance}) or recreate it with make infra-apply ENV={ENVIRONMENT}"
    ]


# --- cleanup ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Host:
    """The host as cleanup.sh sees it: the app directory, its images, and the calls it made."""

    stack: StackCycle
    directory: Path

    @property
    def calls_file(self) -> Path:
        return self.directory / "calls.log"

    def run(self, *options: str) -> tuple[list[str], list[str]]:
        """Run the real cleanup.sh here: its stdout lines and the docker/journalctl calls it made."""
        self.calls_file.unlink(missing_ok=True)
        result = subprocess.run(
            ["bash", str(self.directory / "app" / "deploy" / "ec2" / "cleanup.sh"), *options],
            env={
                **os.environ,
                "PATH": f"{self.directory / 'bin'}:{os.environ['PATH']}",
                "FAKE_CALLS": str(self.calls_file),
                "FAKE_IMAGES": str(self.directory / "images.txt"),
                "FAKE_DOCKER_ROOT": str(self.directory / "docker"),
            },
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.splitlines(), self.calls_file.read_text().splitlines()

    def asked_to_remove(self, calls: list[str]) -> set[str]:
        """Images `docker image rm` was asked to remove (Docker refuses those a container uses)."""
        return {call.split()[-1] for call in calls if call.startswith("docker image rm ")}


def created(days_ago: float) -> str:
    """An image's creation time as ``docker image inspect`` prints it."""
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")


@pytest.fixture
def host(ec2_stack: StackCycle, tmp_path: Path) -> Host:
    """An app directory with the project's cleanup.sh, current and previous releases, images of every kind."""
    app = tmp_path / "app"
    (app / "deploy" / "ec2").mkdir(parents=True)
    (app / "state").mkdir()
    script = app / "deploy" / "ec2" / "cleanup.sh"
    script.write_text((ec2_stack.project / "deploy" / "ec2" / "cleanup.sh").read_text())
    (app / "host.env").write_text(f"COMPOSE_PROJECT_NAME={ec2_stack.names.project_slug}\n")
    (app / "state" / "release.env").write_text(f"IMAGE_TAG={CURRENT}\nPREVIOUS_IMAGE_TAG={PREVIOUS}\n")
    stand_ins(tmp_path / "bin", docker=FAKE_DOCKER, journalctl=FAKE_JOURNALCTL)
    registry = ec2_stack.outputs["ecr_repository_urls"]["backend"]
    images = [
        (f"{registry}:{CURRENT}", created(10), "in-use"),
        (f"{registry}:{PREVIOUS}", created(30), "unused"),
        (f"{registry}:{'a' * 40}", created(60), "unused"),
        (f"{registry}:{'d' * 40}", created(1), "unused"),
        ("nginx:1.27-alpine", created(90), "in-use"),
    ]
    (tmp_path / "images.txt").write_text("".join(" ".join(image) + "\n" for image in images))
    logs = tmp_path / "docker" / "containers" / "abc"
    logs.mkdir(parents=True)
    with (logs / "abc-json.log").open("wb") as big:
        big.truncate(150 * 1024 * 1024)  # sparse: takes no disk
    (logs / "def-json.log").write_text("a small log\n")
    return Host(ec2_stack, tmp_path)


def test_cleanup_script_by_default_removes_only_what_is_a_week_unused(host: Host) -> None:
    """The 60-day-old image goes; the day-old one and both releases' stay; project containers are left alone."""
    lines, calls = host.run()
    registry = host.stack.outputs["ecr_repository_urls"]["backend"]
    assert host.asked_to_remove(calls) == {f"{registry}:{'a' * 40}", "nginx:1.27-alpine"}
    assert f"removed image {registry}:{'a' * 40}" in lines and "removed image nginx:1.27-alpine" not in lines
    project = host.stack.names.project_slug
    assert (
        f"docker container prune --force --filter label!=com.docker.compose.project={project} --filter until=168h"
        in calls
    )
    assert "docker builder prune --all --force --filter until=168h" in calls
    assert "journalctl --vacuum-time=14d" in calls
    assert not any("volume" in call for call in calls)
    containers = host.directory / "docker" / "containers" / "abc"
    assert (containers / "abc-json.log").stat().st_size == 0 and (containers / "def-json.log").stat().st_size > 0
    summary = json.loads(lines[-1])
    assert (summary["aggressive"], summary["volumes"], summary["removed_images"]) == (False, False, 1)
    assert summary["kept_tags"] == [CURRENT, PREVIOUS]
    assert set(summary["disk"]["before"]) == {"size_kib", "used_kib", "percent"}


def test_cleanup_script_aggressive_keeps_only_the_releases_images(host: Host) -> None:
    """Everything unused now goes, the day-old image too; the current and previous release's are never touched."""
    lines, calls = host.run("--aggressive")
    registry = host.stack.outputs["ecr_repository_urls"]["backend"]
    assert host.asked_to_remove(calls) == {f"{registry}:{'a' * 40}", f"{registry}:{'d' * 40}", "nginx:1.27-alpine"}
    assert not any(tag in call for call in calls for tag in (CURRENT, PREVIOUS) if call.startswith("docker image rm"))
    assert not any("until=" in call for call in calls)
    assert "journalctl --vacuum-time=2d" in calls
    assert json.loads(lines[-1])["removed_images"] == 2


def test_cleanup_script_removes_volumes_only_when_asked_and_never_the_projects(host: Host) -> None:
    _, calls = host.run("--volumes")
    project = host.stack.names.project_slug
    assert f"docker volume prune --all --force --filter label!=com.docker.compose.project={project}" in calls


def last_command(stack: StackCycle) -> dict[str, Any]:
    commands = stack.emulator.client("ssm").list_commands(InstanceId=stack.outputs["instance_id"])["Commands"]
    return max(commands, key=lambda command: command["RequestedDateTime"])


def command_count(stack: StackCycle) -> int:
    return len(stack.emulator.client("ssm").list_commands(InstanceId=stack.outputs["instance_id"])["Commands"])


def test_ops_cleanup_runs_the_script_on_the_host_and_prints_disk_use(
    ec2_stack: StackCycle, ec2_ops: OpsRunner, host: Host, container_runtime: dict[str, ContainerOutcome]
) -> None:
    for options in ((), ("--aggressive",)):
        lines, _ = host.run(*options)
        summary = json.loads(lines[-1])
        container_runtime["cleanup.sh"] = ContainerOutcome(0, tuple(lines))
        result = ec2_ops.run("cleanup", "--env", ENVIRONMENT, *options)
        assert result.returncode == 0, result.stdout + result.stderr
        command = last_command(ec2_stack)
        assert command["Parameters"]["commands"] == [" ".join(("bash deploy/ec2/cleanup.sh", *options))]
        assert command["Parameters"]["workingDirectory"] == [ec2_stack.outputs["app_dir"]]
        before, after = summary["disk"]["before"]["percent"], summary["disk"]["after"]["percent"]
        assert f"disk /: {before}% -> {after}% used" in result.stdout
        assert f"removed {summary['removed_images']} image(s); kept the releases' images ({'c' * 12}, {'b' * 12})" in (
            result.stdout
        )


def test_ops_cleanup_volumes_needs_the_environment_typed(
    ec2_stack: StackCycle, ec2_ops: OpsRunner, host: Host, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """--volumes alone or with the wrong name: exit 2, one line, nothing sent. With the name: sent with --volumes."""
    sent = command_count(ec2_stack)
    refused = ec2_ops.run("cleanup", "--env", ENVIRONMENT, "--volumes")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"ops cleanup: --volumes deletes data: pass --confirm {ENVIRONMENT} (no terminal to ask on)"
    ]
    wrong = ec2_ops.run("cleanup", "--env", ENVIRONMENT, "--volumes", "--confirm", "prod")
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == [
        f"ops cleanup: not deleting volumes: the confirmation must read '{ENVIRONMENT}'"
    ]
    assert command_count(ec2_stack) == sent

    lines, _ = host.run("--volumes")
    container_runtime["cleanup.sh"] = ContainerOutcome(0, tuple(lines))
    confirmed = ec2_ops.run("cleanup", "--env", ENVIRONMENT, "--volumes", "--confirm", ENVIRONMENT)
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert last_command(ec2_stack)["Parameters"]["commands"] == ["bash deploy/ec2/cleanup.sh --volumes"]


def test_ops_cleanup_reports_a_failing_script_and_refuses_ecs(
    ec2_ops: OpsRunner, ecs_ops: OpsRunner, container_runtime: dict[str, ContainerOutcome]
) -> None:
    container_runtime["cleanup.sh"] = ContainerOutcome(1, ("Cannot connect to the Docker daemon",))
    failed = ec2_ops.run("cleanup", "--env", ENVIRONMENT)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "ops cleanup: deploy/ec2/cleanup.sh failed on the host (exit 1): Cannot connect to the Docker daemon"
    ]
    on_ecs = ecs_ops.run("cleanup", "--env", ENVIRONMENT)
    assert on_ecs.returncode == 2
    assert on_ecs.stderr.strip().splitlines() == [
        "ops cleanup: cleanup is for the EC2 target's host; on ECS Fargate there is none, "
        "and ECR's lifecycle rules keep images bounded"
    ]
