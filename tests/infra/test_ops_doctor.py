"""``ops doctor`` on copies of the bootstrapped demo projects: one line per problem, exit 1; clean is exit 0.

ops runs for real as a subprocess (ops_runner.py); its AWS checks ask the emulator, where the
``ecs_stack`` and ``ec2_stack`` fixtures applied each project's bootstrap stack (the ECS project's
with a GitHub owner, so with the deploy and infrastructure roles; the EC2 project's without, so with
neither). Each test starts from a copy of the ECS project whose every environment has a real alarm
address (the one state a project has once its owner filled it in) and breaks one thing.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.ops_runner import OpsRunner, runner_for, runner_for_copy
from support.services import free_port
from support.stacks import ENVIRONMENT, StackCycle, generate_project

pytestmark = pytest.mark.xdist_group("infra-apply")

ALARM_EMAIL = re.compile(r'^(\s*alarm_email\s*=\s*)"[^"]*"', re.MULTILINE)
REAL_ADDRESS = "oncall@northwind-traders.co"
# What settings.py requires outside local, as it says so: env.required("X", ...) or a "missing required" stop.
REQUIRED_IN_SETTINGS = re.compile(r'env\.required\("([A-Z_]+)"|missing required environment variable ([A-Z_]+)')
STRONG_KEY = secrets.token_urlsafe(50)
DEPLOYED_SETTINGS = {
    "ENVIRONMENT": "prod",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "shop.northwind.co,.northwind.co",
    "CSRF_TRUSTED_ORIGINS": "https://shop.northwind.co",
    "SITE_URL": "https://shop.northwind.co",
    "DATABASE_URL": "postgres://app:secret@db.internal:5432/app",
    "REDIS_URL": "rediss://cache.internal:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "northwind-media-prod",
    "AWS_REGION": "ap-northeast-2",
}


def with_real_alarm_addresses(project: Path) -> None:
    """Every environment's alarm_email set to an address that receives mail."""
    for tfvars in (project / "infra" / "terraform").glob("*/envs/*.tfvars"):
        tfvars.write_text(ALARM_EMAIL.sub(rf'\g<1>"{REAL_ADDRESS}"', tfvars.read_text()))


def set_tfvar(project: Path, environment: str, line: str) -> None:
    """Replace one ``name = value`` line in an environment's tfvars."""
    name = line.split("=", 1)[0].strip()
    tfvars = next((project / "infra" / "terraform").glob(f"*/envs/{environment}.tfvars"))
    text, count = re.subn(rf"^\s*{name}\s*=.*$", line, tfvars.read_text(), flags=re.MULTILINE)
    assert count == 1, f"{name} not in {tfvars}"
    tfvars.write_text(text)


