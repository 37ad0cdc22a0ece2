"""``ops infra init|plan|apply|destroy --env ENV``: Terraform in the target's root module.

Each command first points Terraform at the environment's state (``envs/ENV.s3.tfbackend``) and
reads its settings from ``envs/ENV.tfvars``, so people, Make and the create-infra and destroy
workflows run exactly the same thing. ``plan --out FILE`` saves a plan that ``apply --plan FILE``
applies unchanged (the workflow applies the plan a reviewer read); ``plan`` also writes a Markdown
summary where GitHub shows it. ``destroy`` wants the words ``destroy ENV`` and refuses an
environment whose tfvars keep ``deletion_protection = true``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from ops.commands.options import add_environment
from ops.errors import OpsError, UsageError
from ops.outputs import terraform_binary
from ops.project import Project

PLAN_CHANGES_EXIT = 2  # terraform plan -detailed-exitcode: 0 no changes, 1 error, 2 changes
SUMMARY_LIMIT = 60_000  # GitHub keeps at most 1 MiB of summary per step; a plan this long is read in the log
PROTECTED = re.compile(r"^\s*deletion_protection\s*=\s*true\b", re.MULTILINE)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ops infra`` and its actions: init, plan, apply, destroy."""
    infra = subparsers.add_parser("infra", help="create, change or destroy an environment's infrastructure")
    actions = infra.add_subparsers(dest="infra_command", metavar="ACTION", required=True)

    init = _with_env(actions.add_parser("init", help="point Terraform at ENV's state"))
    init.set_defaults(handler=run_init)

    plan = _with_env(actions.add_parser("plan", help="show what Terraform would change in ENV"))
    plan.add_argument("--out", type=Path, help="save the plan to this file (for apply --plan)")
    plan.add_argument(
        "--summary", type=Path, help="append a Markdown summary to this file (default: $GITHUB_STEP_SUMMARY if set)"
    )
    plan.set_defaults(handler=run_plan)

    apply = _with_env(actions.add_parser("apply", help="create or update ENV's infrastructure"))
    apply.add_argument("--plan", type=Path, help="apply this saved plan exactly, without asking")
    apply.add_argument("--auto-approve", action="store_true", help="do not ask before changing anything")
    apply.set_defaults(handler=run_apply)

    destroy = _with_env(actions.add_parser("destroy", help="delete every resource of ENV"))
    destroy.add_argument("--confirm", metavar="TEXT", help='the words "destroy ENV" (asked for when omitted)')
    destroy.add_argument("--auto-approve", action="store_true", help="do not ask Terraform's own question")
    destroy.set_defaults(handler=run_destroy)


