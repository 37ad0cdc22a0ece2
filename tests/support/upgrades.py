"""Stacks applied by an earlier djaws, then upgraded to the current Terraform and applied again.

The earlier project comes from this repository's history (support/earlier_release.py). Its files are
replaced by the current project's (Terraform's working files and local state kept), and its stack planned
and applied, as a team does after ``djaws update``. What the upgrade planned and what the
secrets held before and after are kept for the tests.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.earlier_release import render_at_commit
from support.emulator import Emulator
from support.stacks import ENVIRONMENT, StackCycle, generate_project
from support.terraform_runner import OVERRIDE_FILE

from djaws.naming import derive_names

# The last commit whose targets declared the network, alarm topic and secrets in their root modules.
BEFORE_SHARED_MODULES = "7f9a2a3de2b9c8e93645c490dc40c077ff5785d1"
# Terraform's working files and local state in a root module, kept when its sources are replaced.
WORKING_FILES = (".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup", OVERRIDE_FILE)
# The secrets each target generates and must keep through the upgrade.
KEPT_SECRETS = {
    "ecs-fargate": ("secret_django_key",),
    "ec2-all-in-one": ("secret_django_key", "secret_db_password"),
}


@dataclass
class UpgradedStack:
    """An earlier stack after the upgrade: the plan the upgrade made, the secrets around its apply, the re-plan."""

    cycle: StackCycle
    plan: dict[str, Any]
    secrets_before: dict[str, str]
    secrets_after: dict[str, str]
    replan_exit_code: int
    replan_output: str


def _replace(entry: Path, newer: Path) -> None:
    if entry.exists():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.copytree(newer, entry) if newer.is_dir() else shutil.copy2(newer, entry)


def replace_project_sources(project: Path, current: Path) -> None:
    """Make the earlier project's files the current project's, as a clean ``djaws update`` does; Terraform's
    working files and local state in each root module stay."""
    for newer in current.iterdir():
        if newer.name != "infra":
            _replace(project / newer.name, newer)
    for newer in (current / "infra").iterdir():
        if newer.name != "terraform":
            _replace(project / "infra" / newer.name, newer)
    for newer in (current / "infra" / "terraform").iterdir():
        root = project / "infra" / "terraform" / newer.name
        if newer.name == "modules" or not root.is_dir():
            _replace(root, newer)
            continue
        for entry in root.iterdir():
            if entry.name not in WORKING_FILES:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        for entry in newer.iterdir():
            _replace(root / entry.name, entry)


def secret_values(cycle: StackCycle) -> dict[str, str]:
    secrets = cycle.emulator.client("secretsmanager")
    names = [cycle.environment_names[key] for key in KEPT_SECRETS[cycle.target]]
    return {name: secrets.get_secret_value(SecretId=name)["SecretString"] for name in names}


def prepare(target: str, project_name: str, options: dict[str, str], root: Path) -> tuple[Path, Path]:
    """The earlier and the current project. (Rendering changes the working directory: not in threads.)"""
    answers = {"project_name": project_name, "aws_deployment": target, **options}
    earlier = render_at_commit(BEFORE_SHARED_MODULES, answers, root / "earlier", root / "djaws")
    return earlier, generate_project(project_name, target, root / "current", **options)


def upgrade(
    target: str, project_name: str, projects: tuple[Path, Path], emulator: Emulator, cli_config: Path
) -> UpgradedStack:
    """Apply the earlier project's demo stack, upgrade it to the current project, plan, apply, re-plan."""
    earlier, current = projects
    cycle = StackCycle(earlier, target, emulator, cli_config, derive_names(project_name))
    cycle.run_to_applied()
    replace_project_sources(earlier, current)
    cycle.init()
    plan = cycle.stack.plan_json(f"-var-file=envs/{ENVIRONMENT}.tfvars")
    before = secret_values(cycle)
    cycle.apply()
    after = secret_values(cycle)
    code, output = cycle.replan_exit_code()
    return UpgradedStack(cycle, plan, before, after, code, output)