def write_env(path: Path, settings: dict[str, str], mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    path.chmod(mode)


def problem_lines(output: str) -> list[str]:
    """The ✗ lines of doctor's report, without the mark and the indent."""
    return [line.strip().removeprefix("✗ ") for line in output.splitlines() if line.strip().startswith("✗")]


def diagnose(ops: OpsRunner, *arguments: str) -> tuple[int, list[str], str]:
    """``ops doctor``: exit status, the problem lines, stderr."""
    result = ops.run("doctor", *arguments)
    return result.returncode, problem_lines(result.stdout), result.stderr


@pytest.fixture(scope="module")
def clean_copy(ecs_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops in a copy of the bootstrapped ECS project, every alarm address real; no .env."""
    applied = runner_for(ecs_stack, tmp_path_factory.mktemp("summary") / "step-summary.md")
    ops = runner_for_copy(applied, tmp_path_factory.mktemp("doctor"))
    with_real_alarm_addresses(ops.project)
    return ops


@pytest.fixture
def ops(clean_copy: OpsRunner) -> Iterator[OpsRunner]:
    """The clean copy; whatever a test breaks in it (env files, tfvars) is put back afterwards."""
    tracked = [*clean_copy.project.glob("infra/terraform/*/envs/*.tfvars")]
    saved = {path: path.read_text() for path in tracked}
    yield clean_copy
    for path, text in saved.items():
        path.write_text(text)
    for env_file in (".env", "backend/.env"):
        (clean_copy.project / env_file).unlink(missing_ok=True)


def test_a_ready_project_passes_with_exit_0(ops: OpsRunner) -> None:
    """Bootstrapped, alarm addresses set, no .env: no problem in any group, exit 0 (warnings allowed)."""
    result = ops.run("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert problem_lines(result.stdout) == [] and result.stderr == ""
    for heading in ("Settings (.env)", "Terraform settings", "Tools", "AWS"):
        assert heading in result.stdout
    state_bucket = json.loads((ops.project / "infra" / "names.json").read_text())["shared"]["state_bucket"]
    assert f"✓ state bucket {state_bucket}" in result.stdout

    report = json.loads(ops.run("doctor", "--json").stdout)
    assert report["ok"] is True and report["problems"] == []
    statuses = {(finding["group"], finding["status"]) for finding in report["findings"]}
    assert ("aws", "ok") in statuses and ("tools", "ok") in statuses
    assert all(finding["fix"] for finding in report["findings"] if finding["status"] == "warning")


def test_deployed_settings_that_are_complete_pass(ops: OpsRunner) -> None:
    """A private .env with every variable production needs, well formed: no problem."""
    write_env(ops.project / ".env", DEPLOYED_SETTINGS)
    code, problems, stderr = diagnose(ops)
    assert (code, problems, stderr) == (0, [], "")


def test_a_missing_required_variable_is_one_line(ops: OpsRunner) -> None:
    settings = {name: value for name, value in DEPLOYED_SETTINGS.items() if name != "AWS_STORAGE_BUCKET_NAME"}
    write_env(ops.project / ".env", settings)
    code, problems, stderr = diagnose(ops)
    assert code == 1 and stderr == "ops doctor: 1 problem\n"
    assert problems == [
        "AWS_STORAGE_BUCKET_NAME is missing (required with ENVIRONMENT=prod: the backend stops at start-up)"
        " — fix: set AWS_STORAGE_BUCKET_NAME in .env (see .env.example)"
    ]


def test_every_variable_settings_requires_is_reported_missing(ops: OpsRunner) -> None:
    """ENVIRONMENT=prod and nothing else: one line for each variable settings.py itself requires."""
    write_env(ops.project / ".env", {"ENVIRONMENT": "prod"})
    settings = (ops.project / "backend" / "config" / "settings.py").read_text()
    required = {first or second for first, second in REQUIRED_IN_SETTINGS.findall(settings)}
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"} <= required
    code, problems, _ = diagnose(ops)
    assert code == 1
    assert {line.split(" ", 1)[0] for line in problems} == required, problems


def test_a_weak_secret_key_is_one_line(ops: OpsRunner) -> None:
    write_env(ops.project / ".env", {**DEPLOYED_SETTINGS, "SECRET_KEY": "django-insecure-change-me"})
    code, problems, _ = diagnose(ops)
    assert code == 1
    assert problems == [
        "SECRET_KEY in .env is weak (25 characters, 15 distinct; needs 50+ random ones) — fix: set a new one: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    ]


def test_malformed_hosts_origins_and_region_are_a_line_each(ops: OpsRunner) -> None:
    write_env(
        ops.project / ".env",
        {
            **DEPLOYED_SETTINGS,
            "ALLOWED_HOSTS": "https://shop.northwind.co/",
            "CSRF_TRUSTED_ORIGINS": "shop.northwind.co",
            "AWS_REGION": "seoul",
        },
    )
    code, problems, _ = diagnose(ops)
    assert code == 1
    assert problems == [
        "ALLOWED_HOSTS entry 'https://shop.northwind.co/' in .env is not a host name"
        " — fix: write shop.northwind.co (no scheme, port or path)",
        "CSRF_TRUSTED_ORIGINS entry 'shop.northwind.co' in .env is not an origin"
        " — fix: write https://shop.northwind.co (scheme and host, no path)",
        "AWS_REGION=seoul in .env is not a region name — fix: write it like ap-northeast-2",
    ]


def test_an_env_file_in_the_wrong_directory_is_one_line(ops: OpsRunner) -> None:
    """backend/.env looks right and is never loaded: the backend would run on its defaults."""
    write_env(ops.project / "backend" / ".env", DEPLOYED_SETTINGS)
    code, problems, _ = diagnose(ops)
    assert code == 1
    assert problems == [
        "backend/.env is never loaded (the backend reads .env at the project root) — fix: mv backend/.env .env"
    ]


def test_a_world_readable_env_file_is_one_line(ops: OpsRunner) -> None:
    write_env(ops.project / ".env", DEPLOYED_SETTINGS, mode=0o644)
    code, problems, _ = diagnose(ops)
    assert code == 1
    assert problems == [".env is readable by every user of this machine (mode 644) — fix: chmod 600 .env"]


def test_placeholder_and_empty_alarm_addresses_are_a_line_each(ops: OpsRunner) -> None:
    """you@example.com (the generated default) and an empty address both mean alarms reach nobody."""
    set_tfvar(ops.project, "prod", 'alarm_email = "you@example.com"')
    set_tfvar(ops.project, "stg", 'alarm_email = ""')
    code, problems, _ = diagnose(ops)
    assert code == 1
    # In the environments' order (infra/names.json): stg before prod.
    assert problems == [
        'stg: alarm_email is empty: alarms reach nobody — fix: set alarm_email = "you@yourcompany.com" in '
        "envs/stg.tfvars, then make infra-apply ENV=stg",
        "prod: alarm_email you@example.com is a placeholder: alarms reach nobody — fix: set alarm_email = "
        '"you@yourcompany.com" in envs/prod.tfvars, then make infra-apply ENV=prod',
    ]
    # --env checks that environment's settings only.
    code, problems, _ = diagnose(ops, "--env", ENVIRONMENT)
    assert (code, problems) == (0, [])


def test_an_old_terraform_is_one_line(ops: OpsRunner, tmp_path: Path) -> None:
    old = tmp_path / "terraform"
    old.write_text('#!/bin/sh\necho \'{"terraform_version": "1.9.8"}\'\n')
    old.chmod(0o755)
    code, problems, _ = diagnose(dataclasses.replace(ops, extra_environment={"TERRAFORM": str(old)}))
    assert code == 1
    assert problems == [
        "terraform 1.9.8 is older than 1.11 — fix: install Terraform 1.11: https://developer.hashicorp.com/terraform/install"
    ]


def test_unreachable_aws_is_one_line(ops: OpsRunner) -> None:
    """Nothing listens at the endpoint: one line for AWS, and no line per bucket or role on top."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    code, problems, _ = diagnose(dataclasses.replace(ops, extra_environment={"AWS_ENDPOINT_URL": nowhere}))
    assert code == 1 and len(problems) == 1
    assert problems[0].startswith(f'AWS is unreachable: Could not connect to the endpoint URL: "{nowhere}/"')
    assert problems[0].endswith(" — fix: check the network, proxy and AWS_ENDPOINT_URL")


def test_missing_roles_are_a_line_each(ec2_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The EC2 project was bootstrapped without a GitHub owner: its bucket exists, its two roles do not."""
    applied = runner_for(ec2_stack, tmp_path_factory.mktemp("summary") / "step-summary.md")
    ops = runner_for_copy(applied, tmp_path_factory.mktemp("doctor-ec2"))
    with_real_alarm_addresses(ops.project)
    shared = ec2_stack.names.shared()
    code, problems, _ = diagnose(ops)
    assert code == 1
    assert problems == [
        f"deploy role {shared['iam_deploy_role']} does not exist: the GitHub workflows cannot reach AWS"
        " — fix: make init (the bootstrap stack creates it for the GitHub repository)",
        f"infrastructure role {shared['iam_infra_role']} does not exist: the GitHub workflows cannot reach AWS"
        " — fix: make init (the bootstrap stack creates it for the GitHub repository)",
    ]


def test_a_project_never_bootstrapped_lacks_its_state_bucket(
    ecs_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Before make init: the state bucket and both roles are a line each."""
    project = generate_project("Fabrikam Doctor Check", "ecs-fargate", tmp_path_factory.mktemp("fresh"))
    with_real_alarm_addresses(project)
    ops = OpsRunner(project, ecs_stack.emulator, ecs_stack.cli_config, tmp_path_factory.mktemp("s") / "summary.md")
    ops.sync()
    shared = json.loads((project / "infra" / "names.json").read_text())["shared"]
    code, problems, _ = diagnose(ops)
    assert code == 1
    assert problems[0] == (
        f"state bucket {shared['state_bucket']} does not exist — fix: make init (it applies the bootstrap stack)"
    )
    assert [line.split(" ", 2)[:2] for line in problems[1:]] == [
        ["deploy", "role"],
        ["infrastructure", "role"],
    ]
