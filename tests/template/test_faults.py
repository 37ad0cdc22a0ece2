"""Faults under the generated backend's production processes, on real servers.

granian (web), uvicorn (websocket), a Celery worker and beat run with ENVIRONMENT=prod, as in
test_backend_processes.py, on a PostgreSQL 16, a Redis 7 and an S3 emulator of this module's own: the
tests stop them. S3 is reached through a TCP proxy that can refuse connections (S3 unreachable) or slow
the link down (a long download, to kill the worker in the middle of one) while the emulator keeps its
objects. Each test leaves every server as it found it; the timings it measures are printed (pytest -s).

1. PostgreSQL stopped: liveness stays 200, readiness answers 503 naming the database (its error text only
   with the readiness token), API requests fail fast with a 503 JSON body, and everything recovers
   without restarting a process.
2. Redis stopped: readiness names cache and broker, the file list and sign-in keep working, completing an
   upload answers 200 at once. The websocket process closes the sockets it can no longer serve; after
   Redis returns it accepts a new one at once, the file is processed (the retry sweep sends it again,
   since it could not be queued) and its event reaches the new socket.
3. S3 unreachable: signing an upload still works, completing one answers 503 and leaves it pending,
   completing it after S3 returns works.
4. The worker killed (SIGKILL) while it downloads a file: the task is delivered again and the file is
   processed, and its result recorded and announced, exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets
from support.backend import create_database
from support.commands import beat_command, web_command, websocket_command, worker_command
from support.processes import background
from support.projects import run, uv_environment
from support.proxy import TcpProxy, tcp_proxy
from support.s3 import EMULATOR_CREDENTIALS, s3_emulator
from support.services import PostgresCluster, RedisServer, free_port, running

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.xdist_group("faults")]

BUCKET = "faults-media-bucket"
READINESS_TOKEN = "faults-" + uuid.uuid4().hex
WEB_WORKERS = 2
# Short, so the tests see the retry sweep and the broker's redelivery at work within seconds.
RETRY_SECONDS = 5
VISIBILITY_TIMEOUT_SECONDS = 3
# A request that needs a stopped server must be answered within this (connection attempts time out after 5 s).
FAIL_FAST_SECONDS = 3.0
RECOVERY_TIMEOUT_SECONDS = 60.0
CSV = b"id,name\n1,Ada\n2,Grace\n"
# Celery's worker log lines about a task's life (celery.worker.strategy and celery.app.trace).
TASK_RECEIVED = re.compile(r"^Task apps\.files\.tasks\.\w+\[([0-9a-f-]+)\] received")
TASK_FINISHED = re.compile(r"^Task apps\.files\.tasks\.\w+\[([0-9a-f-]+)\] (?:succeeded|raised|retry)")


def logged_at(entry: dict[str, Any]) -> float:
    """When a JSON log line was written, as a ``time.time()``."""
    return datetime.fromisoformat(entry["time"]).timestamp()


@dataclass
class ProductionBackend:
    """The production processes of the default option set, and the servers under them."""

    postgres: PostgresCluster
    redis: RedisServer
    s3: TcpProxy
    python: Path
    backend_dir: Path
    database_url: str
    environment: dict[str, str]
    log_dir: Path
    web_port: int
    websocket_port: int
    stack: ExitStack
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/api"

    def start(self, name: str, command: list[str], log: str | None = None) -> None:
        """Start a process (again, after it died); its output goes to ``log`` (default: its name)."""
        log_path = self.log_dir / f"{log or name}.log"
        self.processes[name] = self.stack.enter_context(
            background(command, self.backend_dir, self.environment, log_path)
        )

    def kill(self, name: str) -> None:
        """SIGKILL a process: no shutdown handler runs, nothing is acknowledged or handed back."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def log(self, name: str) -> list[dict[str, Any]]:
        """A process's JSON log lines (Celery's own notices bypass logging; they are left out).

        Only complete lines: the tests read logs while the processes write them, and a line being
        written has no newline yet.
        """
        path = self.log_dir / f"{name}.log"
        lines = path.read_text(errors="replace").split("\n")[:-1] if path.exists() else []
        return [json.loads(line) for line in lines if line.startswith("{")]

    def broker_messages(self) -> int:
        """Messages Redis holds for the workers: queued (the ``celery*`` lists) or delivered and not yet
        acknowledged (kombu's ``unacked`` hash; tasks are acknowledged when they end)."""
        script = (
            "local n = redis.call('HLEN', 'unacked') "
            "for _, key in ipairs(redis.call('KEYS', 'celery*')) do "
            "if redis.call('TYPE', key).ok == 'list' then n = n + redis.call('LLEN', key) end end "
            "return n"
        )
        answer = subprocess.run(
            ["redis-cli", "-p", str(self.redis.port), "--raw", "EVAL", script, "0"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return int(answer.stdout.strip())

    def settled(self, workers: tuple[str, ...], since: float) -> bool:
        """Whether nothing can process a file any more: the broker holds no message, and every task the
        workers received since ``since`` (a ``time.time()``) has finished.

        A processed file is never swept again, so a duplicate run could only come from a message already
        in flight; once none is, the outcome is final, and the tests assert on it then instead of after a
        fixed wait. Checked twice, a moment apart: a worker takes a message off the queue a moment before
        it records it as unacknowledged.
        """

        def quiet() -> bool:
            entries = [entry for worker in workers for entry in self.log(worker) if logged_at(entry) >= since]
            received = {match[1] for entry in entries if (match := TASK_RECEIVED.search(entry["message"]))}
            finished = {match[1] for entry in entries if (match := TASK_FINISHED.search(entry["message"]))}
            return self.broker_messages() == 0 and received <= finished

        if not quiet():
            return False
        time.sleep(0.5)
        return quiet()

    def accepts(self, port: int) -> bool:
        """Whether the port accepts connections; fails at once, with its log, if a process has exited."""
        self.assert_running()
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    def assert_running(self) -> None:
        """Every process is the one started first or after its deliberate kill, still running."""
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} exited: {(self.log_dir / f'{name}.log').read_text()[-3000:]}"

    def query(self, sql: str, *parameters: object) -> list[list[Any]]:
        """Rows straight from PostgreSQL, read with the backend's own psycopg."""
        code = (
            "import json, sys, psycopg\n"
            "rows = psycopg.connect(sys.argv[1]).execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()\n"
            "print(json.dumps(rows, default=str))"
        )
        result = subprocess.run(
            [str(self.python), "-c", code, self.database_url, sql, json.dumps(parameters)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    def file_row(self, file_id: str) -> dict[str, Any]:
        """The file's status, processing attempts and processed_at, as the database has them."""
        ((status, attempts, processed_at),) = self.query(
            "SELECT status, processing_attempts, processed_at FROM files_uploadedfile WHERE id = %s", file_id
        )
        return {"status": status, "attempts": attempts, "processed_at": processed_at}


@pytest.fixture(scope="module")
def backend(
    generated_projects: dict[str, Path], installed_backends: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProductionBackend]:
    """The default project's web, websocket, worker and beat processes on servers this module may stop."""
    python = installed_backends["default"]
    project_backend = generated_projects["default"] / "backend"
    log_dir = tmp_path_factory.mktemp("faults")
    with ExitStack() as stack:
        postgres = stack.enter_context(running(PostgresCluster()))
        redis = stack.enter_context(running(RedisServer()))
        s3_endpoint = stack.enter_context(s3_emulator(BUCKET))
        s3 = stack.enter_context(tcp_proxy(int(s3_endpoint.rsplit(":", 1)[1])))
        database_url = create_database(postgres.url, prefix="faults")
        web_port, websocket_port = free_port(), free_port()
        environment = {
            **uv_environment(),
            "ENVIRONMENT": "prod",
            "SECRET_KEY": "faults-" + uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SERVED_OVER_HTTPS": "false",
            "DATABASE_URL": database_url,
            "DB_REQUIRE_SSL": "false",
            "REDIS_URL": redis.url,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3.port}",
            **EMULATOR_CREDENTIALS,
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(web_port),
            # granian's worker processes; uvicorn reads it too, so two websocket processes share the port.
            "WEB_CONCURRENCY": str(WEB_WORKERS),
            "READINESS_TOKEN": READINESS_TOKEN,
            "BEAT_SCHEDULE_FILE": str(log_dir / "celerybeat-schedule"),
            "FILE_PROCESSING_RETRY_SECONDS": str(RETRY_SECONDS),
            "TASK_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT_SECONDS),
            # Each test signs up and in; the rate limits are tested elsewhere.
            "AUTH_THROTTLE_RATE": "1000/minute",
            "PYTHONUNBUFFERED": "1",  # the tests read the logs while the processes run
        }
        run([str(python), "manage.py", "migrate", "--noinput"], project_backend, env=environment)
        production = ProductionBackend(
            postgres,
            redis,
            s3,
            python,
            project_backend,
            database_url,
            environment,
            log_dir,
            web_port,
            websocket_port,
            stack,
        )
        binaries = python.parent
        production.start("web", web_command(binaries))
        production.start("websocket", websocket_command(binaries, websocket_port))
        production.start("worker", worker_command(binaries))
        production.start("beat", beat_command(binaries))
        for port in (web_port, websocket_port):
            wait_until(lambda port=port: production.accepts(port), f"a process listening on {port}")
        wait_until(lambda: any(" ready." in entry["message"] for entry in production.log("worker")), "worker ready")
        assert readiness(production.api).status_code == 200, readiness(production.api, READINESS_TOKEN).text
        yield production


@dataclass(frozen=True)
class Account:
    """A user signed in through the API."""

    credentials: dict[str, str]
    access: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


def sign_up(api: str) -> Account:
    credentials = {"email": f"faults-{uuid.uuid4().hex[:8]}@example.com", "password": "correct-horse-battery-staple"}
    assert requests.post(f"{api}/auth/register/", json=credentials, timeout=10).status_code == 201
    return Account(credentials, requests.post(f"{api}/auth/token/", json=credentials, timeout=10).json()["access"])


def upload(api: str, account: Account, content: bytes, filename: str = "people.csv") -> str:
    """Sign an upload and post its bytes to S3 with the presigned form; returns the file's id."""
    response = requests.post(
        f"{api}/files/uploads/",
        headers=account.headers,
        json={"filename": filename, "content_type": "text/csv", "size": len(content)},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    form = response.json()["upload"]
    posted = requests.post(form["url"], data=form["fields"], files={"file": (filename, content)}, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text
    return response.json()["file"]["id"]


def timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def wait_until(condition: Callable[[], object], what: str, timeout: float = RECOVERY_TIMEOUT_SECONDS) -> float:
    """Poll until the condition holds; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - started


def assert_unavailable(response: requests.Response, component: str) -> None:
    """A 503 JSON body naming the component, with no server address in it."""
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == f"{component}_unavailable"
    assert "127.0.0.1" not in response.text


def readiness(api: str, token: str | None = None) -> requests.Response:
    headers = {"X-Readiness-Token": token} if token else {}
    return requests.get(f"{api}/health/ready/", headers=headers, timeout=30)


class EventListener:
    """A websocket of one user, collecting the events it receives in a thread of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self.closed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)
        self._thread.start()

    async def _listen(self) -> None:
        try:
            async with websockets.connect(self.url, origin="http://127.0.0.1") as socket:
                self.connected.set()
                while not self._stop.is_set():
                    try:
                        self.events.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=0.2)))
                    except TimeoutError:
                        continue
        except (OSError, websockets.exceptions.WebSocketException):
            pass
        finally:
            self.closed.set()

    def events_for(self, file_id: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("file", {}).get("id") == file_id]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def listen(backend: ProductionBackend, account: Account) -> EventListener:
    """An EventListener whose socket the websocket process accepted at the first attempt."""
    listener = EventListener(f"ws://127.0.0.1:{backend.websocket_port}/ws/notifications/?token={account.access}")
    while not (listener.connected.is_set() or listener.closed.is_set()):
        time.sleep(0.05)
    assert listener.connected.is_set(), "the websocket process refused the connection (see websocket.log)"
    return listener


