"""Static checks of the generated Terraform for every supported option set: fmt, validate, checkov,
the generated project's own ``terraform test`` files, names, and the EC2 host's files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.projects import OPTION_SETS, OPTION_SETS_BY_NAME
from support.terraform_runner import CHECKOV, Terraform

from djaws.naming import ENVIRONMENTS

TEMPLATE_PROJECT = Path(__file__).resolve().parents[2] / "src" / "djaws" / "template" / "{{cookiecutter.project_slug}}"
TOOLS = Path(sys.executable).parent
OPTION_SET_NAMES = [option_set.name for option_set in OPTION_SETS]
TERRAFORM_TEST_FILES = ("demo", "dev", "stg", "prod", "behaviour", "monitoring")
# Logic that depends on the options (frontend, websocket, Celery): run for every option set, with demo.tfvars.
OPTION_DEPENDENT_TEST_FILES = ("behaviour", "monitoring")


def target_of(option_set_name: str) -> str:
    """The deployment target an option set generates."""
    answers = OPTION_SETS_BY_NAME[option_set_name].full_answers()
    return answers["aws_deployment"]


@pytest.fixture(scope="session")
def infra_copies(generated_projects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Writable copies of the generated projects (terraform init writes .terraform/ into them)."""
    root = tmp_path_factory.mktemp("infra-static")
    copies = {}
    for name, project in generated_projects.items():
        copies[name] = root / name
        shutil.copytree(project, copies[name], ignore=shutil.ignore_patterns("node_modules", ".venv", ".next"))
    return copies


def roots(project: Path, option_set_name: str) -> list[Path]:
    """The root modules a project ships: bootstrap and its deployment target."""
    terraform = project / "infra" / "terraform"
    return [terraform / "bootstrap", terraform / target_of(option_set_name)]


@pytest.mark.parametrize("option_set_name", OPTION_SET_NAMES)
def test_terraform_is_formatted_and_valid(
    option_set_name: str, infra_copies: dict[str, Path], terraform_cli_config: Path
) -> None:
    """terraform fmt -check -recursive, then init -backend=false and validate in every root."""
    project = infra_copies[option_set_name]
    Terraform(project, terraform_cli_config).run("fmt", "-check", "-recursive", "-diff", "infra/terraform")
    for root in roots(project, option_set_name):
        stack = Terraform(root, terraform_cli_config)
        stack.init_offline()
        stack.run("validate")


def terraform_test_runs(option_set_name: str) -> list[str]:
    """Which test files to run: the per-environment ones (they check the tfvars, the same for every
    option set) once per target, the behaviour and monitoring files for every option set."""
    first_of_target = next(name for name in OPTION_SET_NAMES if target_of(name) == target_of(option_set_name))
    return list(TERRAFORM_TEST_FILES) if option_set_name == first_of_target else list(OPTION_DEPENDENT_TEST_FILES)


@pytest.mark.parametrize("option_set_name", OPTION_SET_NAMES)
def test_terraform_test_files_pass_with_the_mocked_provider(
    option_set_name: str, infra_copies: dict[str, Path], terraform_cli_config: Path
) -> None:
    """The generated project's own terraform test files: per-environment sizes and protections, HTTPS, NAT."""
    stack = Terraform(roots(infra_copies[option_set_name], option_set_name)[1], terraform_cli_config)
    stack.init_offline()
    for test_file in terraform_test_runs(option_set_name):
        environment = "demo" if test_file in OPTION_DEPENDENT_TEST_FILES else test_file
        result = stack.run("test", f"-var-file=envs/{environment}.tfvars", f"-filter=tests/{test_file}.tftest.hcl")
        assert re.search(r"Success! [1-9]\d* passed, 0 failed", result.stdout), result.stdout


