"""Rendering every supported option set: the right files, nothing unrendered, linters clean."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from support.commands import beat_command, web_command, worker_command
from support.container_memory import HOST_MEMORY_BUDGET_MIB, compose_memory_limits
from support.projects import OPTION_SETS, OPTION_SETS_BY_NAME

from djaws.generate import TEMPLATE_DIR, generate
from djaws.naming import ENVIRONMENTS, derive_names
from djaws.options import OPTIONS, defaults

OPTION_SET_NAMES = [option_set.name for option_set in OPTION_SETS]
UNRENDERED = re.compile(r"{{\s*cookiecutter|{%-?\s|cookiecutter\.")
BIN = Path(sys.executable).parent

ALWAYS = [
    "README.md",
    "SECURITY.md",
    "RELIABILITY.md",
    "Makefile",
    ".env.example",
    ".gitignore",
    ".djaws-answers.json",
    "docker-compose.yml",
    "infra/names.json",
    "backend/manage.py",
    "backend/pyproject.toml",
    "backend/uv.lock",
    "backend/Dockerfile",
    "backend/config/settings.py",
    "backend/config/project.toml",
    "backend/apps/files/storage.py",
    "backend/tests/test_files.py",
]
WITH_CELERY = [
    "backend/config/celery.py",
    "backend/config/worker.py",
    "backend/config/beat.py",
    "backend/apps/files/tasks.py",
    "backend/tests/test_tasks.py",
]
WITHOUT_CELERY = ["backend/tests/test_inline_processing.py"]
WITH_WEBSOCKET = ["backend/config/routing.py", "backend/apps/notifications", "backend/tests/test_websocket.py"]
WITH_FRONTEND = ["frontend/package.json"]
ECS_ONLY = ["infra/terraform/ecs-fargate"]
EC2_ONLY = ["infra/terraform/ec2-all-in-one", "docker-compose.prod.yml"]


def answers_of(name: str) -> dict[str, str]:
    return OPTION_SETS_BY_NAME[name].full_answers()


def test_cookiecutter_json_matches_the_options_module() -> None:
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    for option in OPTIONS:
        expected = list(option.choices) if option.choices else option.default
        assert context[option.key] == expected, option.key
    public = [key for key in context if not key.startswith("_")]
    assert public == [option.key for option in OPTIONS] + ["project_slug", "resource_prefix"]


def test_option_sets_cover_every_value_of_every_option() -> None:
    for option in OPTIONS:
        for choice in option.choices:
            assert any(answers_of(name)[option.key] == choice for name in OPTION_SET_NAMES), (option.key, choice)


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_files_present_or_absent_as_options_say(rendered_projects: dict[str, Path], name: str) -> None:
    project, answers = rendered_projects[name], answers_of(name)
    assert project.name == derive_names(answers["project_name"]).project_slug
    expected_presence = {path: True for path in ALWAYS}
    expected_presence |= {path: answers["use_celery"] == "y" for path in WITH_CELERY}
    expected_presence |= {path: answers["use_celery"] == "n" for path in WITHOUT_CELERY}
    expected_presence |= {path: answers["use_websocket"] == "y" for path in WITH_WEBSOCKET}
    expected_presence |= {path: answers["frontend"] == "nextjs" for path in WITH_FRONTEND}
    expected_presence |= {path: answers["aws_deployment"] == "ecs-fargate" for path in ECS_ONLY}
    expected_presence |= {path: answers["aws_deployment"] == "ec2-all-in-one" for path in EC2_ONLY}
    for path, present in expected_presence.items():
        assert (project / path).exists() == present, f"{path} should {'' if present else 'not '}exist"
    assert not (project / "backend" / "locks").exists()


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_nothing_is_left_unrendered(rendered_projects: dict[str, Path], name: str) -> None:
    leftovers = []
    for path in rendered_projects[name].rglob("*"):
        if path.is_file() and path.name != "uv.lock":
            text = path.read_text(errors="replace")
            leftovers += [f"{path}: {match.group(0)}" for match in UNRENDERED.finditer(text)]
    assert leftovers == []


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_recorded_answers_names_and_project_settings(rendered_projects: dict[str, Path], name: str) -> None:
    project, answers = rendered_projects[name], answers_of(name)
    recorded = json.loads((project / ".djaws-answers.json").read_text())
    assert {key: recorded[key] for key in answers} == answers
    assert json.loads((project / "infra" / "names.json").read_text()) == derive_names(answers["project_name"]).as_dict()
    settings = tomllib.loads((project / "backend" / "config" / "project.toml").read_text())
    assert settings["features"] == {
        "celery": answers["use_celery"] == "y",
        "websocket": answers["use_websocket"] == "y",
        "frontend": answers["frontend"] == "nextjs",
    }
    assert settings["aws"]["region"] == answers["aws_region"]


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_lock_matches_the_chosen_dependencies(rendered_projects: dict[str, Path], name: str) -> None:
    answers = answers_of(name)
    lock = tomllib.loads((rendered_projects[name] / "backend" / "uv.lock").read_text())
    locked = {package["name"] for package in lock["package"]}
    assert {"django", "djangorestframework", "psycopg", "boto3", "granian"} <= locked
    assert ("celery" in locked) == (answers["use_celery"] == "y")
    assert ("channels" in locked) == (answers["use_websocket"] == "y")


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_python_is_ruff_clean(rendered_projects: dict[str, Path], name: str) -> None:
    for package in ("backend", "ops"):
        for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
            result = subprocess.run(
                [BIN / "ruff", *command], cwd=rendered_projects[name] / package, capture_output=True, text=True
            )
            assert result.returncode == 0, f"{package}: {result.stdout}{result.stderr}"


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_compose_files_follow_the_compose_spec(rendered_projects: dict[str, Path], name: str) -> None:
    files = sorted(rendered_projects[name].glob("docker-compose*.yml"))
    assert files
    result = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", *map(str, files)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_dockerfiles_pass_hadolint(rendered_projects: dict[str, Path], name: str) -> None:
    dockerfiles = sorted(rendered_projects[name].rglob("Dockerfile"))
    assert dockerfiles
    result = subprocess.run(
        [BIN / "hadolint", "--failure-threshold", "warning", *map(str, dockerfiles)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_images_and_compose_run_the_tested_production_commands(rendered_projects: dict[str, Path], name: str) -> None:
    """The Dockerfile and the EC2 host's compose file start what the end-to-end test starts."""
    project = rendered_projects[name]
    in_image = Path("/opt/venv/bin")
    web = [str(in_image / "python"), "-m", "config.server"]
    assert web_command(in_image) == web
    dockerfile = (project / "backend" / "Dockerfile").read_text().splitlines()
    assert json.loads(next(line for line in dockerfile if line.startswith("CMD "))[4:]) == ["python", *web[1:]]
    compose = project / "docker-compose.prod.yml"
    if not compose.exists():
        return
    services = yaml.safe_load(compose.read_text())["services"]
    assert services["web"]["command"] == ["python", *web[1:]]
    if answers_of(name)["use_celery"] == "y":
        assert services["worker"]["command"] == worker_command(Path())
        assert services["beat"]["command"] == beat_command(Path())


