"""``ops destroy --env ENV [--emergency]``: delete an environment, through Terraform or without it.

Without ``--emergency`` this is ``ops infra destroy``. With it, nothing is read from Terraform's
state: when the state is lost or broken, the environment's resources are found by name, tag and
VPC and deleted in dependency order (``ops/emergency.py``). ``--dry-run`` lists them and deletes
nothing. Otherwise the words ``destroy ENV`` are wanted, and an environment whose tfvars keep
``deletion_protection = true`` (prod), or any resource found with deletion protection on, needs
``--disable-deletion-protection`` as well. RDS keeps a final snapshot unless
``--skip-final-snapshot``; secrets are scheduled for deletion after 7 days (the shortest recovery
window) unless ``--force-delete-secrets``. A run that times out or fails says what is left and
exits 1; running it again carries on from there.
"""

from __future__ import annotations

import argparse
import json
import sys

from ops.aws import Aws
from ops.commands.infra import PROTECTED, run_destroy
from ops.commands.init import ANSWERS_FILE
from ops.commands.options import add_environment
from ops.discovery import Discovery, Resource
from ops.emergency import EmergencyDestroy, Options, unhandled_types
from ops.errors import OpsError, UsageError
from ops.project import Project

DEFAULT_TIMEOUT_SECONDS = 2700  # RDS and ElastiCache deletions take 5-20 minutes each, in parallel


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "destroy",
        help="delete every resource of ENV (--emergency: without Terraform state)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    add_environment(parser)
    parser.add_argument("--emergency", action="store_true", help="find the resources by name and tag, not state")
    parser.add_argument("--dry-run", action="store_true", help="with --emergency: list what would go, delete nothing")
    parser.add_argument("--confirm", metavar="TEXT", help='the words "destroy ENV" (asked for when omitted)')
    parser.add_argument("--auto-approve", action="store_true", help="without --emergency: skip Terraform's question")
    parser.add_argument("--skip-final-snapshot", action="store_true", help="delete the database without a snapshot")
    parser.add_argument(
        "--disable-deletion-protection",
        action="store_true",
        help="turn deletion protection off where it is on (required for a protected environment such as prod)",
    )
    parser.add_argument(
        "--force-delete-secrets", action="store_true", help="delete secrets at once, without the 7-day recovery window"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"longest wait for each slow deletion (default {DEFAULT_TIMEOUT_SECONDS})",
    )
    parser.add_argument("--region", help="AWS region (default: the one the project was generated for)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.emergency:
        if args.dry_run:
            raise UsageError("--dry-run needs --emergency (Terraform shows its plan with make infra-plan)")
        return run_destroy(args)
    project = Project.discover()
    names = project.environment_names(args.env)
    region = args.region or json.loads((project.root / ANSWERS_FILE).read_text())["aws_region"]
    destroy = EmergencyDestroy(
        Discovery(Aws(region), project.resource_prefix, args.env, names),
        Options(args.skip_final_snapshot, args.disable_deletion_protection, args.force_delete_secrets, args.timeout),
    )
    for resource_type in unhandled_types(project.stack_dir):
        print(
            f"warning: the Terraform creates {resource_type}, which the emergency destroy does not know: "
            "it is only found by its tags",
            file=sys.stderr,
        )
    found = destroy.find_all()
    print_lookup_failures(destroy)
    if not found:
        print(f"nothing of {project.resource_prefix} {args.env} found in {region}")
        return 1 if destroy.lookup_failures else 0
    print_table(found)
    if args.dry_run:
        print(f"{len(found)} resources of {project.resource_prefix} {args.env} in {region}; dry run, nothing deleted")
        return 1 if destroy.lookup_failures else 0
    check_protection(project, args, destroy.protected(found))
    confirm(args)
    destroy.run()
    return report(destroy, args.env)


def print_table(found: list[Resource]) -> None:
    """kind, name or id, and how each was found: one line each, in deletion order."""
    kind_width = max(len(resource.kind) for resource in found)
    name_width = max(len(resource.identifier) for resource in found)
    print(f"{'kind':<{kind_width}}  {'name or id':<{name_width}}  found by")
    for resource in found:
        print(f"{resource.kind:<{kind_width}}  {resource.identifier:<{name_width}}  {resource.found_by}")


def print_lookup_failures(destroy: EmergencyDestroy) -> None:
    for failure in destroy.lookup_failures:
        print(f"could not look for {failure}", file=sys.stderr)


def check_protection(project: Project, args: argparse.Namespace, protected: list[str]) -> None:
    """A protected environment or resource is deleted only with --disable-deletion-protection."""
    if args.disable_deletion_protection:
        return
    tfvars = project.stack_dir / "envs" / f"{args.env}.tfvars"
    if tfvars.is_file() and PROTECTED.search(tfvars.read_text()):
        protected = [
            f"the environment ({tfvars.relative_to(project.root)} sets deletion_protection = true)",
            *protected,
        ]
    if protected:
        raise UsageError(
            f"not destroying {args.env}: deletion protection is on for {'; '.join(protected)}; "
            "pass --disable-deletion-protection to turn it off and delete anyway"
        )


def confirm(args: argparse.Namespace) -> None:
    expected = f"destroy {args.env}"
    if args.confirm is None and not sys.stdin.isatty():
        raise UsageError(f'pass --confirm "{expected}" (no terminal to ask on)')
    typed = args.confirm if args.confirm is not None else input(f'Type "{expected}" to delete everything above: ')
    if typed.strip() != expected:
        raise UsageError(f'not destroying {args.env}: the confirmation must read "{expected}"')


def report(destroy: EmergencyDestroy, environment: str) -> int:
    """What was kept and what is left; exit 1 while anything is left."""
    for snapshot in destroy.snapshots:
        print(f"kept: RDS final snapshot {snapshot}")
    for secret in destroy.scheduled_secrets:
        print(
            f"scheduled: secret {secret} is deleted in 7 days; until then its name cannot be reused "
            f"(restore it, or delete it now with aws secretsmanager delete-secret --force-delete-without-recovery)"
        )
    left = destroy.find_all()
    print_lookup_failures(destroy)
    if not left and not destroy.failures and not destroy.lookup_failures:
        print(f"{environment}: every resource found is deleted")
        return 0
    for resource in left:
        print(f"left: {resource.kind} {resource.identifier} ({resource.found_by})", file=sys.stderr)
    raise OpsError(
        f"{len(left)} resources of {environment} are left, {len(destroy.failures)} steps failed and "
        f"{len(destroy.lookup_failures)} look-ups failed (above): "
        "run the same command again to carry on"
    )
