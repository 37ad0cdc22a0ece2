"""Run a generated backend for end-to-end tests: its own database, the ASGI server and a Celery worker."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

from support.commands import websocket_command, worker_command
from support.processes import background
from support.projects import run, uv_environment
from support.services import Services, postgres_bin_dir, wait_for_port

WORKER_READY_TIMEOUT_SECONDS = 60
LOG_TAIL_CHARACTERS = 3000


def create_database(server_url: str, prefix: str = "e2e") -> str:
    """Create a fresh database on the server behind ``server_url`` (any of its databases); return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [str(postgres_bin_dir() / "psql"), server_url, "--quiet", "--command", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def database_connections(database_url: str) -> int:
    """How many sessions are connected to the database behind ``database_url`` (not counting this query's own)."""
    name = database_url.rsplit("/", 1)[1]
    query = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    result = subprocess.run(
        [str(postgres_bin_dir() / "psql"), database_url, "--no-align", "--tuples-only", "--command", query],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return int(result.stdout.strip())


def production_settings(database_url: str, redis_url: str, bucket: str) -> dict[str, str]:
    """ENVIRONMENT=prod with every variable it requires, for servers on loopback; callers add ports and S3."""
    return {
        "ENVIRONMENT": "prod",
        "SECRET_KEY": "prod-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "DB_REQUIRE_SSL": "false",  # the loopback server has no TLS; RDS does
        "REDIS_URL": redis_url,
        "AWS_STORAGE_BUCKET_NAME": bucket,
    }


@dataclass(frozen=True)
class RunningBackend:
    """A backend serving HTTP and websockets on ``url``, with the log of each of its processes."""

    url: str
    processes: dict[str, Popen[bytes]]
    log_dir: Path
    database_url: str

    def log(self, name: str) -> str:
        """Everything the named process has written so far."""
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def assert_running(self) -> None:
        """Fail with the end of its log if a process has exited."""
        for name, process in self.processes.items():
            assert process.poll() is None, (
                f"{name} exited with {process.returncode}:\n{self.log(name)[-LOG_TAIL_CHARACTERS:]}"
            )


def _wait_for_log_line(backend: RunningBackend, name: str, marker: str, timeout: float) -> None:
    """Block until the named process logs ``marker`` (Celery has no port to wait for)."""
    deadline = time.monotonic() + timeout
    while marker not in backend.log(name):
        backend.assert_running()
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{name} did not log {marker!r} within {timeout} s:\n{backend.log(name)[-LOG_TAIL_CHARACTERS:]}"
            )
        time.sleep(0.2)


def _assert_port_free(port: int) -> None:
    """The frontend was built for this port; make sure nothing else took it meanwhile."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port}, picked for the backend before the frontend build, is taken by now")


@contextmanager
def local_storage_backend(
    project: Path, python: Path, services: Services, port: int, work_dir: Path
) -> Iterator[RunningBackend]:
    """The backend with ENVIRONMENT=local on PostgreSQL and Redis, files on local disk under ``work_dir``.

    One uvicorn serves HTTP and websockets (the embedded default's command); a real Celery worker
    (threads pool) processes the uploads, so the work crosses the broker as it does in the cloud.
    """
    backend = project / "backend"
    binaries = python.parent
    environment = {
        **uv_environment(),
        "ENVIRONMENT": "local",
        "SECRET_KEY": "e2e-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": (database_url := create_database(services.database_url, prefix="browser")),
        "REDIS_URL": services.redis_url,
        "MEDIA_ROOT": str(work_dir / "media"),
        "PYTHONUNBUFFERED": "1",  # the tests read the logs while the processes run
        # Every browser test of the session signs in against this one backend; the limits are tested elsewhere.
        "AUTH_THROTTLE_RATE": "1000/minute",
        "AUTH_ACCOUNT_THROTTLE_RATE": "1000/minute",
    }
    run([str(python), "manage.py", "migrate", "--noinput"], backend, env=environment)
    commands = {
        "asgi": websocket_command(binaries, port),
        "worker": worker_command(binaries),
    }
    _assert_port_free(port)
    with ExitStack() as stack:
        processes = {
            name: stack.enter_context(background(command, backend, environment, work_dir / f"{name}.log"))
            for name, command in commands.items()
        }
        running = RunningBackend(
            url=f"http://127.0.0.1:{port}", processes=processes, log_dir=work_dir, database_url=database_url
        )
        wait_for_port(port)
        _wait_for_log_line(running, "worker", " ready.", WORKER_READY_TIMEOUT_SECONDS)
        yield running