def test_plain_cookiecutter_renders_the_same_files(rendered_projects: dict[str, Path], tmp_path: Path) -> None:
    answers = answers_of("default")
    arguments = [f"{key}={value}" for key, value in answers.items()]
    result = subprocess.run(
        [BIN / "cookiecutter", "--no-input", "-o", str(tmp_path), str(TEMPLATE_DIR), *arguments],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    rendered = tmp_path / "acme_shop"
    djaws_project = rendered_projects["default"]

    def files(root: Path) -> set[str]:
        return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}

    assert files(rendered) == files(djaws_project)
    for relative in ("infra/names.json", "backend/config/settings.py", "Makefile"):
        assert (rendered / relative).read_text() == (djaws_project / relative).read_text()
    shutil.rmtree(rendered)


PINNED_ACTION = re.compile(r"uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s")
LOCAL_WORKFLOW = re.compile(r"uses:\s*\./\.github/workflows/[\w.-]+\.yml\s")  # this repository's own, at this commit


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_workflows_are_valid_pinned_and_pass_zizmor(rendered_projects: dict[str, Path], name: str) -> None:
    workflows = sorted((rendered_projects[name] / ".github" / "workflows").glob("*.yml"))
    assert workflows
    for workflow in workflows:
        for line in workflow.read_text().splitlines():
            if "uses:" in line and not LOCAL_WORKFLOW.search(line + " "):
                assert PINNED_ACTION.search(line + " "), f"{workflow.name}: not pinned to a commit SHA: {line.strip()}"
    paths = [str(workflow) for workflow in workflows]
    checks = [
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *paths],
        [BIN / "actionlint", *paths],
        [BIN / "zizmor", "--offline", "--no-progress", *paths],
    ]
    for command in checks:
        result = subprocess.run(command, capture_output=True, text=True, env={"PATH": f"{BIN}:/usr/bin:/bin"})
        assert result.returncode == 0, f"{command[0]}: {result.stdout}{result.stderr}"


REPOSITORY_TESTS = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"`((?:[\w/]+\.py)?)::(\w+)`|`([\w/]+\.py)`")


def cited_tests(line: str) -> list[tuple[str, str]]:
    """(file, test) pairs a table row cites; "::name" continues the file cited before it."""
    cited, current = [], ""
    for match in CITATION.finditer(line):
        current = match.group(1) or match.group(3) or current
        cited.append((current, match.group(2) or ""))
    return cited


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
@pytest.mark.parametrize("document", ["SECURITY.md", "RELIABILITY.md"])
def test_every_test_the_guarantees_cite_exists(rendered_projects: dict[str, Path], name: str, document: str) -> None:
    project = rendered_projects[name]
    missing = []
    for line in (project / document).read_text().splitlines():
        if not line.startswith("| "):
            continue
        own, _, template = line.partition("*(djaws)*")
        for part, root in ((own, project / "backend" / "tests"), (template, REPOSITORY_TESTS.parent)):
            for file, test in cited_tests(part):
                if not file.startswith("test_") and "/" not in file:
                    continue  # a project file named as evidence (a Dockerfile, a workflow)
                source = next(iter(sorted(root.rglob(Path(file).name))), None) if "/" not in file else root / file
                if source is None or not source.exists():
                    missing.append(file)
                elif test and f"def {test}(" not in source.read_text():
                    missing.append(f"{file}::{test}")
    assert missing == [], f"{document} cites tests that do not exist"


