"""``ops cleanup --env ENV [--aggressive] [--volumes]``: free disk on the EC2 host.

Runs deploy/ec2/cleanup.sh on the host through SSM (the script cron runs weekly): containers,
images and build cache unused for a week, old journal entries, oversized container log files;
``--aggressive`` everything unused now. The current and the previous release's images always stay
(a rollback needs the previous one). ``--volumes`` also removes volumes no container uses, once
the environment's name is typed as confirmation; the project's own volumes (the database) stay.
ECS Fargate has no host: ECR's lifecycle rules keep its images bounded.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ops.commands.options import add_environment, add_timeout
from ops.environment import Environment
from ops.errors import OpsError, UsageError
from ops.host import run_on_host
from ops.project import Project

CLEANUP_SCRIPT = "deploy/ec2/cleanup.sh"
EC2 = "ec2-all-in-one"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cleanup",
        help="EC2: free disk on the host (unused images, containers, build cache, logs); prints disk use before/after",
    )
    add_environment(parser)
    parser.add_argument(
        "--aggressive", action="store_true", help="everything unused now, not only what has been unused for a week"
    )
    parser.add_argument(
        "--volumes",
        action="store_true",
        help="also delete volumes no container uses (asks you to type the environment's name)",
    )
    parser.add_argument(
        "--confirm", metavar="ENV", help="with --volumes: the environment's name (asked for when omitted)"
    )
    add_timeout(parser)
    parser.set_defaults(handler=run)


def confirm_volumes(environment: str, given: str | None) -> None:
    """The second ask: the environment's name, typed or passed with --confirm."""
    if given is None:
        if not sys.stdin.isatty():
            raise UsageError(f"--volumes deletes data: pass --confirm {environment} (no terminal to ask on)")
        given = input(f"Unused volumes on {environment}'s host will be deleted. Type {environment} to go on: ")
    if given.strip() != environment:
        raise UsageError(f"not deleting volumes: the confirmation must read {environment!r}")


def gibibytes(kib: int) -> str:
    return f"{kib / 1024 / 1024:.1f} GiB"


def disk_line(report: dict[str, Any]) -> str:
    """``disk /: 81% -> 54% used (3.2 GiB freed, 30.0 GiB in all)`` from the script's summary."""
    before, after = report["disk"]["before"], report["disk"]["after"]
    freed = max(int(before["used_kib"]) - int(after["used_kib"]), 0)
    return (
        f"disk /: {before['percent']}% -> {after['percent']}% used "
        f"({gibibytes(freed)} freed, {gibibytes(int(after['size_kib']))} in all)"
    )


def run(args: argparse.Namespace) -> int:
    project = Project.discover()
    project.check_environment(args.env)
    if project.target != EC2:
        raise UsageError(
            "cleanup is for the EC2 target's host; on ECS Fargate there is none, "
            "and ECR's lifecycle rules keep images bounded"
        )
    if args.confirm is not None and not args.volumes:
        raise UsageError("--confirm goes with --volumes")
    if args.volumes:
        confirm_volumes(args.env, args.confirm)
    options = [*(["--aggressive"] if args.aggressive else []), *(["--volumes"] if args.volumes else [])]
    result = run_on_host(Environment.open(args.env), ["bash", CLEANUP_SCRIPT, *options], args.timeout)
    if result.exit_code != 0 or "disk" not in result.report:
        last = result.output[-1] if result.output else result.status
        raise OpsError(f"{CLEANUP_SCRIPT} failed on the host (exit {result.exit_code}): {last}")
    kept = ", ".join(tag[:12] for tag in result.report.get("kept_tags", [])) or "none recorded"
    print(f"removed {result.report.get('removed_images', 0)} image(s); kept the releases' images ({kept})")
    print(disk_line(result.report))
    return 0
