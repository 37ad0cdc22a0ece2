"""The generated API answers as its OpenAPI schema says, under schemathesis with every check.

The default option set's production web server (``python -m config.server``) runs on loopback on the
embedded default (SQLite in this test's directory, files on local disk). A user registers and signs
in; schemathesis then reads /api/schema/ and sends each operation generated valid and invalid
requests with that user's access token: every status must be documented, every body must match its
schema, valid data must be accepted and invalid data refused, and no request may be a 5xx.

- The run is deterministic (``--generation-deterministic``, one worker) and bounded
  (``--max-examples`` per operation), so CI explores the same requests every time.
- The credential endpoints' rate limits are raised: the schema documents their 429, but at the
  default 20 a minute almost every request to them would be one, and nothing else would be tested.
- The upload operations (start, complete, download, list, delete) run against local storage. The
  local storage's own upload and download URLs (apps/files/local_views.py) are not API operations
  and not in the schema: they stand in for S3's presigned URLs, whose contract is S3's. The
  generated suite's test_files.py and test_hostile_input.py cover them.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from support.commands import web_command
from support.processes import background
from support.projects import run, uv_environment
from support.services import free_port, wait_for_port

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 50
SCHEMATHESIS_TIMEOUT_SECONDS = 600
CREDENTIALS = {"email": "fuzz@example.com", "password": "correct-horse-battery-staple"}


def server_environment(tmp_path: Path, port: int) -> dict[str, str]:
    """The embedded default with production's DEBUG, on a loopback port, with no .env read."""
    return {
        **uv_environment(),
        "ENV_FILE": str(tmp_path / "no.env"),
        "ENVIRONMENT": "local",
        "DEBUG": "false",
        "SECRET_KEY": "fuzz-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        # SQLite takes one writer at a time: one process keeps concurrent writes from being refused.
        "WEB_CONCURRENCY": "1",
        "AUTH_THROTTLE_RATE": "100000/minute",
        "AUTH_ACCOUNT_THROTTLE_RATE": "100000/minute",
        "JWT_ACCESS_MINUTES": "60",
        # The log then holds what went wrong, for the assertion message.
        "LOG_LEVEL": "WARNING",
    }


def access_token(api: str) -> str:
    """Register the fuzzing user and sign in."""
    registered = requests.post(f"{api}/auth/register/", json=CREDENTIALS, timeout=30)
    assert registered.status_code == 201, registered.text
    tokens = requests.post(f"{api}/auth/token/", json=CREDENTIALS, timeout=30)
    assert tokens.status_code == 200, tokens.text
    return tokens.json()["access"]


def schemathesis_command(api: str, token: str) -> list[str]:
    """Every check, authenticated, deterministic and bounded."""
    return [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{api}/schema/",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]


def test_schemathesis_finds_nothing(
    generated_projects: dict[str, Path], installed_backends: dict[str, Path], tmp_path: Path
) -> None:
    python = installed_backends["default"]
    backend = generated_projects["default"] / "backend"
    port = free_port()
    environment = server_environment(tmp_path, port)
    run([str(python), "manage.py", "migrate", "--noinput"], backend, env=environment)
    log = tmp_path / "web.log"
    with background(web_command(python.parent), backend, environment, log) as server:
        wait_for_port(port)
        api = f"http://127.0.0.1:{port}/api"
        result = subprocess.run(
            schemathesis_command(api, access_token(api)),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=SCHEMATHESIS_TIMEOUT_SECONDS,
        )
        assert server.poll() is None, f"the server exited:\n{log.read_text()[-3000:]}"
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found problems:\n{output}\nserver log:\n{log.read_text()[-4000:]}"
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested and int(tested[1]) == int(selected[2]), f"not every operation was tested:\n{output}"