ALARM_EMAIL_LINE = re.compile(r'^alarm_email\s*=\s*"(.*)"$', re.MULTILINE)


@pytest.mark.parametrize(
    ("target", "author_email", "alarm_email"),
    [
        ("ecs-fargate", "you@example.com", ""),
        ("ec2-all-in-one", "you@example.com", ""),
        ("ecs-fargate", "ops@Example.NET", ""),
        ("ec2-all-in-one", "ops@acme-shop.io", "ops@acme-shop.io"),
    ],
)
def test_alarm_email_is_the_author_unless_a_placeholder(
    tmp_path: Path, target: str, author_email: str, alarm_email: str
) -> None:
    """stg and prod mail alarms to the author; the default example.* address renders as no subscription."""
    answers = {**defaults(), "aws_deployment": target, "author_email": author_email}
    envs = generate(answers, tmp_path).path / "infra" / "terraform" / target / "envs"
    rendered = {env: ALARM_EMAIL_LINE.findall((envs / f"{env}.tfvars").read_text()) for env in ENVIRONMENTS}
    assert rendered == {"demo": [""], "dev": [""], "stg": [alarm_email], "prod": [alarm_email]}


@pytest.fixture(scope="module")
def ec2_renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every option set rendered for the EC2 host (as written, only some of them target it)."""
    output = tmp_path_factory.mktemp("ec2-renders")
    return {
        option_set.name: generate({**option_set.full_answers(), "aws_deployment": "ec2-all-in-one"}, output).path
        for option_set in OPTION_SETS
    }


def readme_memory_table(readme: str) -> dict[str, int]:
    """The README's "Memory on the EC2 host" table: service -> limit in MiB."""
    section = readme.split("### Memory on the EC2 host", 1)[1].split("\n#", 1)[0]
    return {match[1]: int(match[2]) for match in re.finditer(r"^\| (\w+) \| (\d+) \|", section, re.MULTILINE)}


def compose_budget_comment(compose: str) -> dict[str, int]:
    """The compose file's "Memory budget" comment: service -> MiB."""
    block = compose.split("# Memory budget", 1)[1].split("\n", 1)[1]
    lines = block.split("\n# A ", 1)[0].splitlines()
    return {match[1]: int(match[2]) for line in lines if (match := re.match(r"^#\s+(\w+)\s+(\d+)\b", line))}


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_ec2_memory_budget_is_one_figure_per_service_and_fits_the_host(ec2_renders: dict[str, Path], name: str) -> None:
    project = ec2_renders[name]
    limits = compose_memory_limits(project / "docker-compose.prod.yml")
    assert compose_budget_comment((project / "docker-compose.prod.yml").read_text()) == limits
    assert readme_memory_table((project / "README.md").read_text()) == limits
    assert sum(limits.values()) <= HOST_MEMORY_BUDGET_MIB, limits
    answers = answers_of(name)
    processes = {"websocket": answers["use_websocket"] == "y", "worker": answers["use_celery"] == "y"}
    processes |= {"beat": answers["use_celery"] == "y", "frontend": answers["frontend"] != "none"}
    assert {service: service in limits for service in processes} == processes


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_nginx_waits_until_every_upstream_it_names_is_healthy(ec2_renders: dict[str, Path], name: str) -> None:
    project = ec2_renders[name]
    services = yaml.safe_load((project / "docker-compose.prod.yml").read_text())["services"]
    upstreams = set(re.findall(r"proxy_pass http://(\w+);", (project / "deploy/ec2/nginx-site.conf").read_text()))
    assert "web" in upstreams
    assert services["nginx"]["depends_on"] == {upstream: {"condition": "service_healthy"} for upstream in upstreams}
    assert all(services[upstream].get("healthcheck") for upstream in upstreams)


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_ec2_process_sizes_are_read_by_the_processes(ec2_renders: dict[str, Path], name: str) -> None:
    """Every *_CONCURRENCY the host's compose file sets is read by the backend (no setting that does nothing)."""
    project = ec2_renders[name]
    backend_environment = yaml.safe_load((project / "docker-compose.prod.yml").read_text())["x-backend"]["environment"]
    sizes = {variable for variable in backend_environment if variable.endswith("_CONCURRENCY")}
    code = "\n".join(path.read_text() for path in (project / "backend/config").glob("*.py"))
    assert sizes >= {"WEB_CONCURRENCY"}
    assert {variable for variable in sizes if f'"{variable}"' not in code} == set()


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_ec2_redis_persists_to_a_volume(ec2_renders: dict[str, Path], name: str) -> None:
    compose = yaml.safe_load((ec2_renders[name] / "docker-compose.prod.yml").read_text())
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    volume, mount = redis["volumes"][0].split(":")
    assert mount == "/data" and volume in compose["volumes"]
