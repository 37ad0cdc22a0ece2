"""Install, build and serve the generated Next.js frontend (the shared build's fixture: frontend_plugin.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.processes import background
from support.services import free_port

INSTALL_TIMEOUT_SECONDS = 600
BUILD_TIMEOUT_SECONDS = 600
SERVER_START_TIMEOUT_SECONDS = 30
OUTPUT_TAIL_CHARACTERS = 4000


@dataclass(frozen=True)
class BuiltFrontend:
    """A standalone Next.js build whose /api and /ws rewrites point at ``backend_url`` (fixed at build time)."""

    directory: Path
    backend_port: int
    app_name: str

    @property
    def backend_url(self) -> str:
        """Where the built server proxies /api/* and /ws/*."""
        return f"http://127.0.0.1:{self.backend_port}"


def require_node() -> None:
    """Fail (not skip) without Node.js: the frontend build is part of what this suite promises."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found on PATH: install Node.js 20.9 or newer to build the frontend")


def npm_environment(backend_url: str | None = None) -> dict[str, str]:
    """The environment minus settings that would change the build, plus quiet offline-friendly npm."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEXT_PUBLIC_") and key not in {"BACKEND_URL", "NODE_ENV", "HOSTNAME", "PORT"}
    }
    environment.update(NEXT_TELEMETRY_DISABLED="1", npm_config_update_notifier="false", npm_config_fund="false")
    if backend_url is not None:
        environment["BACKEND_URL"] = backend_url
    return environment


def run_npm(command: list[str], cwd: Path, timeout: int, backend_url: str | None = None) -> None:
    """Run an npm/node command and fail with the end of its output if it does not succeed."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=npm_environment(backend_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-OUTPUT_TAIL_CHARACTERS:]
        pytest.fail(f"`{' '.join(command)}` exited with {result.returncode}:\n{output}")


def http_get(url: str) -> tuple[int, str]:
    """Status and body of a GET, without raising on error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


def build_frontend(source: Path, destination: Path, backend_port: int) -> BuiltFrontend:
    """Copy a generated frontend to ``destination`` (keeping the rendered project clean), install and build it."""
    require_node()
    shutil.copytree(source, destination)
    backend_url = f"http://127.0.0.1:{backend_port}"
    run_npm(["npm", "install", "--no-audit", "--no-fund"], destination, INSTALL_TIMEOUT_SECONDS)
    run_npm(["npm", "run", "build"], destination, BUILD_TIMEOUT_SECONDS, backend_url=backend_url)
    app_name = json.loads((destination / "project.config.json").read_text(encoding="utf-8"))["appName"]
    return BuiltFrontend(directory=destination, backend_port=backend_port, app_name=app_name)


@contextmanager
def standalone_server(frontend: Path, log: Path) -> Iterator[str]:
    """Serve the standalone build on a free loopback port (output to ``log``); yield its base URL, stop it after."""
    standalone = frontend / ".next" / "standalone"
    port = free_port()
    environment = npm_environment() | {"HOSTNAME": "127.0.0.1", "PORT": str(port), "NODE_ENV": "production"}
    base_url = f"http://127.0.0.1:{port}"
    with background(["node", "server.js"], standalone, environment, log) as server:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while True:
            if server.poll() is not None:
                output = log.read_text(errors="replace")[-OUTPUT_TAIL_CHARACTERS:]
                pytest.fail(f"the standalone server exited with {server.returncode}:\n{output}")
            try:
                http_get(base_url + "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the standalone server did not answer within {SERVER_START_TIMEOUT_SECONDS} s")
                time.sleep(0.2)
        yield base_url
