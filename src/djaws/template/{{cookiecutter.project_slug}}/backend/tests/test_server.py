"""The production HTTP server (config/server.py): configured from the environment, serves, stops cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import BACKEND, fresh_process_environment, run_fresh

SERVER = [sys.executable, "-m", "config.server"]


def server(**variables: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        SERVER, cwd=BACKEND, env=fresh_process_environment(**variables), stderr=subprocess.PIPE, text=True
    )


def check(**variables: str) -> subprocess.CompletedProcess[str]:
    return run_fresh([*SERVER, "--check"], **variables)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_defaults_are_two_single_threaded_workers_on_port_8000() -> None:
    result = check()
    assert result.returncode == 0, result.stderr
    assert "config.rsgi:application: address=0.0.0.0, port=8000, workers=2, threads=1, workers_max_rss=200" in (
        result.stdout
    )
    assert "header_timeout=10, body_timeout=30" in result.stdout


def test_environment_and_env_file_configure_it(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("WEB_CONCURRENCY=3\nWEB_THREADS=4\n")
    result = check(ENV_FILE=str(env_file), WEB_THREADS="2", WEB_WORKER_MAX_RSS_MIB="0", CLIENT_BODY_TIMEOUT_SECONDS="5")
    assert result.returncode == 0, result.stderr
    assert "workers=3, threads=2, workers_max_rss=None" in result.stdout
    assert "body_timeout=5" in result.stdout


def test_bad_values_stop_with_one_line() -> None:
    for variables in ({"LOG_LEVEL": "loud"}, {"WEB_CONCURRENCY": "two"}):
        result = check(**variables)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert next(iter(variables)) in result.stderr


def test_serves_http_and_stops_on_sigterm() -> None:
    port = free_port()
    process = server(WEB_HOST="127.0.0.1", WEB_PORT=str(port), WEB_CONCURRENCY="1")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=2) as response:
                    assert response.status == 200
                    assert response.read() == b'{"status": "ok"}'
                    break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs/", timeout=10) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