def test_postgres_stopped_answers_503_fast_and_recovers_without_restarts(backend: ProductionBackend) -> None:
    account = sign_up(backend.api)
    assert requests.get(f"{backend.api}/files/", headers=account.headers, timeout=10).status_code == 200
    pids = {name: process.pid for name, process in backend.processes.items()}

    backend.postgres.stop()
    try:
        live, live_seconds = timed(lambda: requests.get(f"{backend.api}/health/", timeout=10))
        assert live.status_code == 200

        anonymous = readiness(backend.api)
        assert anonymous.status_code == 503
        components = anonymous.json()["components"]
        assert components["database"] == {"status": "error"}
        assert components["cache"] == components["storage"] == components["broker"] == {"status": "ok"}
        detailed = readiness(backend.api, READINESS_TOKEN).json()["components"]["database"]
        assert detailed["status"] == "error" and "OperationalError" in detailed["detail"]

        # Enough requests for every web worker to meet the stopped server (and drop its dead connection).
        answers = [
            timed(lambda: requests.get(f"{backend.api}/files/", headers=account.headers, timeout=30))
            for _ in range(4 * WEB_WORKERS)
        ]
        for response, _ in answers:
            assert_unavailable(response, "database")
        slowest = max(seconds for _, seconds in answers)
        assert slowest < FAIL_FAST_SECONDS
        sign_in = requests.post(
            f"{backend.api}/auth/token/", json={"email": "nobody@example.com", "password": "x" * 12}, timeout=30
        )
        assert_unavailable(sign_in, "database")
    finally:
        backend.postgres.start()
    restarted = time.monotonic()

    failed_after_return: list[requests.Response] = []

    def files_listed() -> bool:
        response = requests.get(f"{backend.api}/files/", headers=account.headers, timeout=30)
        if response.status_code != 200:
            failed_after_return.append(response)
        return response.status_code == 200

    wait_until(files_listed, "the file list after PostgreSQL returned")
    recovered_seconds = time.monotonic() - restarted
    steady = [requests.get(f"{backend.api}/files/", headers=account.headers, timeout=10) for _ in range(20)]
    print(
        f"postgres stopped: liveness {live_seconds * 1000:.0f} ms, slowest of {len(answers)} API 503s "
        f"{slowest * 1000:.0f} ms; back: file list 200 after {recovered_seconds:.2f} s, "
        f"{len(failed_after_return)} requests failed after the server returned"
    )
    for response in failed_after_return:
        assert_unavailable(response, "database")
    # At most one per web worker that met no request during the outage (DB_CONN_HEALTH_CHECKS off).
    assert len(failed_after_return) <= WEB_WORKERS
    assert {response.status_code for response in steady} == {200}
    assert readiness(backend.api).status_code == 200
    backend.assert_running()
    assert {name: process.pid for name, process in backend.processes.items()} == pids


