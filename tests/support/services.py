"""Real PostgreSQL 16 and Redis 7 servers on loopback, started and stopped by the tests.

PostgreSQL comes from the ``pgserver`` wheel (PostgreSQL 16 binaries; Debian 12 ships only 15).
The server refuses to run as root, so as root it runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = STARTUP_TIMEOUT) -> None:
    """Block until something accepts connections on the loopback port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def postgres_bin_dir() -> Path:
    """The PostgreSQL 16 binaries shipped by the pgserver wheel, where the server's user can run them."""
    # Located, not imported: importing pgserver starts machinery the tests do not need.
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise RuntimeError("pgserver is not installed: pip install -e '.[test]' provides PostgreSQL 16")
    install = Path(spec.origin).parent / "pginstall"
    if not (install / "bin" / "postgres").exists():
        raise RuntimeError(f"no postgres binary in {install / 'bin'}")
    if os.geteuid() != 0:
        return install / "bin"
    # As root the server runs as the postgres user, who cannot reach a virtualenv inside a private
    # directory (a clone in `mktemp -d` is 0700): use a world-readable copy, made once per machine.
    # The binaries find their libraries at $ORIGIN/../../../pgserver.libs: keep that layout.
    shared = Path(tempfile.gettempdir()) / f"djaws-pgserver-{importlib.metadata.version('pgserver')}"
    bin_dir = shared / "pgserver" / "pginstall" / "bin"
    if not (bin_dir / "postgres").exists():
        staging = Path(tempfile.mkdtemp(prefix="djaws-pgserver-", dir=tempfile.gettempdir()))
        shutil.copytree(install, staging / "pgserver" / "pginstall", symlinks=True)
        shutil.copytree(install.parent.parent / "pgserver.libs", staging / "pgserver.libs", symlinks=True)
        for directory, _, files in os.walk(staging):
            os.chmod(directory, 0o755)
            for name in files:
                path = Path(directory) / name
                if not path.is_symlink():
                    os.chmod(path, path.stat().st_mode | 0o444)
        with contextlib.suppress(OSError):  # another test worker got there first
            os.rename(staging, shared)
        shutil.rmtree(staging, ignore_errors=True)
    return bin_dir


def _run_checked(command: list[str]) -> None:
    """Run a server command, failing with its output (not just its exit status)."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stdout}{result.stderr}")


def _ensure_postgres_user() -> None:
    if subprocess.run(["id", "-u", "postgres"], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass(frozen=True)
class Services:
    """Connection URLs of the running servers."""

    database_url: str
    redis_url: str
    postgres_version: str


def wait_for_port_closed(port: int, timeout: float = STARTUP_TIMEOUT) -> None:
    """Block until connections to the loopback port are refused."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"127.0.0.1:{port} still accepts connections after {timeout} s")


class PostgresCluster:
    """A throw-away PostgreSQL 16 cluster on a port of its own; fault tests stop and start it on that port."""

    def __init__(self) -> None:
        self.bin_dir = postgres_bin_dir()
        self.data_dir = Path(tempfile.mkdtemp(prefix="djaws-pg-"))
        os.chmod(self.data_dir, 0o700)
        if os.geteuid() == 0:
            _ensure_postgres_user()
            shutil.chown(self.data_dir, "postgres")
        self.port = free_port()
        _run_checked(
            _as_postgres_user(
                [str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            )
        )

    @property
    def url(self) -> str:
        """The URL of its ``postgres`` database."""
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def version(self) -> str:
        return subprocess.run(
            [str(self.bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()

    def start(self) -> None:
        """Start the server (again) on its port and wait until it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data_dir} -c fsync=off -c full_page_writes=off"
        )
        log = self.data_dir / "server.log"
        _run_checked(
            _as_postgres_user(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options, "-w", "-l", str(log), "start"]
            )
        )
        wait_for_port(self.port)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` ends every session, as a restart or failover does; ``immediate`` aborts."""
        subprocess.run(
            _as_postgres_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"]),
            capture_output=True,
        )
        wait_for_port_closed(self.port)

    def remove(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        self.stop("immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[tuple[str, str]]:
    """A throw-away PostgreSQL 16 cluster; yields (URL of the ``postgres`` database, server version)."""
    with running(PostgresCluster()) as cluster:
        yield cluster.url, cluster.version()


class RedisServer:
    """A Redis server with persistence off on a port of its own; fault tests stop and start it on that port.

    Nothing survives a stop, as with a cache node replaced without persistence.
    """

    def __init__(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed: apt-get install redis-server (.ci/run does)")
        self.executable = executable
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (again) on its port and wait until it accepts connections."""
        self.process = subprocess.Popen(
            [self.executable, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        """Stop the server; its clients' connections drop."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
            wait_for_port_closed(self.port)

    def remove(self) -> None:
        """Stop the server if it runs (it keeps nothing on disk)."""
        self.stop()


Server = TypeVar("Server", PostgresCluster, RedisServer)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """The server started, and removed at the end."""
    try:
        server.start()
        yield server
    finally:
        server.remove()


@contextmanager
def redis_server() -> Iterator[str]:
    """A Redis server with persistence off; yields its URL."""
    with running(RedisServer()) as server:
        yield server.url


@contextmanager
def running_services() -> Iterator[Services]:
    """PostgreSQL 16 and Redis together."""
    with postgres_server() as (database_url, version), redis_server() as redis_url:
        yield Services(database_url=database_url, redis_url=redis_url, postgres_version=version)
