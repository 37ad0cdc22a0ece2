"""Deploy and operate this project on AWS: the one engine behind make and the GitHub workflows.

Each command module exposes ``register(subparsers)``; each subparser sets ``handler`` to a function
taking the parsed arguments and returning the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from ops.errors import OpsError

# Command modules, in the order `ops --help` lists them.
COMMAND_MODULES = (
    "ops.commands.build",
    "ops.commands.release",
    "ops.commands.status",
    "ops.commands.logs",
    "ops.commands.backup",
    "ops.commands.doctor",
    "ops.commands.shell",
    "ops.commands.cleanup",
    "ops.commands.tasks",
    "ops.commands.outputs",
    "ops.commands.infra",
    "ops.commands.cost",
    "ops.commands.destroy",
    "ops.commands.init",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command module's subcommands."""
    import importlib

    parser = argparse.ArgumentParser(prog="ops", description=__doc__.splitlines()[0] if __doc__ else None)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an OpsError becomes one line on stderr and its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except OpsError as error:
        print(f"ops {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except (BotoCoreError, ClientError) as error:
        print(f"ops {args.command}: AWS: {error}", file=sys.stderr)
        return OpsError.exit_code
    except KeyboardInterrupt:
        print(f"ops {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
