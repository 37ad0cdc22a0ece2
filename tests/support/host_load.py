"""A short load on the EC2 host's whole stack through nginx, reaching every process it runs.

Signed-in users list files and upload (start, the presigned POST to S3, complete) through support.http_load, so the
web process, PostgreSQL, Redis and the Celery worker all work; each user also holds a websocket open, on which
the websocket process pushes `file.processed` as the worker finishes that user's uploads. The users are seeded by
the host's own deploy/ec2/manage.sh (a one-off container of the current tag).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.http_load import SEED_SCRIPT
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

NOTIFICATIONS_PATH = "/ws/notifications/"


def seed_users(app_dir: Path, environment: dict[str, str], count: int) -> list[dict[str, str]]:
    """`count` users with files, created through the host's manage.sh; their credentials and access tokens."""
    script = f"import os\nos.environ['LOAD_USERS'] = '{count}'\n{SEED_SCRIPT}"
    seeded = subprocess.run(
        ["deploy/ec2/manage.sh", "shell", "-c", script],
        cwd=app_dir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if seeded.returncode != 0:
        raise AssertionError(f"seeding users failed:\n{seeded.stdout[-2000:]}\n{seeded.stderr[-4000:]}")
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def run_api_load(base_url: str, users: list[dict[str, str]], connections: int, duration: int) -> dict[str, Any]:
    """support.http_load in its own process for `duration` seconds; its figures."""
    plan = {"base_url": base_url, "users": users, "connections": connections, "duration": duration, "headers": {}}
    generator = subprocess.run(
        [sys.executable, "-m", "support.http_load"],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        timeout=duration + 300,
    )
    if generator.returncode != 0:
        raise AssertionError(f"the load generator failed:\n{generator.stderr[-4000:]}")
    return json.loads(generator.stdout)


@dataclass
class NotificationSockets:
    """One websocket per user through nginx, held open and read until closed; counts what arrives."""

    ws_url: str
    origin: str
    users: list[dict[str, str]]
    received: dict[str, int] = field(default_factory=dict)
    closed_early: list[str] = field(default_factory=list)
    _sockets: list[ClientConnection] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def _read(self, socket: ClientConnection) -> None:
        try:
            for message in socket:
                kind = json.loads(message).get("type", "?")
                with self._lock:
                    self.received[kind] = self.received.get(kind, 0) + 1
        except ConnectionClosed as closed:
            if not self._stopping.is_set():
                with self._lock:
                    self.closed_early.append(str(closed))

    def __enter__(self) -> NotificationSockets:
        for user in self.users:
            socket = self._stack.enter_context(
                connect(f"{self.ws_url}{NOTIFICATIONS_PATH}?token={user['access']}", origin=self.origin)
            )
            self._sockets.append(socket)
            threading.Thread(target=self._read, args=(socket,), daemon=True).start()
        return self

    def wait_for(self, kind: str, count: int = 1, timeout: float = 30) -> bool:
        """Wait until `count` messages of `kind` have arrived on all sockets together; whether they did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.received.get(kind, 0) >= count:
                    return True
            time.sleep(0.1)
        return False

    def ping(self, timeout: float = 30) -> bool:
        """Send the consumer's ping on every socket; whether every one answered pong in time."""
        already = self.received.get("pong", 0)
        for socket in self._sockets:
            socket.send(json.dumps({"type": "ping"}))
        return self.wait_for("pong", already + len(self._sockets), timeout)

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._stack.close()
