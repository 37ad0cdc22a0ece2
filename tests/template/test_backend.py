"""Each generated backend installs from its lock, passes Django's checks and its own test suite."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from support.projects import OPTION_SETS, run, uv_environment

pytestmark = pytest.mark.slow

OPTION_SET_NAMES = [option_set.name for option_set in OPTION_SETS]


def backend_environment(**variables: str) -> dict[str, str]:
    """A clean environment (no DATABASE_URL/REDIS_URL from the caller) plus the given variables."""
    return {**uv_environment(), **variables}


@pytest.mark.parametrize("name", OPTION_SET_NAMES)
def test_generated_backend_checks_and_suite_pass(
    generated_projects: dict[str, Path], installed_backends: dict[str, Path], name: str
) -> None:
    python = installed_backends[name]
    backend = generated_projects[name] / "backend"
    environment = backend_environment()
    run([str(python), "manage.py", "check", "--fail-level", "WARNING"], backend, env=environment)
    run([str(python), "manage.py", "makemigrations", "--check", "--dry-run"], backend, env=environment)
    run([str(backend / ".venv/bin/ruff"), "check", "--no-cache", "."], backend, env=environment)
    result = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--create-db"], backend, env=environment)
    assert " passed" in result.stdout
    assert " failed" not in result.stdout and " error" not in result.stdout


@pytest.mark.parametrize("name", ["default", "no_celery_no_websocket"])
def test_production_settings_pass_deploy_checks(
    generated_projects: dict[str, Path], installed_backends: dict[str, Path], name: str
) -> None:
    python = installed_backends[name]
    environment = backend_environment(
        ENVIRONMENT="prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL="postgres://app:secret@db.internal:5432/app",
        REDIS_URL="redis://cache.internal:6379/0",
        AWS_STORAGE_BUCKET_NAME="shop-media-prod",
    )
    backend = generated_projects[name] / "backend"
    run([str(python), "manage.py", "check", "--deploy", "--fail-level", "WARNING"], backend, env=environment)
    run(
        [str(python), "manage.py", "collectstatic", "--noinput", "--dry-run"],
        backend,
        env=backend_environment(DEBUG="false"),
    )
