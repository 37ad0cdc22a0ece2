"""``ops build``: the project's images for linux/amd64, tagged with the git SHA, pushed to ECR."""

from __future__ import annotations

import argparse
from typing import Any

from ops.commands.options import add_environment
from ops.environment import Environment, step
from ops.images import build, build_and_push, git_sha, project_images


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("build", help="build the images (linux/amd64) tagged with the git SHA")
    add_environment(parser)
    parser.add_argument("--tag", metavar="SHA", help="image tag (default: git rev-parse HEAD)")
    parser.add_argument("--push", action="store_true", help="push to the environment's ECR repositories")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    environment = Environment.open(args.env)
    tag = args.tag or git_sha(environment.project)
    images = project_images(environment.project, environment.outputs, tag)
    if args.push:
        step(f"building and pushing {', '.join(image.reference for image in images)}")
        build_and_push(environment.project, environment.aws, images)
    else:
        for image in images:
            step(f"building {image.reference}")
            build(environment.project, image, push=False)
    return 0