def test_redis_stopped_loses_no_upload_and_events_resume(backend: ProductionBackend) -> None:
    account = sign_up(backend.api)
    file_id = upload(backend.api, account, CSV)
    pids = {name: process.pid for name, process in backend.processes.items()}
    # A socket open across the outage must either be closed (the client then reconnects) or still deliver.
    earlier = listen(backend, account)

    backend.redis.stop()
    try:
        anonymous = readiness(backend.api)
        assert anonymous.status_code == 503
        components = anonymous.json()["components"]
        assert components["cache"] == components["broker"] == {"status": "error"}
        assert components["database"] == components["storage"] == {"status": "ok"}

        listed, listed_seconds = timed(
            lambda: requests.get(f"{backend.api}/files/", headers=account.headers, timeout=30)
        )
        assert listed.status_code == 200
        # Sign-in rate limits keep their counts in Redis: while it is away they are not applied (fail open).
        signed_in, sign_in_seconds = timed(
            lambda: requests.post(f"{backend.api}/auth/token/", json=account.credentials, timeout=30)
        )
        assert signed_in.status_code == 200, signed_in.text

        # Last before Redis returns: the retry sweep must not send the file before the websocket is back.
        completed, complete_seconds = timed(
            lambda: requests.post(f"{backend.api}/files/{file_id}/complete/", headers=account.headers, timeout=30)
        )
        assert completed.status_code == 200, completed.text
        assert completed.json()["status"] == "uploaded"
        assert complete_seconds < FAIL_FAST_SECONDS
    finally:
        backend.redis.start()
    restarted, redis_back = time.monotonic(), time.time()

    listener = listen(backend, account)
    try:
        socket_seconds = time.monotonic() - restarted
        # Each web worker's first readiness check finds cache and broker again (no dead pooled connection).
        assert {readiness(backend.api).status_code for _ in range(2 * WEB_WORKERS)} == {200}
        wait_until(lambda: listener.events_for(file_id), "the file.processed event after Redis returned")
        event_seconds = time.monotonic() - restarted
        wait_until(lambda: backend.settled(("worker",), redis_back), "the broker and the worker's tasks settled")
        events = listener.events_for(file_id)
        earlier_closed = earlier.closed.is_set()
    finally:
        listener.stop()
        earlier.stop()
    print(
        f"redis stopped: file list {listed_seconds * 1000:.0f} ms, sign-in {sign_in_seconds * 1000:.0f} ms, "
        f"completion {complete_seconds * 1000:.0f} ms; back: websocket accepted after {socket_seconds:.2f} s, "
        f"file processed and announced after {event_seconds:.1f} s"
    )
    assert [event["type"] for event in events] == ["file.processed"]
    assert events[0]["file"]["checksum_sha256"] == hashlib.sha256(CSV).hexdigest()
    row = backend.file_row(file_id)
    assert (row["status"], row["attempts"]) == ("processed", 1)
    assert any("could not queue processing of file " + file_id in entry["message"] for entry in backend.log("web"))
    # The server closed it, so a client knows to open another (the frontend's does, with backoff).
    assert earlier_closed
    assert socket_seconds < FAIL_FAST_SECONDS
    backend.assert_running()
    assert {name: process.pid for name, process in backend.processes.items()} == pids