@pytest.mark.parametrize("option_set_name", OPTION_SET_NAMES)
def test_checkov_finds_nothing_unexplained(option_set_name: str, infra_copies: dict[str, Path]) -> None:
    """Every checkov finding is fixed, or skipped next to its resource with a reason."""
    if not CHECKOV.is_file():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run .ci/install-infra-tools")
    directory = infra_copies[option_set_name] / "infra" / "terraform"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--framework", "terraform", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "unexplained checkov findings:\n" + "\n".join(failed)
    assert sum(report["summary"]["passed"] for report in reports) > 50, "checkov checked suspiciously little"
    unexplained_skips = [
        f"{check['check_id']} {check['resource']}"
        for report in reports
        for check in report["results"]["skipped_checks"]
        if len(check["check_result"].get("suppress_comment", "").strip()) < 15
    ]
    assert not unexplained_skips, f"skips without a reason: {unexplained_skips}"


def test_every_checkov_skip_in_the_template_gives_a_reason() -> None:
    """A #checkov:skip comment always names the check and says why, on one line."""
    for path in (TEMPLATE_PROJECT / "infra").rglob("*.tf"):
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                assert re.fullmatch(r"\s*#checkov:skip=CKV2?_AWS_\d+:[A-Z].{20,}", line), f"{path.name}: {line.strip()}"


def test_template_ships_no_override_files_or_state() -> None:
    """The emulator override is written by the tests only; no state, plans or lock files ship."""
    shipped = [path.name for path in (TEMPLATE_PROJECT / "infra").rglob("*")]
    assert not [name for name in shipped if name.endswith("override.tf")]
    assert not [name for name in shipped if name.endswith((".tfstate", ".tfplan")) or name == ".terraform"]


