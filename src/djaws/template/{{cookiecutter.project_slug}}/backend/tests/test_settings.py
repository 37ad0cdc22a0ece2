"""Settings come from the environment: runs with none at all, stops with one line when one is missing."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

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


# A variable's line in .env.example (set or commented).
EXAMPLE_LINE = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=", re.MULTILINE)
# Documented for the libraries that read them: boto3 takes local S3 credentials from these.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


class VariableReads(ast.NodeVisitor):
    """Names passed to config.env's readers (``env.text("NAME")``...), outside ``if USE_<FEATURE>:``
    blocks for features this project does not have (USE_CELERY false: the Celery settings never run)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        off = isinstance(test, ast.Name) and test.id.startswith("USE_") and getattr(settings, test.id) is False
        for child in [test, *node.orelse] if off else [test, *node.body, *node.orelse]:
            self.visit(child)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and function.value.id == "env"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and re.fullmatch(r"[A-Z][A-Z0-9_]*", str(node.args[0].value))
        ):
            self.names.add(node.args[0].value)
        self.generic_visit(node)


def test_every_variable_the_code_reads_is_in_env_example_and_nothing_else_is() -> None:
    reads = VariableReads()
    for path in BACKEND.rglob("*.py"):
        if ".venv" not in path.parts and "tests" not in path.parts:
            reads.visit(ast.parse(path.read_text()))
    documented = set(EXAMPLE_LINE.findall((BACKEND.parent / ".env.example").read_text()))
    assert {"SECRET_KEY", "WEB_CONCURRENCY"} <= reads.names
    assert reads.names - documented == set(), "read by the code but not documented in .env.example"
    assert documented - reads.names - READ_BY_LIBRARIES == set(), "documented in .env.example but read nowhere"


def test_copied_env_example_behaves_like_no_environment() -> None:
    example = BACKEND.parent / ".env.example"
    assert example.is_file()
    for name in ("DEBUG", "ALLOWED_HOSTS", "MEDIA_ROOT", "LOG_FORMAT", "DATABASES['default']['ENGINE']"):
        assert setting(name, ENV_FILE=str(example)) == setting(name), name


def test_database_connections_give_up_after_the_connect_timeout() -> None:
    options = "DATABASES['default']['OPTIONS']['connect_timeout']"
    assert setting(options, ENVIRONMENT="stg", **PRODUCTION_VARIABLES) == "5"
    assert setting(options, ENVIRONMENT="stg", DB_CONNECT_TIMEOUT="2", **PRODUCTION_VARIABLES) == "2"


def test_database_tls_is_required_outside_local_unless_turned_off() -> None:
    sslmode = "DATABASES['default']['OPTIONS'].get('sslmode')"
    assert setting(sslmode, ENVIRONMENT="demo", **PRODUCTION_VARIABLES) == "require"
    assert setting(sslmode, ENVIRONMENT="demo", DB_REQUIRE_SSL="false", **PRODUCTION_VARIABLES) == "None"
    assert setting(sslmode, DATABASE_URL=PRODUCTION_VARIABLES["DATABASE_URL"]) == "None"


@pytest.mark.parametrize(
    ("url", "connection"),
    [("rediss://cache.internal:6379/0", "SSLConnection"), ("redis://cache.internal:6379/0", "Connection")],
)
def test_the_cache_speaks_tls_to_a_rediss_url(url: str, connection: str) -> None:
    # The connection class the cache's pool opens connections with (nothing is connected here).
    program = (
        "from django.core.cache import cache; print(cache._cache._get_connection_pool(True).connection_class.__name__)"
    )
    variables = {**PRODUCTION_VARIABLES, "REDIS_URL": url}
    result = manage("shell", "-c", program, ENVIRONMENT="demo", **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == connection
