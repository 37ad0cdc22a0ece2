"""``ops outputs``: an environment's Terraform outputs as JSON (exit 3 when it has no infrastructure)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ops.commands.options import add_environment
from ops.outputs import load_outputs
from ops.project import Project


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("outputs", help="print the environment's Terraform outputs as JSON")
    add_environment(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(load_outputs(Project.discover(), args.env), indent=2, sort_keys=True))
    return 0
