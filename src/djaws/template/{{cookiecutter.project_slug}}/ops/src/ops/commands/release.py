"""``ops deploy``, ``ops rollback`` and ``ops releases``: one engine for people, Make and CI.

Both targets record every release in the same store (releases.py), so ``ops releases`` and
``ops rollback`` work alike on ECS and on the EC2 host.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from rich.table import Table

from ops import host, rollout
from ops.commands.options import add_environment, add_timeout, add_url
from ops.environment import Environment, console, step
from ops.images import build_and_push, git_sha, missing_images, project_images
from ops.releases import Release
from ops.summary import report

ECS = "ecs-fargate"


def register(subparsers: Any) -> None:
    deploy_parser = subparsers.add_parser(
        "deploy",
        help="release the images of a commit (built and pushed first if missing), verified, reverted on failure",
    )
    add_environment(deploy_parser)
    deploy_parser.add_argument("--tag", metavar="SHA", help="image tag to release (default: git rev-parse HEAD)")
    add_url(deploy_parser)
    add_timeout(deploy_parser)
    deploy_parser.set_defaults(handler=deploy)

    rollback_parser = subparsers.add_parser("rollback", help="go back to an earlier release (default: the one before)")
    add_environment(rollback_parser)
    rollback_parser.add_argument("--to", metavar="RELEASE", help="release id or SHA prefix (see ops releases)")
    add_url(rollback_parser)
    add_timeout(rollback_parser)
    rollback_parser.set_defaults(handler=rollback)

    releases_parser = subparsers.add_parser("releases", help="list the environment's releases, newest first")
    add_environment(releases_parser)
    releases_parser.add_argument("--json", action="store_true", help="print the records as JSON")
    releases_parser.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    releases_parser.set_defaults(handler=releases)


def _release(environment: Environment, release: Release, url: str, timeout: float, restored: Release | None) -> int:
    """Run a deploy or rollback on the environment's target; the summary is printed whatever happens."""
    try:
        if environment.target == ECS:
            if restored is None:
                rollout.deploy(environment, release, url, timeout)
            else:
                rollout.rollback(environment, release, restored, url, timeout)
        else:
            host.deploy(environment, release, timeout)
    except BaseException as error:
        if release.finished_at is None:
            release.finish("failed", str(error) or type(error).__name__)
            environment.releases.save(release)
        raise
    finally:
        report(release, url, environment.aws)
    return 0


def deploy(args: argparse.Namespace) -> int:
    environment = Environment.open(args.env)
    tag = args.tag or git_sha(environment.project)
    images = project_images(environment.project, environment.outputs, tag)
    missing = missing_images(environment.aws, images)
    if missing:
        step(f"not in ECR yet, building: {', '.join(image.reference for image in missing)}")
        build_and_push(environment.project, environment.aws, missing)
    release = Release.start(
        args.env, environment.target, "deploy", tag, {image.name: image.reference for image in images}
    )
    return _release(environment, release, args.url or environment.outputs["site_url"], args.timeout, None)


def rollback(args: argparse.Namespace) -> int:
    environment = Environment.open(args.env)
    store = environment.releases
    restored = store.find(args.to) if args.to else store.previous()
    step(f"rolling back to {restored.id} ({restored.sha[:12]})")
    release = Release.start(args.env, environment.target, "rollback", restored.sha, dict(restored.images))
    release.restores, release.image_tag = restored.id, restored.image_tag
    return _release(environment, release, args.url or environment.outputs["site_url"], args.timeout, restored)


def releases(args: argparse.Namespace) -> int:
    environment = Environment.open(args.env)
    records = list(environment.releases.newest_first(limit=args.limit))
    if args.json:
        print(json.dumps([asdict(record) for record in records], indent=2))
        return 0
    table = Table(title=f"releases of {args.env} (newest first)")
    for column in ("id", "kind", "status", "sha", "by", "started", "duration", "note"):
        table.add_column(column)
    for record in records:
        duration = record.duration_seconds()
        table.add_row(
            record.id,
            record.kind if not record.restores else f"rollback to {record.restores}",
            record.status,
            record.sha[:12],
            record.actor,
            record.started_at,
            f"{duration:.0f}s" if duration is not None else "",
            record.error or "",
        )
    console.print(table)
    return 0
