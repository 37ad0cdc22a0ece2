"""Install, check, build and serve the generated Next.js frontend the way its Dockerfile does."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from djaws.generate import generate
from djaws.options import defaults, validate_answers

pytestmark = pytest.mark.slow

PROJECT_NAME = "Frontend Check"
INSTALL_TIMEOUT_SECONDS = 600
BUILD_TIMEOUT_SECONDS = 600
SERVER_START_TIMEOUT_SECONDS = 30
OUTPUT_TAIL_CHARACTERS = 4000


def _require_node() -> None:
    """Fail (not skip) without Node.js: the frontend build is part of what this suite promises."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found on PATH: install Node.js 20.9 or newer to build the frontend")


def _npm_environment() -> dict[str, str]:
    """The environment minus settings that would change the build, plus quiet offline-friendly npm."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEXT_PUBLIC_") and key not in {"BACKEND_URL", "NODE_ENV", "HOSTNAME", "PORT"}
    }
    environment.update(NEXT_TELEMETRY_DISABLED="1", npm_config_update_notifier="false", npm_config_fund="false")
    return environment


def _run(command: list[str], cwd: Path, timeout: int) -> None:
    """Run a command and fail with the end of its output if it does not succeed."""
    result = subprocess.run(
        command, cwd=cwd, env=_npm_environment(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-OUTPUT_TAIL_CHARACTERS:]
        pytest.fail(f"`{' '.join(command)}` exited with {result.returncode}:\n{output}")


def _free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    """Status and body of a GET, without raising on error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


@contextmanager
def _standalone_server(frontend: Path) -> Iterator[str]:
    """Serve the standalone build on a free loopback port; yield its base URL, stop it afterwards."""
    standalone = frontend / ".next" / "standalone"
    port = _free_port()
    environment = _npm_environment() | {"HOSTNAME": "127.0.0.1", "PORT": str(port), "NODE_ENV": "production"}
    server = subprocess.Popen(
        ["node", "server.js"], cwd=standalone, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while True:
            if server.poll() is not None:
                output = server.stdout.read().decode(errors="replace") if server.stdout else ""
                pytest.fail(f"the standalone server exited with {server.returncode}:\n{output}")
            try:
                _get(base_url + "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the standalone server did not answer within {SERVER_START_TIMEOUT_SECONDS} s")
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()


def test_generated_frontend_builds_and_serves_home_page(tmp_path: Path) -> None:
    """The default project's frontend installs, type-checks, lints, builds standalone and serves "/"."""
    _require_node()
    answers = validate_answers({**defaults(), "project_name": PROJECT_NAME})
    frontend = generate(answers, tmp_path).path / "frontend"
    assert (frontend / "package.json").is_file()
    assert not (frontend / "package-lock.json").exists()

    _run(["npm", "install", "--no-audit", "--no-fund"], frontend, INSTALL_TIMEOUT_SECONDS)
    _run(["npm", "run", "typecheck"], frontend, BUILD_TIMEOUT_SECONDS)
    _run(["npm", "run", "lint"], frontend, BUILD_TIMEOUT_SECONDS)
    _run(["npm", "run", "build"], frontend, BUILD_TIMEOUT_SECONDS)
    standalone = frontend / ".next" / "standalone"
    assert (standalone / "server.js").is_file()
    # The postbuild script copies what the standalone output leaves out, as the Dockerfile does.
    assert any((standalone / ".next" / "static").iterdir())
    assert (standalone / "public" / "robots.txt").is_file()

    with _standalone_server(frontend) as base_url:
        status, html = _get(base_url + "/")
        assert status == 200
        assert f"<title>{PROJECT_NAME}</title>" in html
        assert 'data-testid="signin-email"' in html

        stylesheet = re.search(r'href="(/_next/static/[^"]+\.css)"', html)
        assert stylesheet is not None, "the home page links no stylesheet"
        assert _get(base_url + stylesheet.group(1))[0] == 200

        assert _get(base_url + "/healthz") == (200, '{"status":"ok"}')
        assert _get(base_url + "/files")[0] == 200
