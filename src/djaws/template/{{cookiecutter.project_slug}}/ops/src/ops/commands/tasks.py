"""``ops migrate`` and ``ops manage``: management commands on what runs now.

ECS: a one-off Fargate task of the web service's current revision with a command override (its
log lines come from CloudWatch). EC2: deploy/ec2/manage.sh on the host through SSM.
"""

from __future__ import annotations

import argparse
from typing import Any

from ops import host
from ops.commands.options import add_environment, add_timeout
from ops.ecs import EcsServices
from ops.environment import Environment, step
from ops.errors import OpsError, UsageError

MIGRATE_ARGUMENTS = ["migrate", "--noinput"]


def register(subparsers: Any) -> None:
    migrate_parser = subparsers.add_parser("migrate", help="apply database migrations with the running release")
    add_environment(migrate_parser)
    add_timeout(migrate_parser)
    migrate_parser.set_defaults(handler=migrate)

    manage_parser = subparsers.add_parser(
        "manage", help="run a management command with the running release: ops manage --env ENV -- createsuperuser"
    )
    add_environment(manage_parser)
    add_timeout(manage_parser)
    manage_parser.add_argument("arguments", nargs=argparse.REMAINDER, metavar="-- ARGS", help="the command")
    manage_parser.set_defaults(handler=manage)


def run_management(environment: Environment, arguments: list[str], timeout: float) -> int:
    """Run ``manage.py ARGUMENTS`` with the running release; its exit code."""
    if environment.target != "ecs-fargate":
        return host.manage(environment, arguments, timeout)
    services = EcsServices(environment)
    revision = services.one_off_revision()
    command = [*environment.outputs["migration_task"]["manage_command"], *arguments]
    step(f"running `{' '.join(command)}` as a one-off task of {revision.rsplit('/', 1)[-1]}")
    result, lines = services.run_one_off(revision, command, timeout)
    for line in lines:
        print(line)
    return result.exit_code if result.exit_code is not None else 1


def migrate(args: argparse.Namespace) -> int:
    exit_code = run_management(Environment.open(args.env), MIGRATE_ARGUMENTS, args.timeout)
    if exit_code != 0:
        raise OpsError(f"migrations failed (exit {exit_code})")
    return 0


def manage(args: argparse.Namespace) -> int:
    arguments = args.arguments[1:] if args.arguments[:1] == ["--"] else args.arguments
    if not arguments:
        raise UsageError("name the management command: ops manage --env ENV -- COMMAND [ARGS...]")
    return run_management(Environment.open(args.env), arguments, args.timeout)