def _with_env(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The parser, with the --env every action takes."""
    add_environment(parser)
    return parser


def terraform(project: Project, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run terraform in the target's root module; output goes to the terminal unless captured."""
    command = [terraform_binary(), *args]
    try:
        result = subprocess.run(command, cwd=project.stack_dir, capture_output=capture, text=True, check=False)
    except FileNotFoundError as error:
        raise OpsError(f"{command[0]} not found: install Terraform 1.11 or set TERRAFORM") from error
    allowed = (0, PLAN_CHANGES_EXIT) if "-detailed-exitcode" in args else (0,)
    if result.returncode not in allowed:
        raise OpsError(f"terraform {args[0]} failed in {project.stack_dir} (exit {result.returncode})")
    return result


def init_environment(project: Project, environment: str) -> None:
    """terraform init against ENV's state (every action starts here: the last init may have been another ENV)."""
    project.check_environment(environment)
    terraform(project, "init", "-input=false", "-reconfigure", f"-backend-config=envs/{environment}.s3.tfbackend")


def var_file(environment: str) -> str:
    """The -var-file argument of ENV's settings."""
    return f"-var-file=envs/{environment}.tfvars"


def run_init(args: argparse.Namespace) -> int:
    """ops infra init."""
    init_environment(Project.discover(), args.env)
    return 0


def run_plan(args: argparse.Namespace) -> int:
    """ops infra plan: the plan (optionally saved), ``changes`` for the workflow, the Markdown summary."""
    project = Project.discover()
    init_environment(project, args.env)
    out = args.out.resolve() if args.out else None
    command = ["plan", "-input=false", "-detailed-exitcode", var_file(args.env), *([f"-out={out}"] if out else [])]
    changes = terraform(project, *command).returncode == PLAN_CHANGES_EXIT
    _github_output("changes", "true" if changes else "false")
    summary = args.summary or (
        Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get("GITHUB_STEP_SUMMARY") else None
    )
    if summary:
        with summary.open("a") as handle:
            handle.write(plan_summary(project, args.env, out, changes))
    return 0


def plan_summary(project: Project, environment: str, plan_file: Path | None, changes: bool) -> str:
    """Markdown: the counts of what the plan adds, changes and destroys, then the plan itself."""
    heading = f"## Terraform plan for {environment} ({project.target})\n\n"
    if not changes:
        return heading + "No changes: the infrastructure matches the configuration.\n"
    if plan_file is None:
        return heading + "Changes planned (see the log; pass --out to summarise them here).\n"
    shown = json.loads(terraform(project, "show", "-json", str(plan_file), capture=True).stdout)
    counts = Counter(
        "replace" if set(change["change"]["actions"]) == {"create", "delete"} else change["change"]["actions"][-1]
        for change in shown.get("resource_changes", [])
        if change["change"]["actions"] != ["no-op"] and change["change"]["actions"] != ["read"]
    )
    text = terraform(project, "show", "-no-color", str(plan_file), capture=True).stdout
    if len(text) > SUMMARY_LIMIT:
        text = text[:SUMMARY_LIMIT] + "\n... (cut here: the whole plan is in the job log)\n"
    table = "| add | change | replace | destroy |\n| --: | --: | --: | --: |\n"
    table += f"| {counts['create']} | {counts['update']} | {counts['replace']} | {counts['delete']} |\n"
    return f"{heading}{table}\n<details><summary>The plan</summary>\n\n```\n{text}```\n\n</details>\n"


def run_apply(args: argparse.Namespace) -> int:
    """ops infra apply: a saved plan exactly as it is, or a fresh one Terraform shows and asks about."""
    project = Project.discover()
    init_environment(project, args.env)
    if args.plan:
        terraform(project, "apply", "-input=false", str(args.plan.resolve()))
    else:
        terraform(
            project, "apply", "-input=false", var_file(args.env), *(["-auto-approve"] if args.auto_approve else [])
        )
        start_first_release(project, args.env)
    return 0


def start_first_release(project: Project, environment: str) -> None:
    """After a local apply of an environment nothing was ever deployed to, start its deploy workflow.

    So the first release needs no extra step: the workflow builds the branch's head and runs
    `ops deploy`. Later releases follow pushes. Anything missing (gh, a branch for the environment)
    ends with the command to run instead; the infrastructure is in place either way.
    """
    from ops.branches import branch_environments
    from ops.environment import Environment

    if os.environ.get("GITHUB_ACTIONS"):
        return
    if next(Environment.open(environment).releases.newest_first(1), None) is not None:
        return
    branches = [branch for branch, target in branch_environments(project).items() if target == environment]
    by_hand = f"make deploy ENV={environment}" + (f" (or push to {branches[0]})" if branches else "")
    if not branches or shutil.which("gh") is None:
        print(f"{environment} has no release yet: deploy it with {by_hand}")
        return
    started = subprocess.run(
        ["gh", "workflow", "run", "deploy.yml", "--ref", branches[0], "-f", f"environment={environment}"],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        print(f"could not start the deploy workflow ({started.stderr.strip()}); deploy with {by_hand}")
        return
    print(f"{environment} had no release: its first deploy started from {branches[0]} (watch it: gh run watch)")


def run_destroy(args: argparse.Namespace) -> int:
    """ops infra destroy: protection and confirmation are checked before Terraform runs at all."""
    project = Project.discover()
    project.check_environment(args.env)
    expected = f"destroy {args.env}"
    tfvars = project.stack_dir / "envs" / f"{args.env}.tfvars"
    if PROTECTED.search(tfvars.read_text()):
        raise UsageError(
            f"{args.env} is deletion-protected (deletion_protection = true in {tfvars.relative_to(project.root)}): "
            f"set it to false and apply that first (make infra-apply ENV={args.env}), then destroy"
        )
    confirmation = (
        args.confirm
        if args.confirm is not None
        else _ask(f'Type "{expected}" to delete every resource of {args.env}: ')
    )
    if confirmation.strip() != expected:
        raise UsageError(f'not destroying {args.env}: the confirmation must read "{expected}"')
    init_environment(project, args.env)
    terraform(project, "destroy", "-input=false", var_file(args.env), *(["-auto-approve"] if args.auto_approve else []))
    return 0


def _ask(prompt: str) -> str:
    """Read the confirmation from the terminal; without one, say how to pass it."""
    if not sys.stdin.isatty():
        raise UsageError('pass --confirm "destroy ENV" (no terminal to ask on)')
    return input(prompt)


def _github_output(name: str, value: str) -> None:
    """Expose a step output to later workflow steps (no-op outside GitHub Actions)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a") as handle:
            handle.write(f"{name}={value}\n")
