"""Settings come from the environment: runs with none at all, stops with one line when one is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND, PRODUCTION_VARIABLES, run_fresh


def manage(*arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py with only the given variables (plus PATH), as a fresh container would.

    A developer's own .env is kept out unless a test names a file in ENV_FILE.
    """
    return run_fresh([sys.executable, "manage.py", *arguments], **variables)


def setting(name: str, **variables: str) -> str:
    result = manage("shell", "-c", f"from django.conf import settings; print(settings.{name})", **variables)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_runs_with_no_environment_at_all() -> None:
    result = manage("check")
    assert result.returncode == 0, result.stderr
    assert setting("DATABASES['default']['ENGINE']") == "django.db.backends.sqlite3"
    assert setting("FILE_STORAGE") == "local"
    assert setting("DEBUG") == "True"


def test_missing_required_variable_stops_with_one_line() -> None:
    variables = dict(PRODUCTION_VARIABLES)
    del variables["DATABASE_URL"]
    result = manage("check", ENVIRONMENT="prod", **variables)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]


@pytest.mark.parametrize(("variable", "value"), [("LOG_LEVEL", "LOUD"), ("LOG_FORMAT", "xml")])
def test_unknown_log_level_or_format_stops_with_one_line(variable: str, value: str) -> None:
    result = manage("check", **{variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert variable in lines[0]


def test_unknown_environment_is_rejected() -> None:
    result = manage("check", ENVIRONMENT="production")
    assert result.returncode == 2
    assert "ENVIRONMENT" in result.stderr


def test_prod_passes_deploy_checks() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", ENVIRONMENT="prod", **PRODUCTION_VARIABLES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_https_is_enforced_only_where_served_over_https() -> None:
    assert setting("SECURE_SSL_REDIRECT", ENVIRONMENT="demo", **PRODUCTION_VARIABLES) == "False"
    assert setting("SECURE_SSL_REDIRECT", ENVIRONMENT="prod", **PRODUCTION_VARIABLES) == "True"
    assert setting("DEBUG", ENVIRONMENT="demo", **PRODUCTION_VARIABLES) == "False"
    demo_with_certificate = setting(
        "SECURE_SSL_REDIRECT", ENVIRONMENT="demo", SERVED_OVER_HTTPS="true", **PRODUCTION_VARIABLES
    )
    assert demo_with_certificate == "True"


def test_database_url_is_built_from_parts_for_ecs_secrets() -> None:
    variables = {key: value for key, value in PRODUCTION_VARIABLES.items() if key != "DATABASE_URL"}
    parts = {"DB_HOST": "db.internal", "DB_USER": "app", "DB_PASSWORD": "p@ss/word", "DB_NAME": "shop"}
    assert setting("DATABASES['default']['PASSWORD']", ENVIRONMENT="stg", **variables, **parts) == "p@ss/word"
    assert setting("DATABASES['default']['HOST']", ENVIRONMENT="stg", **variables, **parts) == "db.internal"


def test_env_file_is_loaded_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    lines = [f"{name}={value}" for name, value in PRODUCTION_VARIABLES.items()]
    env_file.write_text("# deployed settings\nENVIRONMENT=stg\n" + "\n".join(lines) + "\nexport LOG_LEVEL='warning'\n")
    assert setting("ENVIRONMENT", ENV_FILE=str(env_file)) == "stg"
    assert setting("LOG_LEVEL", ENV_FILE=str(env_file)) == "WARNING"
    assert setting("ALLOWED_HOSTS", ENV_FILE=str(env_file)) == "['shop.example.com']"
    assert setting("ALLOWED_HOSTS", ENV_FILE=str(env_file), ALLOWED_HOSTS="api.example.com") == "['api.example.com']"


def test_malformed_env_file_stops_with_one_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ENVIRONMENT=stg\nthis is not a setting\n")
    result = manage("check", ENV_FILE=str(env_file))
    assert result.returncode == 2
    assert result.stderr.strip() == f"configuration error: {env_file}:2 is not a KEY=VALUE line"


def test_copied_env_example_behaves_like_no_environment() -> None:
    example = BACKEND.parent / ".env.example"
    assert example.is_file()
    for name in ("DEBUG", "ALLOWED_HOSTS", "MEDIA_ROOT", "LOG_FORMAT", "DATABASES['default']['ENGINE']"):
        assert setting(name, ENV_FILE=str(example)) == setting(name), name


def test_database_connections_give_up_after_the_connect_timeout() -> None:
    options = "DATABASES['default']['OPTIONS']['connect_timeout']"
    assert setting(options, ENVIRONMENT="stg", **PRODUCTION_VARIABLES) == "5"
    assert setting(options, ENVIRONMENT="stg", DB_CONNECT_TIMEOUT="2", **PRODUCTION_VARIABLES) == "2"
