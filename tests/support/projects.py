"""The option sets the tests render, and helpers to generate and install them."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from djaws.generate import generate
from djaws.options import defaults

LONG_UNICODE_NAME = "Ünïcödé Straßenbahn Gesellschaft für Möbel & Café — Düsseldorf 2026"


@dataclass(frozen=True)
class OptionSet:
    """One supported combination of answers, named for test ids."""

    name: str
    answers: dict[str, str] = field(default_factory=dict)

    def full_answers(self) -> dict[str, str]:
        return {**defaults(), **self.answers}


# Every value of every option appears in at least one set; each uv.lock variant is covered.
OPTION_SETS: tuple[OptionSet, ...] = (
    OptionSet("default", {"project_name": "Acme Shop"}),
    OptionSet(
        "ec2_no_frontend",
        {
            "project_name": "Acme Host",
            "aws_deployment": "ec2-all-in-one",
            "frontend": "none",
            "domain_name": "shop.example.com",
            "github_owner": "acme-corp",
            "main_environment": "prod",
        },
    ),
    OptionSet("no_celery_no_websocket", {"project_name": "Plain API", "use_celery": "n", "use_websocket": "n"}),
    OptionSet("celery_only", {"project_name": "Queue Shop", "use_websocket": "n", "aws_region": "us-east-1"}),
    OptionSet("websocket_only", {"project_name": "Live Shop", "use_celery": "n", "frontend": "none"}),
    OptionSet("long_unicode_name", {"project_name": LONG_UNICODE_NAME}),
)
OPTION_SETS_BY_NAME = {option_set.name: option_set for option_set in OPTION_SETS}


def generate_option_set(option_set: OptionSet, output_dir: Path) -> Path:
    """Render one option set with the djaws generator and return the project directory."""
    return generate(option_set.full_answers(), output_dir).path


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under a directory (outside .git) and its bytes, to show that a refused command wrote nothing."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(directory).parts
    }


def uv_environment() -> dict[str, str]:
    """Environment for uv: the real interpreter (not a pyenv shim), no inherited virtualenv."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL", "ENVIRONMENT")
    }
    environment["UV_PYTHON"] = sys.executable
    environment["UV_NO_PROGRESS"] = "1"
    return environment


def run(
    command: list[str], cwd: Path, *, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with its output when it fails."""
    result = subprocess.run(
        command, cwd=cwd, env=env or uv_environment(), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed in {cwd} with {result.returncode}:\n{result.stdout[-6000:]}\n"
            f"{result.stderr[-6000:]}"
        )
    return result


def install_backend(project: Path) -> Path:
    """``uv sync --locked`` in the generated backend; returns its virtualenv's python."""
    backend = project / "backend"
    run(["uv", "sync", "--locked", "--quiet"], backend)
    return backend / ".venv" / "bin" / "python"


def install_ops(project: Path) -> Path:
    """``uv sync --locked`` of the generated ``ops`` CLI, as CI installs it; returns its ``ops`` executable."""
    run(["uv", "sync", "--locked", "--quiet", "--project", "ops"], project)
    return project / "ops" / ".venv" / "bin" / "ops"
