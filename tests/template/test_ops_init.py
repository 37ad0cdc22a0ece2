"""``make init`` (``ops init``) and ``ops infra`` with fake gh, aws, terraform and docker that record every call.

The first run creates the repository, environments, bootstrap stack, variables and branches; a
second run makes no changing call; ``DRY_RUN=1`` makes none at all. git is real (behind a
recording wrapper) and pushes to a bare repository the fake ``gh repo create`` made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import fake_cli

FAKE_TOOLS = ("gh", "aws", "terraform", "docker", "git")
USER = fake_cli.USER["login"]


@dataclass
class FakeTools:
    """A PATH of recording stand-ins, their call log and the GitHub/bootstrap state they answer from."""

    bin: Path
    log: Path
    state: Path

    def environment(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "HOME": str(self.bin.parent),
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
            "FAKE_CLI_LOG": str(self.log),
            "FAKE_CLI_STATE": str(self.state),
            "FAKE_CLI_REAL_GIT": shutil.which("git") or "/usr/bin/git",
        }

    def calls(self) -> list[dict[str, Any]]:
        """Every recorded call, in order, and empties the log."""
        calls = [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []
        self.log.write_text("")
        return calls

    def world(self) -> dict[str, Any]:
        return dict(json.loads(self.state.read_text()))


@pytest.fixture
def fake_tools(tmp_path: Path) -> FakeTools:
    """gh, aws, terraform, docker and a recording git wrapper in a fresh bin directory."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in FAKE_TOOLS:
        wrapper = bin_dir / tool
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake_cli.__file__}" {tool} "$@"\n')
        wrapper.chmod(0o755)
    return FakeTools(bin_dir, tmp_path / "calls.jsonl", tmp_path / "state.json")


@pytest.fixture
def project(generated_projects: dict[str, Path], installed_ops: Path, tmp_path: Path) -> Path:
    """A fresh copy of the default project, not yet a git repository (ops comes from installed_ops)."""
    copy = tmp_path / "acme_shop"
    shutil.copytree(generated_projects["default"], copy, ignore=shutil.ignore_patterns(".venv", "node_modules"))
    return copy


def make_init(project: Path, tools: FakeTools, ops: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "init", f"OPS={ops}", *extra],
        cwd=project,
        env=tools.environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def changes(calls: list[dict[str, Any]]) -> list[str]:
    """The calls that change something, as short strings: what --dry-run and a second run must not make."""
    changing = []
    for call in calls:
        tool, args = call["tool"], call["args"]
        method = args[args.index("--method") + 1] if "--method" in args else "GET"
        if (
            (tool == "gh" and (args[:2] in (["repo", "create"], ["variable", "set"]) or method != "GET"))
            or (tool == "terraform" and args[0] in ("apply", "destroy", "import"))
            or (tool == "git" and (args[0] in ("init", "add", "commit", "push") or args[:2] == ["remote", "add"]))
            or (tool == "aws" and not args[1].startswith(("get-", "list-", "describe-")))
        ):
            changing.append(" ".join([tool, *args]))
    return changing


def remote_heads(remote: str) -> dict[str, str]:
    listed = subprocess.run(["git", "ls-remote", "--heads", remote], capture_output=True, text=True, check=True)
    return {ref.removeprefix("refs/heads/"): sha for sha, ref in (line.split() for line in listed.stdout.splitlines())}