def console(stack: Terraform, expression: str, *args: str) -> object:
    """Evaluate an expression with terraform console (JSON-encoded) and decode it."""
    result = subprocess.run(
        ["terraform", "console", *args],
        input=f"jsonencode({expression})\n",
        cwd=stack.directory,
        env=stack.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(json.loads(result.stdout))


# AWS's own rules for the names Terraform gives resources, written from each service's documentation
# (not from djaws.naming, which renders names.json): (max length, pattern).
_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_RDS_STYLE = r"[a-z](?:-?[a-z0-9])*"  # letter first; letters, digits, single hyphens; no trailing hyphen
AWS_NAME_RULES: dict[str, tuple[int, str]] = {
    "alb": (32, _DNS_LABEL),  # ELB CreateLoadBalancer: 32, alphanumerics and hyphens, no hyphen at either end
    "target_group": (32, _DNS_LABEL),  # ELB CreateTargetGroup: the same
    "bucket": (63, r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"),  # S3 general purpose bucket naming rules
    "rds_instance": (63, _RDS_STYLE),  # RDS DBInstanceIdentifier
    "elasticache_group": (40, _RDS_STYLE),  # ElastiCache ReplicationGroupId
    "iam_role": (64, r"[\w+=,.@-]+"),  # IAM CreateRole RoleName
    "ecs": (255, r"[A-Za-z0-9_-]+"),  # ECS cluster and service names
    "log_group": (512, r"[\w./#-]+"),  # CloudWatch Logs CreateLogGroup logGroupName
    "secret": (512, r"[\w/+=.@-]+"),  # Secrets Manager secret names
    "scheduler_group": (64, r"[0-9a-zA-Z._-]+"),  # EventBridge Scheduler CreateScheduleGroup Name
}


def aws_rule_for(key: str) -> tuple[int, str]:
    """The AWS naming rule for a names.json key (anything not listed: 255 characters, letters, digits, hyphens)."""
    for prefix, rule in (
        ("target_group", "target_group"),
        ("iam_", "iam_role"),
        ("ecs_", "ecs"),
        ("log_group", "log_group"),
        ("secret_", "secret"),
    ):
        if key.startswith(prefix):
            return AWS_NAME_RULES[rule]
    if key.endswith("_bucket"):
        return AWS_NAME_RULES["bucket"]
    return AWS_NAME_RULES.get(key, (255, r"[A-Za-z0-9-]+"))


@pytest.mark.parametrize("option_set_name", ["default", "ec2_no_frontend"])
def test_terraform_names_obey_aws_rules_and_never_collide_across_environments(
    option_set_name: str, infra_copies: dict[str, Path], terraform_cli_config: Path, tmp_path: Path
) -> None:
    """The names Terraform applies in each environment are ones AWS accepts, name that environment, and no
    two environments share one (their stacks live in the same account); its log groups too."""
    project = tmp_path / "project"
    shutil.copytree(infra_copies[option_set_name], project, ignore=shutil.ignore_patterns(".terraform"))
    bootstrap_root, target_root = roots(project, option_set_name)
    # terraform console needs an initialised backend; a local one keeps the copy offline.
    (target_root / "zz_local_backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    stack = Terraform(target_root, terraform_cli_config)
    stack.run("init", "-input=false")
    bootstrap = Terraform(bootstrap_root, terraform_cli_config)
    bootstrap.run("init", "-input=false")
    shared = console(bootstrap, "local.project.shared")
    assert isinstance(shared, dict) and shared
    for key, name in shared.items():
        max_length, pattern = aws_rule_for(key)
        assert len(name) <= max_length and re.fullmatch(pattern, name), (key, name)
    seen: dict[str, str] = {name: "shared" for name in shared.values()}
    for environment in ENVIRONMENTS:
        names = console(stack, "local.names", f"-var-file=envs/{environment}.tfvars")
        log_groups = console(stack, "local.log_groups", f"-var-file=envs/{environment}.tfvars")
        assert isinstance(names, dict) and isinstance(log_groups, dict) and names and log_groups
        named = {**names, **{f"log_group {service}": group for service, group in log_groups.items()}}
        for key, name in named.items():
            max_length, pattern = aws_rule_for(key.split(" ")[0])
            assert len(name) <= max_length and re.fullmatch(pattern, name), (environment, key, name)
            assert environment in name, (environment, key, name)
            assert seen.setdefault(name, environment) == environment, (
                f"{name} is used by {seen[name]} and {environment}"
            )


def test_each_target_ships_only_its_own_files(generated_projects: dict[str, Path]) -> None:
    """The post-generation hook keeps one target: ECS has no host files, EC2 no ECS stack."""
    ecs, ec2 = generated_projects["default"], generated_projects["ec2_no_frontend"]
    assert (ecs / "infra/terraform/ecs-fargate").is_dir() and not (ecs / "infra/terraform/ec2-all-in-one").exists()
    assert not (ecs / "docker-compose.prod.yml").exists() and not (ecs / "deploy/ec2").exists()
    assert (ec2 / "infra/terraform/ec2-all-in-one").is_dir() and not (ec2 / "infra/terraform/ecs-fargate").exists()
    assert (ec2 / "docker-compose.prod.yml").is_file() and (ec2 / "deploy/ec2/deploy.sh").is_file()
    for project in (ecs, ec2):
        assert (project / "infra/infra.mk").is_file() and (project / "infra/README.md").is_file()


@pytest.mark.parametrize("option_set_name", [name for name in OPTION_SET_NAMES if target_of(name) == "ec2-all-in-one"])
def test_host_files_are_valid(option_set_name: str, generated_projects: dict[str, Path]) -> None:
    """docker-compose.prod.yml matches the Compose spec; the host scripts are shellcheck-clean."""
    project = generated_projects[option_set_name]
    compose = subprocess.run(
        [
            str(TOOLS / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(project / "docker-compose.prod.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compose.returncode == 0, compose.stdout + compose.stderr
    scripts = sorted((project / "deploy" / "ec2").glob("*.sh"))
    assert scripts
    shellcheck = subprocess.run(
        [str(TOOLS / "shellcheck"), *map(str, scripts)], capture_output=True, text=True, check=False
    )
    assert shellcheck.returncode == 0, shellcheck.stdout


def test_install_script_is_shellcheck_clean() -> None:
    """.ci/install-infra-tools passes shellcheck."""
    script = Path(__file__).resolve().parents[2] / ".ci" / "install-infra-tools"
    result = subprocess.run([str(TOOLS / "shellcheck"), str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
