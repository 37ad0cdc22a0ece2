"""The websocket server (config/websocket.py) runs WEBSOCKET_CONCURRENCY processes, whatever WEB_CONCURRENCY says."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BACKEND, fresh_process_environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command_line(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def children(pid: int) -> list[int]:
    """The process's direct children, from /proc."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.parametrize(("variables", "workers"), [({"WEB_CONCURRENCY": "3"}, 0), ({"WEBSOCKET_CONCURRENCY": "2"}, 2)])
def test_process_count_comes_from_its_own_variable(variables: dict[str, str], workers: int) -> None:
    # One process serves in place (no children); N > 1 run under uvicorn's supervisor (N children).
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "config.websocket"],
        cwd=BACKEND,
        env=fresh_process_environment(WEB_HOST="127.0.0.1", WEBSOCKET_PORT=str(port), **variables),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        # uvicorn starts its workers together: once one answers, the others have been spawned.
        serving = [child for child in children(process.pid) if b"resource_tracker" not in command_line(child)]
        assert len(serving) == workers
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