def test_first_run_creates_everything_and_a_second_run_changes_nothing(
    project: Path, fake_tools: FakeTools, installed_ops: Path
) -> None:
    """Repository, environments (prod reviewed), bootstrap, variables, branches; then idempotent."""
    first = make_init(project, fake_tools, installed_ops)
    assert first.returncode == 0, first.stdout + first.stderr
    repository = f"{USER}/acme_shop"
    world = fake_tools.world()
    remote = world["repos"][repository]["url"]
    made = changes(fake_tools.calls())
    assert [change.split(" --")[0] for change in made] == [
        "git init",
        "git add",
        "git commit",
        f"gh repo create {repository}",
        f"git remote add origin {remote}",
        *["gh api"] * 4,
        "terraform apply -input=false init.tfplan",
        "gh variable set AWS_REGION",
        "gh variable set AWS_DEPLOY_ROLE_ARN",
        "gh variable set AWS_INFRA_ROLE_ARN",
        "gh variable set DEPLOY_BRANCHES",
        "git push",
        "git push",
        "git push",
    ]
    assert world["repos"][repository]["private"]
    assert world["repos"][repository]["environments"] == {
        "demo": {},
        "dev": {},
        "stg": {},
        "prod": {"reviewers": [{"type": "User", "id": fake_cli.USER["id"]}]},
    }
    assert world["bootstrap"] == sorted(
        [f"-var=github_owner={USER}", "-var=github_repository=acme_shop", "-var=create_github_oidc_provider=true"]
    )
    assert world["repos"][repository]["variables"] == {
        "AWS_REGION": "ap-northeast-2",
        "AWS_DEPLOY_ROLE_ARN": f"arn:aws:iam::{fake_cli.ACCOUNT}:role/fake-github-deploy",
        "AWS_INFRA_ROLE_ARN": f"arn:aws:iam::{fake_cli.ACCOUNT}:role/fake-github-infra",
        "DEPLOY_BRANCHES": '{"main":"demo","dev":"dev","stg":"stg"}',
    }
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True).stdout.strip()
    assert remote_heads(remote) == {"main": head, "dev": head, "stg": head}

    second = make_init(project, fake_tools, installed_ops)
    assert second.returncode == 0, second.stdout + second.stderr
    assert changes(fake_tools.calls()) == []
    assert "bootstrap stack: up to date" in second.stdout
    assert fake_tools.world() == world

    dry_run = make_init(project, fake_tools, installed_ops, "DRY_RUN=1")
    assert dry_run.returncode == 0, dry_run.stdout + dry_run.stderr
    assert changes(fake_tools.calls()) == []
    assert "would " not in dry_run.stdout


