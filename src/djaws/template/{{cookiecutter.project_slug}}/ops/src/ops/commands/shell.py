"""``ops exec [SERVICE] --env ENV [--command CMD]``: a shell in a running task, or on the host.

ECS Fargate: ECS Exec into the newest running task that runs the process (default web), in its
container: the process's own service, or the one service of the packed layout.
EC2: a Session Manager session on the host; with a service named, the command runs in that
compose service's container. Either way, ops finds the target and hands over to the AWS CLI, whose
session-manager-plugin carries the session: no SSH key, no open port, and every session is in
CloudTrail.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from typing import Any

from ops.commands.options import add_environment
from ops.environment import Environment, step
from ops.errors import OpsError, UsageError

ECS = "ecs-fargate"
DEFAULT_SERVICE = "web"
DEFAULT_COMMAND = "/bin/sh"
PLUGIN = "session-manager-plugin"
INSTALL_AWS = "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
INSTALL_PLUGIN = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"
)


def aws_cli() -> str:
    """The AWS CLI v2 to hand the session to: ``$AWS_CLI``, default ``aws`` from the PATH."""
    return os.environ.get("AWS_CLI") or "aws"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "exec",
        help="a shell in a running ECS task (ECS Exec) or on the EC2 host (Session Manager)",
        description="ops finds the task or host; the AWS CLI v2 and its session-manager-plugin carry the session.",
    )
    parser.add_argument(
        "service",
        nargs="?",
        metavar="SERVICE",
        help=f"ECS: the service whose task to enter (default {DEFAULT_SERVICE}); EC2: a compose service "
        "(default: the host itself)",
    )
    add_environment(parser)
    # Not dest "command": the CLI keeps the subcommand's name there for its error lines.
    parser.add_argument(
        "--command",
        dest="remote_command",
        metavar="CMD",
        help=f"what to run instead of a shell (default {DEFAULT_COMMAND})",
    )
    parser.set_defaults(handler=run)


def service_running(environment: Environment, process: str) -> str:
    """The ECS service whose task runs the process (a container of that name); one line when none does."""
    services = environment.outputs["ecs_service_names"]
    containers = environment.outputs.get("service_containers", {key: [key] for key in services})
    for key, names in sorted(containers.items()):
        if process in names:
            return str(services[key])
    known = sorted({name for names in containers.values() for name in names})
    raise UsageError(f"unknown service {process!r}; {environment.name} has {', '.join(known)}")


def newest_running_task(environment: Environment, service: str) -> dict[str, Any]:
    """The newest RUNNING task that runs the process ``service``; one line when there is none."""
    ecs_service = service_running(environment, service)
    ecs = environment.aws.client("ecs")
    cluster = environment.outputs["ecs_cluster_name"]
    arns = ecs.list_tasks(cluster=cluster, serviceName=ecs_service, desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    running = [task for task in tasks if task.get("lastStatus") == "RUNNING"]
    if not running:
        raise OpsError(
            f"no running {service} task in {environment.name}: `ops status --env {environment.name}` shows why"
        )
    return max(running, key=lambda task: (str(task.get("startedAt", "")), task["taskArn"]))


def ecs_command(environment: Environment, service: str, command: str) -> list[str]:
    """The ``aws ecs execute-command`` line for the newest running task of the service."""
    task = newest_running_task(environment, service)
    if not task.get("enableExecuteCommand"):
        raise OpsError(
            f"ECS Exec is off for {service}'s running task: set enable_exec = true in envs/{environment.name}.tfvars, "
            f"make infra-apply ENV={environment.name}, then make deploy ENV={environment.name} "
            "(a task keeps the setting it started with)"
        )
    step(f"ECS Exec into {service} task {task['taskArn'].rsplit('/', 1)[-1]}")
    return [
        aws_cli(),
        "ecs",
        "execute-command",
        "--region",
        environment.outputs["aws_region"],
        "--cluster",
        environment.outputs["ecs_cluster_name"],
        "--task",
        task["taskArn"],
        "--container",
        service,
        "--interactive",
        "--command",
        command,
    ]


def host_command(environment: Environment, service: str | None, command: str | None) -> list[str]:
    """The ``aws ssm start-session`` line: the host's shell, or a command in a compose service's container."""
    instance_id = environment.outputs["instance_id"]
    reservations = environment.aws.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    state = reservations[0]["Instances"][0]["State"]["Name"] if reservations else "gone"
    if state != "running":
        raise OpsError(
            f"host {instance_id} is {state}, not running: start it (aws ec2 start-instances --instance-ids "
            f"{instance_id}) or recreate it with make infra-apply ENV={environment.name}"
        )
    session = [
        aws_cli(),
        "ssm",
        "start-session",
        "--region",
        environment.outputs["aws_region"],
        "--target",
        instance_id,
    ]
    if service is not None:
        services = environment.outputs["log_groups"]
        if service not in services:
            raise UsageError(f"unknown service {service!r}; {environment.name} has {', '.join(sorted(services))}")
        app_dir = environment.outputs["app_dir"]
        # Session Manager logs in as ssm-user, who may use sudo; Docker needs root.
        command = (
            f"sudo docker compose --project-directory {app_dir} -f {app_dir}/docker-compose.prod.yml "
            f"exec {service} {command or DEFAULT_COMMAND}"
        )
    if command is None:
        step(f"Session Manager shell on {instance_id}")
        return session
    step(f"Session Manager on {instance_id}: {command}")
    return [
        *session,
        "--document-name",
        "AWS-StartInteractiveCommand",
        "--parameters",
        json.dumps({"command": [command]}),
    ]


def require_session_tools() -> None:
    """The AWS CLI and its plugin carry the session: without them, say so before looking anything up."""
    if shutil.which(aws_cli()) is None:
        raise UsageError(f"{aws_cli()} not found: install AWS CLI v2, {INSTALL_AWS} (or set AWS_CLI)")
    if shutil.which(PLUGIN) is None:
        raise UsageError(f"{PLUGIN} not found: the AWS CLI needs it for the session; install it, {INSTALL_PLUGIN}")


def hand_over(argv: list[str]) -> None:
    """Replace ops with the AWS CLI: the session needs the terminal, and its exit status is ours."""
    sys.stdout.flush()
    os.execvp(argv[0], argv)  # noqa: S606 (argv is a list: no shell parses it)


def run(args: argparse.Namespace) -> int:
    require_session_tools()
    environment = Environment.open(args.env)
    if environment.target == ECS:
        argv = ecs_command(environment, args.service or DEFAULT_SERVICE, args.remote_command or DEFAULT_COMMAND)
    else:
        argv = host_command(environment, args.service, args.remote_command)
    hand_over(argv)
    return 0
