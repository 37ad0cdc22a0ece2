"""The generated deploy workflows: what starts them, what they may do, and that every command they run exists.

Linting (actionlint, zizmor, the workflow schema, SHA pins) is test_render's
``test_workflows_are_valid_pinned_and_pass_zizmor``, over every workflow of every option set.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.projects import OPTION_SETS, OPTION_SETS_BY_NAME

from djaws.naming import ENVIRONMENTS

OPTION_SET_NAMES = [option_set.name for option_set in OPTION_SETS]
WORKFLOWS = ("ci", "deploy", "create-infra", "rollback", "destroy")
OPS_CALL = re.compile(r"--project ops ops((?: [a-z][a-z-]*)+)")
MAKE_CALL = re.compile(r"^\s*make ([a-z][a-z0-9-]*)", re.MULTILINE)  # a command, not a make in a message
CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials@"


def workflow(project: Path, name: str) -> dict[str, Any]:
    """One workflow as data; PyYAML reads the ``on`` key as True, so it is put back under "on"."""
    data = yaml.safe_load((project / ".github" / "workflows" / f"{name}.yml").read_text())
    data["on"] = data.pop(True, data.get("on"))
    return dict(data)


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def step_named(job: dict[str, Any], fragment: str) -> dict[str, Any]:
    return next(step for step in steps(job) if fragment in step.get("name", "") or fragment in step.get("uses", ""))


def run_scripts(project: Path) -> list[str]:
    """Every ``run:`` script of every workflow of a project."""
    return [
        step["run"]
        for name in WORKFLOWS
        for job in workflow(project, name)["jobs"].values()
        for step in steps(job)
        if "run" in step
    ]


def run_step(script: str, project: Path, tmp_path: Path, **environment: str) -> tuple[int, dict[str, str]]:
    """Run one workflow step's script with bash as the runner does; its exit status and step outputs."""
    output = tmp_path / "github_output"
    output.write_text("")
    result = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output), **environment},
        capture_output=True,
        text=True,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result.returncode, outputs


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_every_ops_and_make_command_the_workflows_run_exists(
    rendered_projects: dict[str, Path], installed_ops: Path, name: str
) -> None:
    """``ops ... --help`` and ``make -n TARGET`` succeed for each command a workflow calls."""
    project = rendered_projects[name]
    scripts = run_scripts(project)
    ops_calls = {match.strip() for script in scripts for match in OPS_CALL.findall(script)}
    make_targets = {target for script in scripts for target in MAKE_CALL.findall(script)}
    assert {"outputs", "deploy", "rollback", "releases", "infra plan", "infra apply", "infra destroy"} <= ops_calls
    for call in sorted(ops_calls):
        result = subprocess.run([installed_ops, *call.split(), "--help"], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, f"ops {call} --help: {result.stderr}"
    backend_checks = {"install", "audit", "lint", "check", "test"}
    frontend_checks = {"frontend-install", "frontend-audit", "frontend-lint", "frontend-build"}
    has_frontend = (project / "frontend").is_dir()
    assert make_targets == {"infra-test"} | backend_checks | (frontend_checks if has_frontend else set())
    for target in sorted(make_targets):
        result = subprocess.run(["make", "-n", target], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, f"make -n {target}: {result.stderr}"


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_branch_map_lives_in_one_file_the_deploy_workflow_reads(
    rendered_projects: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """infra/branches.json maps main to the chosen environment; the route step picks from it, or the input."""
    project = rendered_projects[name]
    main_environment = OPTION_SETS_BY_NAME[name].full_answers()["main_environment"]
    branches = json.loads((project / "infra" / "branches.json").read_text())["branches"]
    assert branches == {"main": main_environment, "dev": "dev", "stg": "stg"}
    deploy = workflow(project, "deploy")
    assert deploy["on"]["push"] == {"branches": ["**"]}, "every branch push runs CI; the file decides what deploys"
    assert "push" not in workflow(project, "ci")["on"], "pushes run CI through deploy.yml, once"
    pick = step_named(deploy["jobs"]["route"], "Environment of this branch")["run"]
    for branch, expected in [*branches.items(), ("feature/login", "")]:
        status, outputs = run_step(pick, project, tmp_path, BRANCH=branch, CHOSEN="")
        assert (status, outputs["environment"]) == (0, expected), branch
    status, outputs = run_step(pick, project, tmp_path, BRANCH="feature/login", CHOSEN="stg")
    assert (status, outputs["environment"]) == (0, "stg")


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_deploy_needs_ci_and_runs_one_deploy_per_environment(rendered_projects: dict[str, Path], name: str) -> None:
    """CI is the gate; one deploy per environment at a time, never cancelled; images for linux/amd64, cached."""
    project, answers = rendered_projects[name], OPTION_SETS_BY_NAME[name].full_answers()
    deploy = workflow(project, "deploy")
    assert deploy["on"]["workflow_dispatch"]["inputs"]["environment"]["options"] == list(ENVIRONMENTS)
    assert deploy["jobs"]["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert "workflow_call" in workflow(project, "ci")["on"]
    job = deploy["jobs"]["deploy"]
    assert set(job["needs"]) == {"route", "ci"}
    assert job["environment"]["name"] == "${{ needs.route.outputs.environment }}"
    assert job["concurrency"] == {
        "group": "deploy-${{ needs.route.outputs.environment }}",
        "cancel-in-progress": False,
    }
    builds = [step for step in steps(job) if "docker/build-push-action@" in step.get("uses", "")]
    assert [build["with"]["context"] for build in builds] == ["backend"] + (
        ["frontend"] if answers["frontend"] == "nextjs" else []
    )
    for build in builds:
        assert build["with"]["platforms"] == "linux/amd64"
        assert build["with"]["cache-from"].startswith("type=gha")
        assert build["with"]["tags"].startswith("${{ steps.infra.outputs.")
    assert job["env"]["TAG"] == "${{ github.sha }}"
    assert steps(job)[-1]["run"] == 'uv run --locked --project ops ops deploy --env "$ENVIRONMENT" --tag "$TAG"'


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_no_infrastructure_ends_with_a_notice_and_builds_nothing(
    rendered_projects: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """ops exit 3 (no infrastructure) becomes a ::notice:: and ready=false, which every later step checks."""
    project = rendered_projects[name]
    job = workflow(project, "deploy")["jobs"]["deploy"]
    check = step_named(job, "Does the environment have infrastructure")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "uv").write_text("#!/bin/sh\nexit 3\n")
    (fake_bin / "uv").chmod(0o755)
    summary = tmp_path / "summary.md"
    result = subprocess.run(
        ["bash", "-e", "-c", check["run"]],
        cwd=project,
        env={
            "PATH": f"{fake_bin}:/usr/bin:/bin",
            "ENVIRONMENT": "demo",
            "TAG": "0" * 40,
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_STEP_SUMMARY": str(summary),
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("::notice title=Nothing to deploy to::demo has no infrastructure yet")
    assert (tmp_path / "output").read_text() == "ready=false\n"
    assert "nothing was deployed" in summary.read_text()
    later = steps(job)[steps(job).index(check) + 1 :]
    assert later and all("steps.infra.outputs.ready == 'true'" in step["if"] for step in later)


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_permissions_are_minimal_and_each_role_serves_its_workflows(
    rendered_projects: dict[str, Path], name: str
) -> None:
    """contents: read at the top; id-token: write only in jobs that assume a role, each in a GitHub environment."""
    project = rendered_projects[name]
    role_of = {"deploy": "AWS_DEPLOY_ROLE_ARN", "rollback": "AWS_DEPLOY_ROLE_ARN"}
    role_of |= {"create-infra": "AWS_INFRA_ROLE_ARN", "destroy": "AWS_INFRA_ROLE_ARN"}
    for workflow_name in WORKFLOWS:
        data = workflow(project, workflow_name)
        assert data["permissions"] == {"contents": "read"}, workflow_name
        for job_name, job in data["jobs"].items():
            credentials = [step for step in steps(job) if CREDENTIALS_ACTION in step.get("uses", "")]
            if not credentials:
                assert "id-token" not in job.get("permissions", {}), (workflow_name, job_name)
                continue
            assert job["permissions"] == {"contents": "read", "id-token": "write"}, (workflow_name, job_name)
            assert job["environment"]["name"], (workflow_name, job_name)
            assert credentials[0]["with"]["role-to-assume"] == f"${{{{ vars.{role_of[workflow_name]} }}}}"
            assert credentials[0]["with"]["aws-region"] == "${{ vars.AWS_REGION }}"


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_create_infra_applies_exactly_the_plan_it_showed(rendered_projects: dict[str, Path], name: str) -> None:
    """The plan job saves its plan (and provider lock); the apply job, after approval, applies that file."""
    project, answers = rendered_projects[name], OPTION_SETS_BY_NAME[name].full_answers()
    jobs = workflow(project, "create-infra")["jobs"]
    plan, apply = jobs["plan"], jobs["apply"]
    assert step_named(plan, "Plan")["run"].endswith('ops infra plan --env "$ENVIRONMENT" --out infra.tfplan')
    upload = step_named(plan, "actions/upload-artifact@")
    assert upload["with"]["path"].split() == [
        "infra.tfplan",
        f"infra/terraform/{answers['aws_deployment']}/.terraform.lock.hcl",
    ]
    assert apply["needs"] == "plan" and apply["if"] == "needs.plan.outputs.changes == 'true'"
    assert apply["environment"] == plan["environment"]
    assert step_named(apply, "actions/download-artifact@")["with"]["name"] == upload["with"]["name"]
    assert steps(apply)[-1]["run"].endswith('ops infra apply --env "$ENVIRONMENT" --plan infra.tfplan')


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_destroy_wants_the_words_before_anything_else(
    rendered_projects: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """The first step of destroy.yml stops unless the input reads "destroy <env>"; ops checks it again."""
    project = rendered_projects[name]
    job = workflow(project, "destroy")["jobs"]["destroy"]
    check = steps(job)[0]
    assert (run_step(check["run"], project, tmp_path, ENVIRONMENT="stg", CONFIRM="destroy stg"))[0] == 0
    assert (run_step(check["run"], project, tmp_path, ENVIRONMENT="stg", CONFIRM="destroy demo"))[0] == 2
    assert '--confirm "$CONFIRM"' in steps(job)[-1]["run"]


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_rollback_goes_to_the_previous_or_a_named_release(rendered_projects: dict[str, Path], name: str) -> None:
    """rollback.yml shares the deploy's concurrency group, so a rollback never overlaps a deploy."""
    job = workflow(rendered_projects[name], "rollback")["jobs"]["rollback"]
    assert job["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    script = steps(job)[-1]["run"]
    assert 'ops rollback --env "$ENVIRONMENT" --to "$RELEASE"' in script
    assert script.count("ops rollback --env") == 2


def test_ci_runs_the_make_targets_of_make_ci_and_audits_hashed_locked_packages(
    rendered_projects: dict[str, Path], tmp_path: Path
) -> None:
    project = rendered_projects["default"]
    ci = workflow(project, "ci")
    backend = [step["run"] for step in steps(ci["jobs"]["backend"]) if "run" in step]
    assert backend == ["make install", "make audit", "make lint", "make check", "make test"]
    make_ci = subprocess.run(["make", "-n", "ci"], cwd=project, capture_output=True, text=True, check=True).stdout
    for target in ("audit", "lint", "check", "test"):
        recipe = subprocess.run(["make", "-n", target], cwd=project, capture_output=True, text=True, check=True)
        assert recipe.stdout in make_ci, f"make ci does not run {target}"
    # The audit itself needs PyPI's advisory data: a stand-in uvx keeps the requirements make hands it.
    stand_in = tmp_path / "bin" / "uvx"
    stand_in.parent.mkdir()
    keep = f'echo "$@" > {tmp_path}/args\ncp "$(echo "$@" | sed "s/.*--requirement //")" {tmp_path}/req\n'
    stand_in.write_text("#!/bin/sh\n" + keep)
    stand_in.chmod(0o755)
    environment = {**os.environ, "PATH": f"{stand_in.parent}:{os.environ['PATH']}"}
    subprocess.run(["make", "audit"], cwd=project, env=environment, capture_output=True, text=True, check=True)
    assert "pip-audit==" in (tmp_path / "args").read_text()
    assert "--require-hashes" in (tmp_path / "args").read_text()
    requirements = (tmp_path / "req").read_text().replace("\\\n", " ").splitlines()
    pins = [line for line in requirements if "==" in line]
    assert any(pin.startswith("django==") for pin in pins)
    assert all("--hash=sha256:" in pin for pin in pins)
    frontend = [step["run"] for step in steps(ci["jobs"]["frontend"]) if "run" in step]
    assert frontend == ["make frontend-install", "make frontend-audit", "make frontend-lint", "make frontend-build"]
    audit = subprocess.run(["make", "-n", "frontend-audit"], cwd=project, capture_output=True, text=True, check=True)
    assert audit.stdout.strip() == "npm --prefix frontend audit --omit=dev --audit-level=high"
