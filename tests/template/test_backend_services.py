"""A generated backend on real servers: PostgreSQL 16 and Redis 7, started by the test setup."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from support.projects import run, uv_environment
from support.services import Services

pytestmark = [pytest.mark.slow, pytest.mark.services]


def test_postgres_is_version_16(services: Services) -> None:
    assert "PostgreSQL) 16." in services.postgres_version


@pytest.mark.parametrize("name", ["default", "no_celery_no_websocket"])
def test_generated_suite_passes_on_postgres_and_redis(
    generated_projects: dict[str, Path], installed_backends: dict[str, Path], services: Services, name: str
) -> None:
    python = installed_backends[name]
    backend = generated_projects[name] / "backend"
    database_url = services.database_url.rsplit("/", 1)[0] + f"/suite_{uuid.uuid4().hex[:8]}"
    environment = {**uv_environment(), "DATABASE_URL": database_url, "REDIS_URL": services.redis_url}
    shown = run(
        [
            str(python),
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'])",
        ],
        backend,
        env=environment,
    )
    assert "postgresql" in shown.stdout and "RedisCache" in shown.stdout
    result = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--create-db"], backend, env=environment)
    assert " passed" in result.stdout
    assert " failed" not in result.stdout and " error" not in result.stdout
