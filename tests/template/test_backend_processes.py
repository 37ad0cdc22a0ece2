"""The generated backend's processes, for real, end to end.

granian (web), uvicorn (websocket), a Celery worker and beat run with ENVIRONMENT=prod against
PostgreSQL 16 and Redis 7 started by the test setup, and S3 served by moto on loopback. A client
registers, signs in, uploads through a real presigned POST, completes the upload, and receives the
worker's ``file.processed`` event on its websocket; then downloads through the presigned GET.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
import websockets
from support.backend import create_database, database_connections, local_storage_backend
from support.commands import beat_command, web_command, websocket_command, worker_command
from support.processes import background
from support.projects import run, uv_environment
from support.s3 import EMULATOR_CREDENTIALS, s3_emulator
from support.services import Services, free_port, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.services]

BUCKET = "e2e-media-bucket"
CONTENT = b"id,name\n1,Ada\n2,Grace\n"
# Readiness shows what each check found only to requests carrying it.
READINESS_TOKEN = "e2e-" + uuid.uuid4().hex
# Long enough for beat's first due task and the worker's run of it on a busy machine.
LOG_WAIT_SECONDS = 60
# Enough parallel requests for the ASGI server to run Django in many threads.
ASGI_REQUESTS, CONCURRENT_CLIENTS = 200, 8


async def receive_event(url: str, trigger: object) -> dict:
    """Open the websocket, run the trigger (in a thread), and return the first event received."""
    async with websockets.connect(url, origin="http://127.0.0.1") as socket:
        await asyncio.to_thread(trigger)  # type: ignore[arg-type]
        return json.loads(await asyncio.wait_for(socket.recv(), timeout=30))


def test_production_processes_serve_the_whole_file_flow(
    generated_projects: dict[str, Path], installed_backends: dict[str, Path], services: Services, tmp_path: Path
) -> None:
    python = installed_backends["default"]
    backend = generated_projects["default"] / "backend"
    binaries = python.parent
    database_url = create_database(services.database_url)
    web_port, websocket_port = free_port(), free_port()

    with ExitStack() as stack:
        endpoint = stack.enter_context(s3_emulator(BUCKET))
        environment = {
            **uv_environment(),
            "ENVIRONMENT": "prod",
            "SECRET_KEY": "e2e-" + uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SERVED_OVER_HTTPS": "false",
            "DATABASE_URL": database_url,
            "DB_REQUIRE_SSL": "false",
            "REDIS_URL": services.redis_url,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": endpoint,
            **EMULATOR_CREDENTIALS,
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(web_port),
            "BEAT_SCHEDULE_FILE": str(tmp_path / "celerybeat-schedule"),
            # Beat sends the purge every two seconds here, so the test sees it reach the worker.
            "FILE_PURGE_INTERVAL_SECONDS": "2",
            "READINESS_TOKEN": READINESS_TOKEN,
        }
        run([str(python), "manage.py", "migrate", "--noinput"], backend, env=environment)
        run([str(python), "manage.py", "collectstatic", "--noinput"], backend, env=environment)
        processes = {
            "web": web_command(binaries),
            "websocket": websocket_command(binaries, websocket_port),
            "worker": worker_command(binaries),
            "beat": beat_command(binaries),
        }
        running = {
            name: stack.enter_context(background(command, backend, environment, tmp_path / f"{name}.log"))
            for name, command in processes.items()
        }
        wait_for_port(web_port)
        wait_for_port(websocket_port)
        api = f"http://127.0.0.1:{web_port}/api"

        ready = requests.get(f"{api}/health/ready/", headers={"X-Readiness-Token": READINESS_TOKEN}, timeout=10)
        assert ready.status_code == 200, ready.text
        components = ready.json()["components"]
        assert components["database"]["detail"] == "postgresql"
        assert components["cache"]["detail"] == "RedisCache"
        assert components["storage"]["detail"] == f"s3://{BUCKET}"
        assert components["broker"]["detail"] == "redis"

        admin_css = requests.get(f"{api}/admin/login/", timeout=10)
        assert admin_css.status_code == 200
        stylesheet = next(part.split('"')[0] for part in admin_css.text.split('href="') if ".css" in part.split('"')[0])
        assert requests.get(f"http://127.0.0.1:{web_port}{stylesheet}", timeout=10).status_code == 200

        credentials = {"email": "e2e@example.com", "password": "correct-horse-battery-staple"}
        assert requests.post(f"{api}/auth/register/", json=credentials, timeout=10).status_code == 201
        tokens = requests.post(f"{api}/auth/token/", json=credentials, timeout=10).json()
        headers = {"Authorization": f"Bearer {tokens['access']}"}

        ticket = requests.post(
            f"{api}/files/uploads/",
            headers=headers,
            timeout=10,
            json={"filename": "people.csv", "content_type": "text/csv", "size": len(CONTENT)},
        ).json()
        form = ticket["upload"]
        # The emulator checks posted forms as S3 does (support/s3.py): a changed type is refused, the form is not.
        retyped = {**form["fields"], "Content-Type": "text/html"}
        refused = requests.post(form["url"], data=retyped, files={"file": ("people.csv", CONTENT)}, timeout=10)
        assert refused.status_code == 403, refused.text
        uploaded = requests.post(form["url"], data=form["fields"], files={"file": ("people.csv", CONTENT)}, timeout=10)
        assert uploaded.status_code in (200, 201, 204), uploaded.text
        file_id = ticket["file"]["id"]

        def complete() -> None:
            response = requests.post(f"{api}/files/{file_id}/complete/", headers=headers, timeout=10)
            assert response.status_code == 200, response.text

        socket_url = f"ws://127.0.0.1:{websocket_port}/ws/notifications/?token={tokens['access']}"
        event = asyncio.run(receive_event(socket_url, complete))
        assert event["type"] == "file.processed"
        assert event["file"]["id"] == file_id
        assert event["file"]["status"] == "processed"
        assert event["file"]["checksum_sha256"] == hashlib.sha256(CONTENT).hexdigest()

        download = requests.get(f"{api}/files/{file_id}/download/", headers=headers, timeout=10).json()
        fetched = requests.get(download["url"], timeout=10)
        assert fetched.status_code == 200
        assert fetched.content == CONTENT

        stranger = requests.get(f"{api}/files/{file_id}/download/", timeout=10)
        assert stranger.status_code == 401
        for name, process in running.items():
            assert process.poll() is None, f"{name} exited: {(tmp_path / f'{name}.log').read_text()[-3000:]}"
        beat_log, worker_log = tmp_path / "beat.log", tmp_path / "worker.log"
        assert logged(beat_log, "beat: Starting")
        assert logged(beat_log, "Sending due task purge-stale-uploads")
        for task in ("process_uploaded_file", "purge_stale_uploads"):
            assert logged(worker_log, task, "succeeded"), worker_log.read_text()[-3000:]


def log_entries(path: Path) -> list[dict]:
    """A process's log lines: JSON objects in prod (Celery's shutdown notice and warnings about running
    as root, which the image does not, bypass logging). Only complete lines: the log is read while the
    process writes it, and a line being written has no newline yet."""
    return [json.loads(line) for line in path.read_text().split("\n")[:-1] if line.startswith("{")]


def logged(path: Path, *words: str, timeout_seconds: float = LOG_WAIT_SECONDS) -> bool:
    """Whether the process logs a message holding every word within the timeout (it writes when it gets there)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        if any(all(word in entry["message"] for word in words) for entry in log_entries(path)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def test_asgi_server_keeps_no_database_connection_after_its_requests(
    generated_projects: dict[str, Path], installed_backends: dict[str, Path], services: Services, tmp_path: Path
) -> None:
    """uvicorn (the local server, and the websocket process) runs each request's Django code in a thread of its
    own: a connection kept for reuse would stay open per thread until PostgreSQL refuses new ones."""
    with local_storage_backend(
        generated_projects["default"], installed_backends["default"], services, port=free_port(), work_dir=tmp_path
    ) as running:
        api = f"{running.url}/api"
        credentials = {"email": "asgi@example.com", "password": "correct-horse-battery-staple"}
        assert requests.post(f"{api}/auth/register/", json=credentials, timeout=10).status_code == 201
        tokens = requests.post(f"{api}/auth/token/", json=credentials, timeout=10).json()
        headers = {"Authorization": f"Bearer {tokens['access']}"}
        idle = database_connections(running.database_url)

        def list_files(_: int) -> int:
            return requests.get(f"{api}/files/", headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=CONCURRENT_CLIENTS) as clients:
            statuses = set(clients.map(list_files, range(ASGI_REQUESTS)))
        assert statuses == {200}
        # A closed session leaves pg_stat_activity a moment after the response; kept ones never do.
        deadline = time.monotonic() + 10
        while (open_now := database_connections(running.database_url)) > idle and time.monotonic() < deadline:
            time.sleep(0.2)
        assert open_now <= idle, f"{open_now} connections open after {ASGI_REQUESTS} requests ({idle} before)"
