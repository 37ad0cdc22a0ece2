"""The generated backend's production process commands, spelled once for tests and benchmarks.

They mirror the commands in the generated README, docker-compose.prod.yml and the ECS task definitions.
"""

from __future__ import annotations

from pathlib import Path


def web_command(binaries: Path) -> list[str]:
    """granian serving HTTP, configured by config/server.py (address from WEB_HOST and WEB_PORT)."""
    return [str(binaries / "python"), "-m", "config.server"]


def websocket_command(binaries: Path, port: int) -> list[str]:
    """config/websocket.py: uvicorn serving the ASGI application (HTTP and websockets) on a loopback port."""
    return ["env", "WEB_HOST=127.0.0.1", f"WEBSOCKET_PORT={port}", str(binaries / "python"), "-m", "config.websocket"]


def worker_command(binaries: Path) -> list[str]:
    """The Celery worker (config/worker.py): a pool of WORKER_CONCURRENCY threads, LOG_LEVEL from the environment."""
    return [str(binaries / "python"), "-m", "config.worker"]


def beat_command(binaries: Path) -> list[str]:
    """Celery beat (config/beat.py), without Django's apps; its schedule file is BEAT_SCHEDULE_FILE."""
    return [str(binaries / "python"), "-m", "config.beat"]
