"""``ops status``: what runs in an environment now, as a table or as JSON; exit 1 when something is short."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from rich.table import Table

from ops.commands.options import add_environment
from ops.environment import Environment, console
from ops.status import EcsService, HostFacts, HostService, Status, environment_status

# ECS starts every event with "(service <name>) ": the table's first column says it already.
SERVICE_PREFIX = re.compile(r"^\(service [^)]*\) ")
JSON_SHAPE = """\
--json prints one object:
  environment, target, site_url
  ok          true when problems is empty
  problems    ["web: 1 of 2 tasks running (1 pending)", ...], one line per problem
  release     {id, kind, sha, status, actor, finished_at} of the release that runs now, or null
  services    ECS: [{name, desired, running, pending, revision, image_tag, rollout,
                     targets: {healthy, total} or null (no load balancer), events: [{at, message}] (newest first)}]
              EC2: [{name, containers, running, health}] (health: healthy, unhealthy, starting, or "" without a check)
  host        EC2: {image_tag, disk_percent: {root, data}, memory_mib: {total, available}, uptime_seconds}; ECS: null

exit status: 0 every service runs as it should, 1 something is short (one line each on stderr),
3 the environment has no infrastructure"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="what runs in the environment now: services, tasks or containers, health, release, URL",
        epilog=JSON_SHAPE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_environment(parser)
    parser.add_argument("--json", action="store_true", help="print the status as JSON (shape below)")
    parser.set_defaults(handler=run)


def duration(seconds: int) -> str:
    """``3d 4h``, ``4h 12m`` or ``12m``."""
    days, rest = divmod(seconds, 86_400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def ecs_table(services: list[EcsService]) -> Table:
    table = Table()
    for column in ("service", "running/desired", "pending", "revision", "image", "rollout", "targets healthy"):
        table.add_column(column)
    for service in services:
        targets = f"{service.targets.healthy}/{service.targets.total}" if service.targets else "-"
        table.add_row(
            service.name,
            f"{service.running}/{service.desired}",
            str(service.pending),
            service.revision,
            service.image_tag[:12],
            service.rollout,
            targets,
        )
    return table


def host_table(services: list[HostService]) -> Table:
    table = Table()
    for column in ("service", "running/containers", "health"):
        table.add_column(column)
    for service in services:
        table.add_row(service.name, f"{service.running}/{service.containers}", service.health or "-")
    return table


def host_line(facts: HostFacts) -> str:
    disks = "  ".join(f"{volume} {percent}%" for volume, percent in facts.disk_percent.items())
    memory = f"{facts.memory_mib.get('available', 0)} of {facts.memory_mib.get('total', 0)} MiB available"
    return f"host: tag {facts.image_tag[:12]}  disk {disks}  memory {memory}  up {duration(facts.uptime_seconds)}"


def print_status(status: Status) -> None:
    console.print(f"[bold]{status.environment}[/] ({status.target})")
    if status.host is None:
        services = [service for service in status.services if isinstance(service, EcsService)]
        console.print(ecs_table(services))
        width = max((len(service.name) for service in services), default=0)
        for service in services:
            for event in service.events:
                message = SERVICE_PREFIX.sub("", event.message)
                console.print(f"  {service.name:<{width}}  {event.at}  {message}", markup=False)
    else:
        console.print(host_table([service for service in status.services if isinstance(service, HostService)]))
        console.print(host_line(status.host), markup=False)
    release = status.release
    if release is None:
        console.print("release: none yet (ops deploy)")
    else:
        console.print(
            f"release: {release['id']} ({release['kind']}, sha {release['sha'][:12]}) by {release['actor']}"
            f" at {release['finished_at']}",
            markup=False,
        )
    console.print(f"url: {status.site_url}", markup=False)


def run(args: argparse.Namespace) -> int:
    status = environment_status(Environment.open(args.env))
    if args.json:
        print(json.dumps(status.to_dict(), indent=2))
    else:
        print_status(status)
    for problem in status.problems:
        print(f"ops status: {problem}", file=sys.stderr)
    return 0 if status.ok else 1