def test_s3_unreachable_signs_uploads_and_refuses_completion_with_503(backend: ProductionBackend) -> None:
    account = sign_up(backend.api)
    file_id = upload(backend.api, account, CSV)

    backend.s3.cut()
    try:
        signed, sign_seconds = timed(
            lambda: requests.post(
                f"{backend.api}/files/uploads/",
                headers=account.headers,
                json={"filename": "later.csv", "content_type": "text/csv", "size": 10},
                timeout=30,
            )
        )
        assert signed.status_code == 201, signed.text
        assert signed.json()["upload"]["url"].endswith(BUCKET)

        completed, complete_seconds = timed(
            lambda: requests.post(f"{backend.api}/files/{file_id}/complete/", headers=account.headers, timeout=60)
        )
        assert_unavailable(completed, "storage")
        assert complete_seconds < 2 * FAIL_FAST_SECONDS
        record = requests.get(f"{backend.api}/files/{file_id}/", headers=account.headers, timeout=10).json()
        assert record["status"] == "pending"
        components = readiness(backend.api).json()["components"]
        assert components["storage"] == {"status": "error"}
    finally:
        backend.s3.restore()
    print(f"s3 unreachable: upload signed in {sign_seconds * 1000:.0f} ms, completion 503 in {complete_seconds:.2f} s")

    completed = requests.post(f"{backend.api}/files/{file_id}/complete/", headers=account.headers, timeout=30)
    assert completed.status_code == 200, completed.text
    wait_until(lambda: backend.file_row(file_id)["status"] == "processed", "processing after S3 returned")
    backend.assert_running()