def test_dry_run_on_a_new_project_prints_every_change_and_makes_none(
    project: Path, fake_tools: FakeTools, installed_ops: Path
) -> None:
    """Only read-only calls; the output names each change; not even a local git repository appears."""
    result = make_init(project, fake_tools, installed_ops, "DRY_RUN=1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert changes(fake_tools.calls()) == []
    assert not (project / ".git").exists()
    assert not fake_tools.state.exists() or fake_tools.world()["repos"] == {}
    for expected in (
        "would initialise a git repository",
        f"would create the private repository {USER}/acme_shop",
        "would create GitHub environment prod (required reviewers: you)",
        "would run the bootstrap stack",
        "would set GitHub variable AWS_REGION",
        "would create branch stg from main",
        "dry run: nothing was changed",
    ):
        assert expected in result.stdout, expected


def test_an_existing_origin_is_used_and_trusted_by_the_bootstrap(
    project: Path, fake_tools: FakeTools, installed_ops: Path
) -> None:
    """With origin set, no repository is created and the roles trust that repository."""
    environment = fake_tools.environment()
    subprocess.run(
        [fake_tools.bin / "gh", "repo", "create", "acme-corp/shop", "--private"], env=environment, check=True
    )
    remote = fake_tools.world()["repos"]["acme-corp/shop"]["url"]
    for command in (["init", "--quiet", "--initial-branch", "main"], ["remote", "add", "origin", remote]):
        subprocess.run(["git", *command], cwd=project, env=environment, check=True)
    fake_tools.calls()
    result = make_init(project, fake_tools, installed_ops)
    assert result.returncode == 0, result.stdout + result.stderr
    made = changes(fake_tools.calls())
    assert not [change for change in made if change.startswith(("gh repo create", "git remote add", "git init"))]
    assert "-var=github_owner=acme-corp" in fake_tools.world()["bootstrap"]
    assert "-var=github_repository=shop" in fake_tools.world()["bootstrap"]


def test_missing_tools_get_one_line_each_and_nothing_runs(
    project: Path, fake_tools: FakeTools, installed_ops: Path
) -> None:
    """Without gh, aws and terraform: a line per tool with where to get it, exit 2, no call made."""
    for tool in ("gh", "aws", "terraform"):
        (fake_tools.bin / tool).unlink()
    result = make_init(project, fake_tools, installed_ops)
    assert result.returncode != 0
    missing = [line for line in result.stderr.splitlines() if line.startswith("missing ")]
    assert [line.split(":")[0] for line in missing] == ["missing gh", "missing aws", "missing terraform"]
    assert "ops init: 3 required tool(s) missing" in result.stderr
    assert changes(fake_tools.calls()) == []


# --- ops infra: the commands make infra-* and the create-infra and destroy workflows run ----------


def ops_infra(
    project: Path, tools: FakeTools, ops: Path, *args: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ops, "infra", *args],
        cwd=project,
        env={**tools.environment(), "TERRAFORM": str(tools.bin / "terraform"), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def terraform_calls(tools: FakeTools) -> list[list[str]]:
    return [call["args"] for call in tools.calls() if call["tool"] == "terraform"]


def test_infra_plan_saves_the_plan_and_summarises_it_for_github(
    project: Path, fake_tools: FakeTools, installed_ops: Path, tmp_path: Path
) -> None:
    """init on ENV's backend, plan with ENV's tfvars into the file; counts and plan in the summary; changes=true."""
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    result = ops_infra(
        project, fake_tools, installed_ops, "plan", "--env", "stg", "--out", "infra.tfplan",
        GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(output),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    plan_file = str(project / "infra.tfplan")
    assert terraform_calls(fake_tools) == [
        ["init", "-input=false", "-reconfigure", "-backend-config=envs/stg.s3.tfbackend"],
        ["plan", "-input=false", "-detailed-exitcode", "-var-file=envs/stg.tfvars", f"-out={plan_file}"],
        ["show", "-json", plan_file],
        ["show", "-no-color", plan_file],
    ]
    assert output.read_text() == "changes=true\n"
    text = summary.read_text()
    assert text.startswith("## Terraform plan for stg (ecs-fargate)")
    assert "| 1 | 1 | 1 | 0 |" in text  # add, change, replace, destroy
    assert "Plan: 2 to add, 1 to change, 1 to destroy." in text


def test_infra_apply_of_a_saved_plan_applies_that_file(
    project: Path, fake_tools: FakeTools, installed_ops: Path
) -> None:
    """apply --plan FILE: no var file, no question; exactly the saved plan."""
    (project / "infra.tfplan").write_text("[]")
    result = ops_infra(project, fake_tools, installed_ops, "apply", "--env", "demo", "--plan", "infra.tfplan")
    assert result.returncode == 0, result.stderr
    assert terraform_calls(fake_tools)[1] == ["apply", "-input=false", str(project / "infra.tfplan")]


def test_infra_destroy_wants_the_words_and_refuses_a_protected_environment(
    project: Path, fake_tools: FakeTools, installed_ops: Path
) -> None:
    """prod (deletion_protection = true) and a wrong confirmation: exit 2 before any terraform call."""
    refused = ops_infra(project, fake_tools, installed_ops, "destroy", "--env", "prod", "--confirm", "destroy prod")
    assert refused.returncode == 2
    assert "deletion_protection = true in infra/terraform/ecs-fargate/envs/prod.tfvars" in refused.stderr
    wrong = ops_infra(project, fake_tools, installed_ops, "destroy", "--env", "dev", "--confirm", "destroy demo")
    assert wrong.returncode == 2 and 'must read "destroy dev"' in wrong.stderr
    assert terraform_calls(fake_tools) == []
    confirmed = ops_infra(
        project, fake_tools, installed_ops, "destroy", "--env", "dev", "--confirm", "destroy dev", "--auto-approve"
    )
    assert confirmed.returncode == 0, confirmed.stderr
    assert terraform_calls(fake_tools)[-1] == ["destroy", "-input=false", "-var-file=envs/dev.tfvars", "-auto-approve"]