def test_worker_killed_mid_task_processes_the_file_exactly_once(backend: ProductionBackend) -> None:
    account = sign_up(backend.api)
    # ~2 MiB that S3 sends at 100 KiB/s: the download takes ~20 s, and the worker dies a second into it.
    content = b"id,name\n" + b"".join(b"%d,row %d\n" % (number, number) for number in range(200_000))
    file_id = upload(backend.api, account, content, "large.csv")
    listener = listen(backend, account)
    try:
        backend.s3.throttle(100 * 1024)
        completed = requests.post(f"{backend.api}/files/{file_id}/complete/", headers=account.headers, timeout=30)
        assert completed.status_code == 200, completed.text
        wait_until(
            lambda: backend.s3.saw_request(f"GET /{BUCKET}/uploads/".encode()), "the worker downloading the file"
        )
        time.sleep(1)
        backend.kill("worker")
        killed, killed_at = time.monotonic(), time.time()
        backend.s3.throttle(None)
        assert backend.file_row(file_id) == {"status": "uploaded", "attempts": 1, "processed_at": None}

        # A replacement worker, started once Redis would hand the unacknowledged task out again.
        time.sleep(VISIBILITY_TIMEOUT_SECONDS)
        backend.start("worker", worker_command(backend.python.parent), log="worker-replacement")
        wait_until(lambda: listener.events_for(file_id), "the file.processed event from the replacement worker")
        processed_seconds = time.monotonic() - killed
        wait_until(
            lambda: backend.settled(("worker-replacement",), killed_at),
            "the broker and the replacement worker's tasks settled",
        )
        events = listener.events_for(file_id)
    finally:
        backend.s3.throttle(None)
        listener.stop()

    first, replacement = backend.log("worker"), backend.log("worker-replacement")
    received = re.compile(r"Task apps\.files\.tasks\.process_uploaded_file\[([0-9a-f-]+)\] received")
    killed_tasks = {match[1] for entry in first if (match := received.search(entry["message"]))}
    redelivered = {match[1] for entry in replacement if (match := received.search(entry["message"]))}
    recorded = [entry for entry in first + replacement if entry["message"] == f"processed file {file_id}"]
    row = backend.file_row(file_id)
    print(
        f"worker killed mid-download: processed {processed_seconds:.1f} s after the kill, "
        f"{row['attempts']} processing runs, {len(recorded)} recorded, {len(events)} announced"
    )
    # The task the dead worker held was delivered again to the replacement (not only re-sent by the sweep).
    assert killed_tasks & redelivered
    assert row["status"] == "processed" and row["attempts"] >= 2
    assert len(recorded) == 1
    assert [event["type"] for event in events] == ["file.processed"]
    assert events[0]["file"]["checksum_sha256"] == hashlib.sha256(content).hexdigest()
    backend.assert_running()
